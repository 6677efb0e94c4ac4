/** A SecurityEnvironment for unit tests of plan security types (jwt, oauth2, mtls). */
import { type Logger, silentLogger } from '@gatehouse/core';
import { compileExpression } from '../../sdk/expression.js';
import type { ApplicationInfo, CredentialLookup, SecurityEnvironment, SubscriptionInfo } from '../../sdk/types.js';

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
    maxBodyBuffer: 10 * 1024 * 1024,
  };
}
