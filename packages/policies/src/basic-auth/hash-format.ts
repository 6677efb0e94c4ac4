/**
 * The password hash formats basic-auth accepts, recognised without the native modules that verify them, so the
 * contract's write-time check (and the light catalog entry point) can run them.
 */
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
// PHC string format: $argon2id$v=19$m=..,t=..,p=..$<salt>$<hash> (parameter order varies by library).
const ARGON2 = /^\$argon2(id|i|d)\$(v=\d+\$)?[a-z]=\d+(,[a-z]=\d+)*\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/;

export type HashKind = 'bcrypt' | 'argon2';

export function hashKind(hash: string): HashKind | undefined {
  if (BCRYPT.test(hash)) return 'bcrypt';
  if (ARGON2.test(hash)) return 'argon2';
  return undefined;
}

/** The form the native module verifies: PHP's `$2y$` is the same algorithm as `$2b$`. */
export function verifiableHash(kind: HashKind, hash: string): string {
  return kind === 'bcrypt' && hash.startsWith('$2y$') ? `$2b$${hash.slice(4)}` : hash;
}
