import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isSealed,
  loadOrCreateKeyFile,
  loadSecretBox,
  parseSecretKey,
  SecretBox,
  SecretKeyError,
} from './secret-box.js';

describe('secret box', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips and never yields the same ciphertext twice', () => {
    const a = box.seal('hmac-secret-of-at-least-32-bytes!!');
    const b = box.seal('hmac-secret-of-at-least-32-bytes!!');
    expect(isSealed(a)).toBe(true);
    expect(a).not.toBe(b);
    expect(a).not.toContain('hmac');
    expect(a.split(':')[2]).toBe(box.keyId);
    expect(box.open(a)).toBe('hmac-secret-of-at-least-32-bytes!!');
    expect(box.sealOnce(a)).toBe(a);
  });

  it('refuses another key, a re-labelled key id and altered ciphertext', () => {
    const sealed = box.seal('s3cret');
    const other = new SecretBox(randomBytes(32));
    expect(() => other.open(sealed)).toThrow(/sealed under key .* configured key is/);
    const relabelled = sealed.replace(box.keyId, other.keyId);
    expect(() => other.open(relabelled)).toThrow(SecretKeyError);
    const parts = sealed.split(':');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[4] = body.toString('base64url');
    expect(() => box.open(parts.join(':'))).toThrow(/does not decrypt/);
  });

  it('parses keys as base64 or hex, 32 bytes only', () => {
    const key = randomBytes(32);
    expect(parseSecretKey(key.toString('base64'))).toEqual(key);
    expect(parseSecretKey(key.toString('base64url'))).toEqual(key);
    expect(parseSecretKey(key.toString('hex'))).toEqual(key);
    expect(() => parseSecretKey(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
    expect(() => parseSecretKey('password')).toThrow(SecretKeyError);
  });

  it('loads from the environment or a file, and creates a 0600 key file once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-key-'));
    const path = join(dir, 'sub', 'secret.key');
    const first = await loadOrCreateKeyFile(path);
    expect(first.created).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateKeyFile(path);
    expect(second.created).toBe(false);
    expect(second.box.keyId).toBe(first.box.keyId);
    const fromFile = await loadSecretBox({ file: path });
    expect(fromFile?.keyId).toBe(first.box.keyId);
    const fromEnv = await loadSecretBox({ key: (await readFile(path, 'utf8')).trim() });
    expect(fromEnv?.open(first.box.seal('x'))).toBe('x');
    expect(await loadSecretBox({})).toBeUndefined();
    await expect(loadSecretBox({ file: join(dir, 'missing') })).rejects.toThrow(/cannot read/);
  });
});
