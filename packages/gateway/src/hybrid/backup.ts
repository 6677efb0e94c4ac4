/**
 * Last-known-good config on local disk: the signed messages as received (snapshot + deltas since),
 * encrypted with AES-256-GCM under a key derived from the gateway token. GCM authenticates, so a
 * flipped bit or a truncated file fails to decrypt; the signatures are checked again on load.
 *
 * The snapshot file is rewritten only when the held snapshot changes. A delta on top of what was
 * saved is appended to a journal beside it, one encrypted record per delta, each naming the
 * snapshot file it extends (`journal` id): rewriting a 100,000-key snapshot for every revocation
 * cost more than the delta itself. Records of another snapshot (a crash between rewriting the
 * snapshot and emptying the journal) are ignored; a cut last record (a crash mid-append) too.
 *
 * A definition delta (protocol 4) is journaled like a delta. One whose definition was refused (its
 * credentials applied to the definition served) is marked so, in its record's header (`<id> refused`)
 * or in the snapshot file's `refused` positions: a restart must serve the same definition.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { appendFile, readFile, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigMessage } from '@gatehouse/config';
import { writeFileAtomic } from './atomic-file.js';
import { receivedText } from './verify-off-thread.js';

const MAGIC = Buffer.from('GHBK1\n');
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_INFO = 'gatehouse/gateway-backup/v1';
const FILE = 'config-backup.bin';
const JOURNAL_FILE = 'config-backup-deltas.bin';
const LENGTH_BYTES = 4;
/** After the journal id in a record's header: a definition delta whose definition was not applied. */
const REFUSED_MARK = ' refused';

export interface BackupContent {
  /** The snapshot first, then the deltas applied on top of it, in order. */
  messages: ConfigMessage[];
  savedAt: string;
  /** Id of this snapshot file: journal records naming it extend `messages`. */
  journal?: string;
  /** Positions in `messages` of definition deltas whose definition was refused (not served). */
  refused?: number[];
}

export type BackupLoad =
  | { ok: true; content: BackupContent; confirmedAt: Date }
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: 'unreadable'; detail: string };

export class BackupStore {
  readonly file: string;
  readonly journalFile: string;
  private writing: Promise<void> = Promise.resolve();
  /** What is on disk (snapshot file + journal), by message identity; undefined: unknown, rewrite. */
  private saved: { messages: ConfigMessage[]; journal: string; refused: Set<ConfigMessage> } | undefined;
  /** Snapshot-file writes (tests read it). */
  rewrites = 0;

  constructor(
    dir: string,
    private readonly token: string,
  ) {
    this.file = path.join(dir, FILE);
    this.journalFile = path.join(dir, JOURNAL_FILE);
  }

