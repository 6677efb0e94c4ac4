import { afterEach, describe, expect, it } from 'vitest';
import { FAST_PASSWORD_HASHING } from '../testing/password-hashing.js';
import { hashPassword, STRONG_PASSWORD_HASHING, setPasswordHashing, verifyPassword } from './passwords.js';

// "$argon2id$v=19$m=..,p=..,t=..$salt$hash": the cost, in any order.
const costOf = (hash: string) => hash.split('$')[3]?.split(',').sort();

describe('password hashing cost', () => {
  afterEach(() => setPasswordHashing());

  it('hashes with argon2id at production cost unless told otherwise', async () => {
    expect(STRONG_PASSWORD_HASHING).toEqual({ memoryCost: 65_536, timeCost: 3, parallelism: 4 });
    const hash = await hashPassword('violet-otter-climbs-42');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(costOf(hash)).toEqual(['m=65536', 'p=4', 't=3']);
    expect(await verifyPassword(hash, 'violet-otter-climbs-42')).toBe(true);
  });

  it('a cheap test cost applies to new hashes only; hashes of either cost verify', async () => {
    const strong = await hashPassword('violet-otter-climbs-42');
    setPasswordHashing(FAST_PASSWORD_HASHING);
    const cheap = await hashPassword('violet-otter-climbs-42');
    expect(costOf(cheap)).toEqual(['m=1024', 'p=1', 't=1']);
    expect(await verifyPassword(strong, 'violet-otter-climbs-42')).toBe(true);
    expect(await verifyPassword(cheap, 'violet-otter-climbs-42')).toBe(true);
    expect(await verifyPassword(cheap, 'violet-otter-climbs-43')).toBe(false);
    setPasswordHashing();
    expect(costOf(await hashPassword('violet-otter-climbs-42'))).toEqual(['m=65536', 'p=4', 't=3']);
  });
});
