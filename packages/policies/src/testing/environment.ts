/**
 * The environment policies are created with in unit tests: what the gateway's compiler passes at
 * load (real CEL, memory stores, the gateway's default body buffer), plus a logger whose lines a
 * test can read, and the SecurityEnvironment of plan security types (jwt, oauth2, mtls).
 */
import { resolve } from 'node:path';
import { type Logger, silentLogger } from '@gatehouse/core';
import { pino } from 'pino';
import { validatePolicyConfig } from '../sdk/define.js';
import { compileExpression } from '../sdk/expression.js';
import type {
  ApplicationInfo,
  CredentialLookup,
  PolicyDefinition,
  PolicyEnvironment,
  PolicyHandlers,
  SecurityEnvironment,
  SubscriptionInfo,
} from '../sdk/types.js';
import { MemoryResponseCacheStore } from '../stores/memory-cache.js';
import { MemoryCounterStore } from '../stores/memory-counters.js';

const GATEWAY_MAX_BODY_BUFFER = 10 * 1024 * 1024;

/** Fresh memory stores per call: two environments share counters only when a test passes the same store. */
export function testPolicyEnv(overrides: Partial<PolicyEnvironment> = {}): PolicyEnvironment {
  return {
    scope: { kind: 'api', apiId: 'test-api', key: 'test-api/policy#0' },
    logger: silentLogger(),
    counters: new MemoryCounterStore(),
    responseCache: new MemoryResponseCacheStore(),
    compileExpression,
    resolvePath: (path) => resolve(process.cwd(), path),
    api: { id: 'test-api', name: 'Test API', basePath: '/test' },
    maxBodyBuffer: GATEWAY_MAX_BODY_BUFFER,
    ...overrides,
  };
}

/** Validates the config (filling defaults) and creates the handlers, as the gateway's compiler does at load. */
export function createPolicy<Config>(
  definition: PolicyDefinition<Config>,
  config: unknown,
  env: PolicyEnvironment = testPolicyEnv(),
): PolicyHandlers {
  return definition.create(validatePolicyConfig<Config>(definition, config, 'config'), env);
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** pino's number for `warn`, to pick warnings out of captured lines. */
export const WARN = 40;

/** A real pino logger (every level) whose JSON lines are collected in `lines`. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

export interface TestApplication extends ApplicationInfo {
  certificates?: string[];
}

export function subscriptionOf(application: TestApplication, planId = 'gold'): SubscriptionInfo {
  return { id: `${application.id}:test-api:${planId}`, apiId: 'test-api', planId, application };
}

/** Lookups over applications that are all subscribed (accepted) to the test API. */
export function lookupOver(applications: TestApplication[]): CredentialLookup {
  return {
    apiKey: () => undefined,
    clientId: (clientId) => {
      const app = applications.find((a) => a.clientId === clientId);
      return app && subscriptionOf(app);
    },
    certificate: (identity) => {
      const app = applications.find((a) => a.certificates?.includes(identity));
      return app && subscriptionOf(app);
    },
    application: (id) => {
      const app = applications.find((a) => a.id === id);
      return app && subscriptionOf(app);
    },
  };
}

const unused = (what: string) =>
  new Proxy(
    {},
    {
      get() {
        throw new Error(`${what} is not available in this test environment`);
      },
    },
  );

export function securityEnv(
  options: { applications?: TestApplication[]; logger?: Logger; resolvePath?: (p: string) => string } = {},
): SecurityEnvironment {
  return {
    apiId: 'test-api',
    planIds: ['gold'],
    lookup: lookupOver(options.applications ?? []),
    logger: options.logger ?? silentLogger(),
    counters: unused('counters') as SecurityEnvironment['counters'],
    responseCache: unused('responseCache') as SecurityEnvironment['responseCache'],
    compileExpression,
    resolvePath: options.resolvePath ?? ((p) => p),
    maxBodyBuffer: GATEWAY_MAX_BODY_BUFFER,
  };
}