  /**
   * Saves are serialized so an older state never lands after a newer one. The messages are written
   * as the text they were received as (no 4 MB JSON.stringify on the event loop), encrypted in slices.
   * When `messages` extends what was saved last (same snapshot, more deltas), only the new deltas are
   * appended to the journal.
   */
  save(messages: ConfigMessage[], refused: ReadonlySet<ConfigMessage> = new Set()): Promise<void> {
    const savedAt = new Date().toISOString();
    const next = this.writing.then(async () => {
      const saved = this.saved;
      // A definition refused after it was journaled as applied cannot be re-marked: rewrite then.
      if (
        saved &&
        extends_(messages, saved.messages) &&
        saved.messages.every((m) => !refused.has(m) || saved.refused.has(m))
      ) {
        const records = messages
          .slice(saved.messages.length)
          .map((m) =>
            record(
              Buffer.concat([Buffer.from(`${saved.journal}${refused.has(m) ? REFUSED_MARK : ''}\n`), textOf(m)]),
              this.token,
            ),
          );
        // Unknown until it landed: a failed append makes the next save rewrite everything.
        this.saved = undefined;
        await appendFile(this.journalFile, Buffer.concat(records));
        this.saved = { messages: [...messages], journal: saved.journal, refused: new Set(refused) };
        return;
      }
      this.saved = undefined;
      const journal = randomBytes(12).toString('hex');
      const parts: Uint8Array[] = [Buffer.from('{"messages":[')];
      messages.forEach((message, i) => {
        if (i > 0) parts.push(Buffer.from(','));
        parts.push(textOf(message));
      });
      const positions = messages.flatMap((m, i) => (refused.has(m) ? [i] : []));
      parts.push(
        Buffer.from(
          `],"savedAt":${JSON.stringify(savedAt)},"journal":${JSON.stringify(journal)},"refused":${JSON.stringify(positions)}}`,
        ),
      );
      this.rewrites++;
      await writeFileAtomic(this.file, await encryptInSlices(Buffer.concat(parts), this.token));
      // Records of the previous snapshot file no longer apply (and are ignored if this is not reached).
      await writeFileAtomic(this.journalFile, Buffer.alloc(0));
      this.saved = { messages: [...messages], journal, refused: new Set(refused) };
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every save started so far has landed (or failed). */
  idle(): Promise<void> {
    return this.writing;
  }

  /** Records that the control plane confirmed the backup is current (staleness is measured from it). */
  async confirm(at = new Date()): Promise<void> {
    await this.writing;
    await utimes(this.file, at, at).catch(() => undefined);
  }

  async load(): Promise<BackupLoad> {
    let data: Buffer;
    try {
      data = await readFile(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, reason: 'missing' };
      return { ok: false, reason: 'unreadable', detail: (error as Error).message };
    }
    let content: BackupContent;
    try {
      content = JSON.parse(decrypt(data, this.token).toString('utf8')) as BackupContent;
    } catch (error) {
      return {
        ok: false,
        reason: 'unreadable',
        detail: `backup is corrupt, tampered with, or from another gateway token (${(error as Error).message})`,
      };
    }
    const starts = content.messages?.[0]?.kind;
    if (!Array.isArray(content.messages) || (starts !== 'snapshot' && starts !== 'definition'))
      return { ok: false, reason: 'unreadable', detail: 'backup does not start with a snapshot' };
    if (!Array.isArray(content.refused)) content.refused = [];
    let journalModified = new Date(0);
    if (content.journal) {
      const journal = await readJournal(this.journalFile, this.token, content.journal);
      if (!journal.ok) return { ok: false, reason: 'unreadable', detail: journal.detail };
      for (const { message, refused } of journal.messages) {
        if (refused) content.refused.push(content.messages.length);
        content.messages.push(message);
      }
      journalModified = journal.modified;
    }
    const savedAt = new Date(content.savedAt);
    const modified = (await stat(this.file)).mtime;
    const latest = [savedAt, modified, journalModified].reduce((a, b) => (b > a ? b : a));
    return { ok: true, content, confirmedAt: latest };
  }
}

function textOf(message: ConfigMessage): Uint8Array {
  return receivedText(message) ?? Buffer.from(JSON.stringify(message));
}

/** `messages` is `saved` followed by more (the same message objects, in order). */
function extends_(messages: ConfigMessage[], saved: ConfigMessage[]): boolean {
  if (messages.length <= saved.length) return false;
  return saved.every((m, i) => messages[i] === m);
}

/** A journal record: its length, then the encrypted `<journal id>\n<delta text>`. */
function record(plain: Buffer, token: string): Buffer {
  const sealed = encrypt(plain, token);
  const length = Buffer.alloc(LENGTH_BYTES);
  length.writeUInt32BE(sealed.length);
  return Buffer.concat([length, sealed]);
}

async function readJournal(
  file: string,
  token: string,
  journal: string,
): Promise<
  | { ok: true; messages: Array<{ message: ConfigMessage; refused: boolean }>; modified: Date }
  | { ok: false; detail: string }
> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, messages: [], modified: new Date(0) };
    return { ok: false, detail: (error as Error).message };
  }
  const messages: Array<{ message: ConfigMessage; refused: boolean }> = [];
  let at = 0;
  // A record cut short is the last one (a crash while appending): what precedes it stands.
  while (at + LENGTH_BYTES <= data.length) {
    const length = data.readUInt32BE(at);
    if (at + LENGTH_BYTES + length > data.length) break;
    let plain: string;
    try {
      plain = decrypt(data.subarray(at + LENGTH_BYTES, at + LENGTH_BYTES + length), token).toString('utf8');
    } catch (error) {
      return { ok: false, detail: `delta journal is corrupt or tampered with (${(error as Error).message})` };
    }
    at += LENGTH_BYTES + length;
    const newline = plain.indexOf('\n');
    // Another snapshot file's records: left over from before the snapshot was rewritten.
    const header = plain.slice(0, newline);
    const refused = header === `${journal}${REFUSED_MARK}`;
    if (header !== journal && !refused) continue;
    messages.push({ message: JSON.parse(plain.slice(newline + 1)) as ConfigMessage, refused });
  }
  return { ok: true, messages, modified: (await stat(file)).mtime };
}

function deriveKey(token: string, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(token, 'utf8'), salt, HKDF_INFO, 32));
}

export function encrypt(plain: Buffer, token: string): Buffer {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(token, salt), iv);
  cipher.setAAD(MAGIC);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([MAGIC, salt, iv, cipher.getAuthTag(), body]);
}

const SLICE_BYTES = 256 * 1024;

/** encrypt(), a slice per event-loop turn (AES-GCM over 4 MB is tens of milliseconds under load). */
export async function encryptInSlices(plain: Buffer, token: string): Promise<Buffer> {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(token, salt), iv);
  cipher.setAAD(MAGIC);
  const body: Buffer[] = [];
  for (let at = 0; at < plain.length; at += SLICE_BYTES) {
    body.push(cipher.update(plain.subarray(at, at + SLICE_BYTES)));
    await new Promise((resolve) => setImmediate(resolve));
  }
  body.push(cipher.final());
  return Buffer.concat([MAGIC, salt, iv, cipher.getAuthTag(), ...body]);
}

export function decrypt(data: Buffer, token: string): Buffer {
  const header = MAGIC.length + SALT_BYTES + IV_BYTES + TAG_BYTES;
  if (data.length < header || !data.subarray(0, MAGIC.length).equals(MAGIC))
    throw new Error('not a Gatehouse backup file');
  const ivAt = MAGIC.length + SALT_BYTES;
  const tagAt = ivAt + IV_BYTES;
  const salt = data.subarray(MAGIC.length, ivAt);
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(token, salt), data.subarray(ivAt, tagAt));
  decipher.setAAD(MAGIC);
  decipher.setAuthTag(data.subarray(tagAt, header));
  return Buffer.concat([decipher.update(data.subarray(header)), decipher.final()]);
}
