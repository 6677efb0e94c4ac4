/**
 * Password hash formats basic-auth accepts, and their verification. Never plaintext.
 *
 * Both are native and run on the libuv thread pool, never on the event loop: a bcrypt check costs
 * tens of milliseconds of CPU, and pure JavaScript bcrypt let 8 clients with wrong passwords raise
 * every API's latency to a second. The pool is shared with file, DNS and zlib work, so at most
 * MAX_CONCURRENT checks run at once and at most MAX_WAITING wait; beyond that the caller is told
 * to come back (503) at once rather than queued without bound.
 */
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import bcrypt from 'bcrypt';
import type { HashKind } from './hash-format.js';

export { type HashKind, hashKind, verifiableHash } from './hash-format.js';

/**
 * At most half of libuv's default pool of 4 (the rest stays free for files, DNS and compression),
 * and one core less than the machine has, so the event loop keeps a core to itself.
 */
export const MAX_CONCURRENT_VERIFICATIONS = Math.max(1, Math.min(2, availableParallelism() - 1));
export const MAX_WAITING_VERIFICATIONS = 32;

/** Counting semaphore with a bounded wait list, shared by every basic-auth policy of the process. */
class VerificationSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
  ) {}

  /** Resolves when a slot is free; undefined when even the wait list is full. */
  acquire(): Promise<void> | undefined {
    if (this.running < this.maxRunning) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxWaiting) return undefined;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter.
    if (next) next();
    else this.running--;
  }
}

const slots = new VerificationSlots(MAX_CONCURRENT_VERIFICATIONS, MAX_WAITING_VERIFICATIONS);

/**
 * True or false once verified; `'busy'` when too many verifications are running and waiting
 * (the caller answers 503 without verifying).
 */
export function verifyPassword(kind: HashKind, hash: string, password: string): Promise<boolean | 'busy'> {
  const slot = slots.acquire();
  if (slot === undefined) return Promise.resolve('busy');
  return slot
    .then(() => (kind === 'bcrypt' ? bcrypt.compare(password, hash) : argon2.verify(hash, password)))
    .catch(() => false)
    .finally(() => slots.release());
}
