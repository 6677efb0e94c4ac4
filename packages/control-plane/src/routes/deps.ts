import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { LoginThrottle } from '../auth/throttle.js';
import type { Database } from '../db/connect.js';

export interface RouteDeps {
  db: Database;
  orgId: string;
  throttle: LoginThrottle;
  sessionTtlMs: number;
}

export type App = FastifyInstance;

export function typed(app: FastifyInstance) {
  return app.withTypeProvider<TypeBoxTypeProvider>();
}
