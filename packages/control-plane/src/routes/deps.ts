import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { LoginThrottle } from '../auth/throttle.js';
import type { Database } from '../db/connect.js';
import type { FanOutOptions } from '../hybrid/paced-fan-out.js';
import type { Signer } from '../hybrid/signing.js';
import type { AccountsContext } from '../services/portal-accounts.js';
import type { SubscriptionListener } from '../services/subscriptions.js';

export interface RouteDeps {
  db: Database;
  /** The gateway protocol's pool (see DatabaseHandle.protocolDb). */
  protocolDb: Database;
  /** The analytics-query pool (see DatabaseHandle.analyticsDb). */
  analyticsDb: Database;
  orgId: string;
  throttle: LoginThrottle;
  sessionTtlMs: number;
  /** Signs every message sent to gateways. */
  signer: Signer;
  /** Expected time between a gateway's heartbeats; gateway status derives from it. */
  heartbeatIntervalMs: number;
  /** Comment lines keeping gateways' event streams alive through proxies. */
  eventsPingMs: number;
  /** How `changed` events are paced to gateways' streams (hybrid/paced-fan-out.ts). */
  fanOut: FanOutOptions;
  /** Portal accounts: mailer, public URL for links, sign-up throttle and settings. */
  accounts: AccountsContext;
  /** Mails application owners about subscription reviews. */
  subscriptionListener: SubscriptionListener;
}

export type App = FastifyInstance;

export function typed(app: FastifyInstance) {
  return app.withTypeProvider<TypeBoxTypeProvider>();
}
