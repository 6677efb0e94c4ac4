/**
 * Last-known-good config on local disk: the signed messages as received (snapshot + deltas since),
 * encrypted with AES-256-GCM under a key derived from the gateway token. GCM authenticates, so a
 * flipped bit or a truncated file fails to decrypt; the signatures are checked again on load.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readFile, stat, utimes } from 'node:fs/promises';
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

export interface BackupContent {
  /** The snapshot first, then the deltas applied on top of it, in order. */
  messages: ConfigMessage[];
  savedAt: string;
}

export type BackupLoad =
  | { ok: true; content: BackupContent; confirmedAt: Date }
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: 'unreadable'; detail: string };

export class BackupStore {
  readonly file: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    dir: string,
    private readonly token: string,
  ) {
    this.file = path.join(dir, FILE);
  }

  /**
   * Saves are serialized so an older state never lands after a newer one. The messages are written
   * as the text they were received as (no 4 MB JSON.stringify on the event loop), encrypted in slices.
   */
  save(messages: ConfigMessage[]): Promise<void> {
    const savedAt = new Date().toISOString();
    const next = this.writing.then(async () => {
      const parts: Uint8Array[] = [Buffer.from('{"messages":[')];
      messages.forEach((message, i) => {
        if (i > 0) parts.push(Buffer.from(','));
        parts.push(receivedText(message) ?? Buffer.from(JSON.stringify(message)));
      });
      parts.push(Buffer.from(`],"savedAt":${JSON.stringify(savedAt)}}`));
      await writeFileAtomic(this.file, await encryptInSlices(Buffer.concat(parts), this.token));
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
    if (!Array.isArray(content.messages) || content.messages[0]?.kind !== 'snapshot')
      return { ok: false, reason: 'unreadable', detail: 'backup does not start with a snapshot' };
    const savedAt = new Date(content.savedAt);
    const modified = (await stat(this.file)).mtime;
    return { ok: true, content, confirmedAt: modified > savedAt ? modified : savedAt };
  }
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
