/**
 * Secrets at rest: AES-256-GCM under a 32-byte key from the environment. Sealed values are strings
 * `ghsb:v1:<keyId>:<iv>:<ciphertext+tag>` (base64url): the version lets the format change, the key
 * id (a fingerprint, not the key) lets a keyring hold an old and a new key when the key is rotated,
 * and says which key a value needs when it cannot be opened.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export const SEALED_PREFIX = 'ghsb:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretKeyError extends Error {}

export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
}

/** Parses a key written as base64 (standard or url) or hex; it must be exactly 32 bytes. */
export function parseSecretKey(text: string, source = 'secret key'): Buffer {
  const trimmed = text.trim();
  const candidates = [
    /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : undefined,
    /^[A-Za-z0-9+/_-]{43}={0,1}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined,
  ];
  const key = candidates.find((k) => k?.length === 32);
  if (!key) {
    throw new SecretKeyError(
      `${source}: expected 32 bytes as base64 or hex (generate one with \`openssl rand -base64 32\`)`,
    );
  }
  return key;
}

export class SecretBox {
  readonly keyId: string;
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new SecretKeyError('secret key: expected 32 bytes');
    this.key = Buffer.from(key);
    this.keyId = createHash('sha256').update('gatehouse-secret-box').update(key).digest('hex').slice(0, 16);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    // The key id is authenticated: a value cannot be re-labelled to another key.
    cipher.setAAD(Buffer.from(this.keyId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${SEALED_PREFIX}${this.keyId}:${iv.toString('base64url')}:${body.toString('base64url')}`;
  }

  /** The plaintext of a sealed value; throws SecretKeyError when it was sealed under another key or altered. */
  open(sealed: string): string {
    if (!isSealed(sealed)) throw new SecretKeyError('not a sealed value');
    const [keyId, ivText, bodyText] = sealed.slice(SEALED_PREFIX.length).split(':');
    if (keyId !== this.keyId) {
      throw new SecretKeyError(
        `a secret was sealed under key ${keyId}, but the configured key is ${this.keyId}: set GATEHOUSE_SECRET_KEY (or GATEHOUSE_SECRET_KEY_FILE) to the key the data was written with`,
      );
    }
    const iv = Buffer.from(ivText ?? '', 'base64url');
    const body = Buffer.from(bodyText ?? '', 'base64url');
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SecretKeyError('malformed sealed value');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretKeyError(`a secret sealed under key ${keyId} does not decrypt (altered or wrong key)`);
    }
  }

  /** Seals unless already sealed (values read back from storage pass through unchanged). */
  sealOnce(value: string): string {
    return isSealed(value) ? value : this.seal(value);
  }
}

export interface SecretKeySource {
  /** GATEHOUSE_SECRET_KEY: the key itself (base64 or hex). */
  key?: string | undefined;
  /** GATEHOUSE_SECRET_KEY_FILE: a file holding it. */
  file?: string | undefined;
}

export function secretKeySourceFromEnv(env: NodeJS.ProcessEnv = process.env): SecretKeySource {
  return { key: env.GATEHOUSE_SECRET_KEY || undefined, file: env.GATEHOUSE_SECRET_KEY_FILE || undefined };
}

/** The box of the configured key, or undefined when neither the key nor a key file is set. */
export async function loadSecretBox(source: SecretKeySource): Promise<SecretBox | undefined> {
  if (source.key) return new SecretBox(parseSecretKey(source.key, 'GATEHOUSE_SECRET_KEY'));
  if (source.file) {
    let text: string;
    try {
      text = await readFile(source.file, 'utf8');
    } catch (error) {
      throw new SecretKeyError(
        `GATEHOUSE_SECRET_KEY_FILE: cannot read ${source.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    return new SecretBox(parseSecretKey(text, source.file));
  }
  return undefined;
}

/**
 * Reads the key file, creating it (32 random bytes, base64, mode 0600) when it does not exist.
 * `created` tells the caller to say so: losing this file makes the stored secrets unreadable.
 */
export async function loadOrCreateKeyFile(path: string): Promise<{ box: SecretBox; created: boolean }> {
  try {
    return { box: new SecretBox(parseSecretKey(await readFile(path, 'utf8'), path)), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(path), { recursive: true });
  const key = randomBytes(32);
  // 'wx': never overwrite a key another process created meanwhile.
  await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return { box: new SecretBox(key), created: true };
}
