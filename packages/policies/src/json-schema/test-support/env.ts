/**
 * Test helpers shared by this assignment's policy tests: a PolicyEnvironment with in-memory
 * stand-ins, a logger whose lines can be inspected, and config validation as the gateway does it.
 */
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { type Logger, silentLogger } from '@gatehouse/core';
import { pino } from 'pino';
import type { CounterStore } from '../../sdk/counters/types.js';
import { validatePolicyConfig } from '../../sdk/define.js';
import { compileExpression } from '../../sdk/expression.js';
import type { PolicyDefinition, PolicyEnvironment, PolicyHandlers } from '../../sdk/types.js';
import { MemoryResponseCacheStore } from '../../stores/memory-cache.js';

const noCounters: CounterStore = {
  kind: 'memory',
  hit: () => {
    throw new Error('counters are not used by this policy');
  },
  peek: () => {
    throw new Error('counters are not used by this policy');
  },
  add: async () => {
    throw new Error('counters are not used by this policy');
  },
  close: async () => {},
};

export function testEnv(overrides: Partial<PolicyEnvironment> = {}): PolicyEnvironment {
  return {
    scope: { kind: 'route', apiId: 'test-api', routeId: 'r1', key: `test-api/route:r1/policy#${process.pid}` },
    logger: silentLogger(),
    counters: noCounters,
    responseCache: new MemoryResponseCacheStore(),
    compileExpression,
    resolvePath: (path) => resolve(process.cwd(), path),
    api: { id: 'test-api', name: 'Test API', basePath: '/test' },
    maxBodyBuffer: 10 * 1024 * 1024,
    ...overrides,
  };
}

/** Validates the config (filling defaults) and creates the handlers, as the gateway's compiler does. */
export function instantiate<C>(
  definition: PolicyDefinition<C>,
  config: unknown,
  env: PolicyEnvironment = testEnv(),
): PolicyHandlers {
  return definition.create(validatePolicyConfig<C>(definition, config, 'config'), env);
}

/** A pino logger whose JSON lines are collected in `lines`. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}
