/**
 * Login throttling, per (account, client address), in the database so every replica shares the
 * counts. A pair gets `freeAttempts` failures; each further failure locks the pair for an
 * exponentially growing time (base, 2x base, 4x base, ... up to `maxLockMs`). The legitimate owner
 * signing in from another address is not locked out by someone guessing from elsewhere. An address
 * trying many accounts (password spraying) is throttled the same way with account `*` and a larger
 * allowance. A success clears the pair; counts older than `resetAfterMs` start over.
 */
import { GatewayError } from '@gatehouse/core';
import { and, eq, gt, inArray, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { loginThrottle } from '../db/schema.js';

export interface ThrottleOptions {
  /** Failures of one account from one address before locking starts. */
  freeAttempts: number;
  /** Failures from one address over all accounts before that address is locked. */
  freeAttemptsPerAddress: number;
  /** First lock; doubles with each further failure. */
  baseLockMs: number;
  maxLockMs: number;
  /** A pair without failures for this long starts over. */
  resetAfterMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeAttempts: 5,
  freeAttemptsPerAddress: 30,
  baseLockMs: 30_000,
  maxLockMs: 15 * 60_000,
  resetAfterMs: 60 * 60_000,
};

const ANY_ACCOUNT = '*';

export function lockDuration(options: ThrottleOptions, failures: number, free: number): number {
  if (failures < free) return 0;
  return Math.min(options.maxLockMs, options.baseLockMs * 2 ** Math.min(failures - free, 30));
}

export class LoginThrottle {
  constructor(
    private readonly db: Database,
    private readonly options: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws 429 (with Retry-After) while the pair, or the address as a whole, is locked. */
  async check(account: string, address: string): Promise<void> {
    const now = new Date(this.now());
    const [row] = await this.db
      .select({ until: sql<Date | string | null>`max(${loginThrottle.lockedUntil})` })
      .from(loginThrottle)
      .where(
        and(
          eq(loginThrottle.address, address),
          inArray(loginThrottle.account, [account, ANY_ACCOUNT]),
          gt(loginThrottle.lockedUntil, now),
        ),
      );
    if (!row?.until) return;
    const until = new Date(row.until).getTime();
    throw new GatewayError('too_many_requests', {
      detail: 'Too many failed sign-in attempts from this address; try again later.',
      headers: { 'retry-after': String(Math.max(1, Math.ceil((until - now.getTime()) / 1000))) },
    });
  }

  /**
   * For actions limited by how often they happen rather than by failures (portal sign-up, reset
   * mails): throws 429 while any key is locked, else counts this attempt under every key. Each key
   * gets `free` attempts per reset window, then locks as failures do.
   */
  async attempt(keys: { account: string; address: string; free: number }[], detail: string): Promise<void> {
    const now = new Date(this.now());
    const [row] = await this.db
      .select({ until: sql<Date | string | null>`max(${loginThrottle.lockedUntil})` })
      .from(loginThrottle)
      .where(
        and(
          or(...keys.map((k) => and(eq(loginThrottle.account, k.account), eq(loginThrottle.address, k.address)))),
          gt(loginThrottle.lockedUntil, now),
        ),
      );
    if (row?.until) {
      const until = new Date(row.until).getTime();
      throw new GatewayError('too_many_requests', {
        detail,
        headers: { 'retry-after': String(Math.max(1, Math.ceil((until - now.getTime()) / 1000))) },
      });
    }
    for (const key of keys) await this.count(key.account, key.address, key.free);
    if (Math.random() < 0.01) await this.prune();
  }

  async fail(account: string, address: string): Promise<void> {
    await this.count(account, address, this.options.freeAttempts);
    await this.count(ANY_ACCOUNT, address, this.options.freeAttemptsPerAddress);
    // Now and then, forget idle pairs so the table stays the size of recent failures.
    if (Math.random() < 0.01) await this.prune();
  }

  async succeed(account: string, address: string): Promise<void> {
    await this.db
      .delete(loginThrottle)
      .where(and(eq(loginThrottle.account, account), eq(loginThrottle.address, address)));
  }

  /** Forgets pairs idle for longer than the reset time (called from time to time, e.g. by retention). */
  async prune(): Promise<void> {
    await this.db
      .delete(loginThrottle)
      .where(lt(loginThrottle.lastFailureAt, new Date(this.now() - this.options.resetAfterMs)));
  }

  // One atomic upsert: replicas counting the same pair at once both count.
  private async count(account: string, address: string, free: number): Promise<void> {
    const now = new Date(this.now());
    const stale = new Date(now.getTime() - this.options.resetAfterMs);
    const [row] = await this.db
      .insert(loginThrottle)
      .values({ account, address, failures: 1, lastFailureAt: now })
      .onConflictDoUpdate({
        target: [loginThrottle.account, loginThrottle.address],
        set: {
          failures: sql`CASE WHEN ${loginThrottle.lastFailureAt} < ${stale.toISOString()} ::timestamptz THEN 1 ELSE ${loginThrottle.failures} + 1 END`,
          lastFailureAt: now,
        },
      })
      .returning({ failures: loginThrottle.failures });
    const lockMs = lockDuration(this.options, row?.failures ?? 1, free);
    if (lockMs === 0) return;
    await this.db
      .update(loginThrottle)
      .set({ lockedUntil: new Date(now.getTime() + lockMs) })
      .where(and(eq(loginThrottle.account, account), eq(loginThrottle.address, address)));
  }
}
