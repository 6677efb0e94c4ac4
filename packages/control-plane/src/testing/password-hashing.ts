import type { PasswordHashing } from '../auth/passwords.js';

/**
 * The cheapest argon2id cost the library accepts (1 MiB, one pass, one lane): for test control
 * planes, passed explicitly as `passwordHashing`, so a suite that signs up and logs in hundreds of
 * users does not spend minutes in argon2. Production never uses it (see STRONG_PASSWORD_HASHING).
 */
export const FAST_PASSWORD_HASHING: Readonly<PasswordHashing> = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
