/** Password hash formats basic-auth accepts, and their verification. Never plaintext. */
import argon2 from 'argon2';
import bcrypt from 'bcryptjs';

const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
// PHC string format: $argon2id$v=19$m=..,t=..,p=..$<salt>$<hash> (parameter order varies by library).
const ARGON2 = /^\$argon2(id|i|d)\$(v=\d+\$)?[a-z]=\d+(,[a-z]=\d+)*\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/;

export type HashKind = 'bcrypt' | 'argon2';

export function hashKind(hash: string): HashKind | undefined {
  if (BCRYPT.test(hash)) return 'bcrypt';
  if (ARGON2.test(hash)) return 'argon2';
  return undefined;
}

export async function verifyPassword(kind: HashKind, hash: string, password: string): Promise<boolean> {
  try {
    return kind === 'bcrypt' ? await bcrypt.compare(password, hash) : await argon2.verify(hash, password);
  } catch {
    return false;
  }
}
