/**
 * Response cache in Redis, shared by every gateway. An entry is one binary string: a 4-byte length,
 * the JSON metadata (status, headers, times, vary), then the body bytes untouched, so any body
 * (images, gzip) round-trips exactly. Redis expires the key at `expiresAt`.
 */

import type { CachedResponse, ResponseCacheStore } from '../sdk/cache-store.js';
import type { RedisClient } from './redis-client.js';
import { quit } from './redis-counters.js';

type Metadata = Omit<CachedResponse, 'body'>;

export function encodeCachedResponse(value: CachedResponse): Buffer {
  const { body, ...metadata } = value;
  const json = Buffer.from(JSON.stringify(metadata));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([length, json, body]);
}

export function decodeCachedResponse(buffer: Buffer): CachedResponse | undefined {
  if (buffer.length < 4) return undefined;
  const jsonLength = buffer.readUInt32BE(0);
  if (buffer.length < 4 + jsonLength) return undefined;
  try {
    const metadata = JSON.parse(buffer.subarray(4, 4 + jsonLength).toString()) as Metadata;
    return { ...metadata, body: Buffer.from(buffer.subarray(4 + jsonLength)) };
  } catch {
    return undefined;
  }
}

export class RedisResponseCacheStore implements ResponseCacheStore {
  readonly kind = 'redis' as const;
  private readonly keyPrefix: string;
  private readonly now: () => number;

  constructor(
    readonly client: RedisClient,
    options: { keyPrefix?: string; now?: () => number } = {},
  ) {
    this.keyPrefix = `${options.keyPrefix ?? 'gatehouse:'}cache:`;
    this.now = options.now ?? (() => Date.now());
  }

  async get(key: string): Promise<CachedResponse | undefined> {
    const raw = await this.client.getBuffer(this.redisKey(key));
    if (raw === null) return undefined;
    const value = decodeCachedResponse(raw);
    // Clocks of gateways and Redis differ a little: trust expiresAt over the key's TTL.
    if (value === undefined || value.expiresAt <= this.now()) return undefined;
    return value;
  }

  async set(key: string, value: CachedResponse): Promise<void> {
    if (value.expiresAt <= this.now()) return;
    await this.client.set(this.redisKey(key), encodeCachedResponse(value), 'PXAT', Math.ceil(value.expiresAt));
  }

  async delete(key: string): Promise<void> {
    await this.client.del(this.redisKey(key));
  }

  async close(): Promise<void> {
    await quit(this.client);
  }

  /** The Redis key of an entry (what a Cluster routes by). */
  redisKey(key: string): string {
    return this.keyPrefix + key;
  }
}
