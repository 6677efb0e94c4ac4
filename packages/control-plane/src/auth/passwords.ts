import argon2 from 'argon2';

export const PASSWORD_MIN_LENGTH = 12;
// Bounded so a huge "password" cannot make argon2 the cheapest denial of service.
export const PASSWORD_MAX_LENGTH = 256;

/** argon2id cost: memory in KiB, passes, lanes. A stored hash carries its own, so verifying needs none. */
export interface PasswordHashing {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** Production's cost (the argon2 package's defaults: 64 MiB, 3 passes, 4 lanes; above OWASP's minimum). */
export const STRONG_PASSWORD_HASHING: Readonly<PasswordHashing> = { memoryCost: 65_536, timeCost: 3, parallelism: 4 };

let hashing: Readonly<PasswordHashing> = STRONG_PASSWORD_HASHING;
// The hash burnPasswordCheck verifies against, made at the current cost.
let dummyHash: Promise<string> | undefined;

/**
 * Sets the cost of new hashes for this process. Only tests pass anything but the strong default
 * (through the explicit `passwordHashing` option of buildApp / startControlPlane), so that a suite
 * that signs up hundreds of users does not spend minutes in argon2.
 */
export function setPasswordHashing(cost: Readonly<PasswordHashing> = STRONG_PASSWORD_HASHING): void {
  if (cost === hashing) return;
  hashing = cost;
  dummyHash = undefined;
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id, ...hashing });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** Spends the same time as a real check, so response time does not tell which e-mails exist. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('gatehouse-dummy-password');
  await verifyPassword(await dummyHash, password);
}

// The most used passwords that pass the length rule; a guesser tries these first.
const COMMON = new Set([
  'password1234',
  'password12345',
  'password123456',
  'passwordpassword',
  '123456789012',
  '1234567890123',
  '12345678901234',
  'qwertyuiopasdf',
  'qwertyuiop123',
  'qwerty123456',
  'iloveyou1234',
  'administrator',
  'letmein12345',
  'welcome12345',
  'changeme1234',
  'trustno1trustno1',
  'abcdefghijkl',
  'abc123abc123',
  '111111111111',
  '000000000000',
  'correcthorsebatterystaple',
  'correct-horse-battery-staple',
]);

/**
 * Why a new password is too weak, or null. Length bounds as everywhere; then the common-password
 * list, one repeated character or a short repeated pattern, and the e-mail address (or its local
 * part) as the password.
 */
export function passwordWeakness(password: string, email?: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `must have at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must have at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return 'is a commonly used password';
  if (/^(.{1,4})\1+$/.test(lower)) return 'is a repeated pattern';
  if (email) {
    const address = email.trim().toLowerCase();
    const local = address.split('@')[0] ?? '';
    if (
      lower.includes(address) ||
      (local.length >= 4 && lower.replace(/[^a-z0-9]/g, '') === local.replace(/[^a-z0-9]/g, ''))
    )
      return 'must not be your e-mail address';
  }
  return null;
}
