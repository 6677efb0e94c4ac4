/**
 * Counters shared by every gateway through Redis: one atomic script call per hit (EVALSHA through
 * ioredis defineCommand, which sends EVAL on each new connection and after NOSCRIPT, so a restarted
 * Redis or a new Cluster node or promoted replica gets the script; one key per call, see counterKey). Errors propagate; the
 * resilient wrapper decides what to do with them.
 */

import type { CounterStore, HitRequest, HitResult } from '../sdk/counters/types.js';
import { ADD_SCRIPT, FIXED_WINDOW_SCRIPT, SLIDING_WINDOW_SCRIPT } from './lua.js';
import type { RedisClient } from './redis-client.js';
import { toHitResult } from './window.js';

type WindowReply = [current: number, previous: number, elapsed: number, admitted: number];

/** The custom commands defineCommand adds to the client. */
interface CounterCommands {
  gatehouseFixedWindow(key: string, ...args: Array<string | number>): Promise<WindowReply>;
  gatehouseSlidingWindow(key: string, ...args: Array<string | number>): Promise<WindowReply>;
  gatehouseAdd(key: string, ...args: Array<string | number>): Promise<number>;
}

export interface RedisCounterStoreOptions {
  /** Prefix of every counter key, e.g. `gatehouse:` (tests use a unique one per run). */
  keyPrefix?: string;
}

export class RedisCounterStore implements CounterStore {
  readonly kind = 'redis' as const;
  private readonly commands: CounterCommands;
  private readonly keyPrefix: string;

  constructor(
    readonly client: RedisClient,
    options: RedisCounterStoreOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? 'gatehouse:';
    client.defineCommand('gatehouseFixedWindow', { numberOfKeys: 1, lua: FIXED_WINDOW_SCRIPT });
    client.defineCommand('gatehouseSlidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW_SCRIPT });
    client.defineCommand('gatehouseAdd', { numberOfKeys: 1, lua: ADD_SCRIPT });
    this.commands = client as unknown as CounterCommands;
  }

  hit(request: HitRequest): Promise<HitResult> {
    return this.run(request, false);
  }

  peek(request: HitRequest): Promise<HitResult> {
    return this.run(request, true);
  }

  async add(key: string, windowMs: number, delta: number, windowStartMs?: number): Promise<number> {
    return Number(await this.commands.gatehouseAdd(this.redisKey(key), windowMs, delta, 0, windowStartMs ?? 0));
  }

  async close(): Promise<void> {
    await quit(this.client);
  }

  private async run(request: HitRequest, peek: boolean): Promise<HitResult> {
    const script = request.algorithm === 'sliding' ? 'gatehouseSlidingWindow' : 'gatehouseFixedWindow';
    const [current, previous, elapsed, admitted] = await this.commands[script](
      this.redisKey(request.key),
      request.windowMs,
      request.limit,
      request.cost ?? 1,
      request.windowStartMs ?? 0,
      peek ? 1 : 0,
    );
    const outcome = peek ? 'peek' : admitted === 1 ? 'admitted' : 'refused';
    return toHitResult(request.algorithm, { current, previous, elapsed }, request, outcome, false);
  }

  /** The Redis key of a counter (what a Cluster routes by). */
  redisKey(key: string): string {
    return counterKey(this.keyPrefix, key);
  }
}

/**
 * The Redis key of a counter. The key sits in a hash tag so the per-window keys the scripts derive
 * from it (`<base>:<window start>`) share its Cluster slot. Redis takes the tag up to the first `}`:
 * a key starting with `}` makes an empty tag, the whole name is hashed, the derived keys land in other
 * slots and the script fails (non-local key). Such keys, and only those, are base64url-encoded under
 * `counter:b:`, which no plain key can equal (plain keys continue with `{`); every other key is
 * unchanged. (A `}` later in the key only shortens the tag, which stays the same for derived keys.)
 */
export function counterKey(prefix: string, key: string): string {
  if (!key.startsWith('}')) return `${prefix}counter:{${key}}`;
  return `${prefix}counter:b:{${Buffer.from(key).toString('base64url')}}`;
}

/**
 * QUIT when connected (lets replies drain), else drop the socket and stop reconnecting. The final
 * disconnect also closes what QUIT leaves behind: a Sentinel client's `+switch-master` subscriptions,
 * which would otherwise keep the process alive after the gateway closed.
 */
export async function quit(client: RedisClient): Promise<void> {
  if (client.status === 'ready') await client.quit().catch(() => undefined);
  client.disconnect();
}
