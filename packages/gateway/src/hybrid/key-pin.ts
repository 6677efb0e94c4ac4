import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { type TrustedKey, trustedKey } from './signature.js';

const PIN_FILE = 'control-plane-key.json';

/**
 * Trust on first use: the first control-plane signing key a gateway sees is pinned in its backup
 * directory; later messages signed by another key are refused (delete the file to re-pin after a
 * deliberate key change, or pin explicitly with GATEHOUSE_CP_PUBLIC_KEY).
 */
export async function readPinnedKey(dir: string): Promise<TrustedKey | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, PIN_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const pinned = JSON.parse(text) as { keyId?: string; publicKeyPem?: string };
  if (typeof pinned.publicKeyPem !== 'string') throw new Error(`${PIN_FILE} has no publicKeyPem`);
  return trustedKey(pinned.publicKeyPem, pinned.keyId);
}

export async function pinKey(dir: string, key: { keyId: string; publicKeyPem: string }): Promise<TrustedKey> {
  const trusted = trustedKey(key.publicKeyPem, key.keyId);
  await writeFileAtomic(
    path.join(dir, PIN_FILE),
    `${JSON.stringify({ keyId: key.keyId, alg: 'Ed25519', publicKeyPem: key.publicKeyPem }, null, 2)}\n`,
  );
  return trusted;
}
