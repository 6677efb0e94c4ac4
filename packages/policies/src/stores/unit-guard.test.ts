/**
 * The `unit` project's guard (vitest.unit-guard.ts) refuses Redis as it refuses PostgreSQL: a unit
 * test that opens a Redis connection fails at once, naming the rule (docs/decisions/0008-test-layout.md).
 */
import { silentLogger } from '@gatehouse/core';
import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createStores } from './index.js';
import { createFailFastClient } from './redis-client.js';

const RULE = /Redis( Cluster)? connection in a unit test.*\*\.int\.test\.ts/;

describe('unit project guard', () => {
  it('refuses a Redis connection: direct, lazy, fail-fast, Cluster, and through createStores', async () => {
    expect(() => new Redis('redis://127.0.0.1:1')).toThrow(RULE);
    const lazy = new Redis('redis://127.0.0.1:1', { lazyConnect: true });
    await expect(async () => lazy.get('k')).rejects.toThrow(RULE);
    expect(() => createFailFastClient('redis://127.0.0.1:1')).toThrow(RULE);
    expect(() => createFailFastClient('redis+cluster://127.0.0.1:1,127.0.0.1:2')).toThrow(RULE);
    expect(() => new Cluster([{ host: '127.0.0.1', port: 1 }])).toThrow(RULE);
    expect(() => createStores({ redisUrl: 'redis://127.0.0.1:1', logger: silentLogger() })).toThrow(RULE);
  });

  it('leaves in-memory stores alone', async () => {
    const stores = createStores({ logger: silentLogger() });
    expect(await stores.ready()).toBe(true);
    await stores.close();
  });
});
