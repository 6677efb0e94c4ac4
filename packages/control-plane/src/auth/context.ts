import { GatewayError } from '@gatehouse/core';
import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/connect.js';
import type { Action, Role } from './permissions.js';

export interface Principal {
  userId: string;
  email: string;
  isAdmin: boolean;
  tokenId: string;
  tokenKind: 'session' | 'pat';
  /** Authenticated by the console's session cookie (then `sessionToken` derives its CSRF token). */
  viaCookie?: boolean;
  sessionToken?: string;
}

export interface EnvContext {
  id: string;
  slug: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    envCtx: EnvContext | null;
  }
  interface FastifyContextConfig {
    /** Entry of the authorization table (auth/permissions.ts) this route requires. */
    action?: Action;
  }
}

/** Who is acting, as services and the audit trail need it. */
export interface Actor {
  userId: string;
  email: string;
  isAdmin: boolean;
  requestId: string;
}

/** Everything an environment-scoped service call needs. */
export interface EnvScope {
  db: Database;
  actor: Actor;
  env: EnvContext;
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new GatewayError('unauthorized');
  return request.principal;
}

export function actorOf(request: FastifyRequest): Actor {
  const p = principalOf(request);
  return { userId: p.userId, email: p.email, isAdmin: p.isAdmin, requestId: String(request.id) };
}

export function envScope(request: FastifyRequest, db: Database): EnvScope {
  if (!request.envCtx) throw new GatewayError('not_found');
  return { db, actor: actorOf(request), env: request.envCtx };
}

/** Consumers act on what they own; every other role sees the whole environment. */
export function ownOnly(scope: EnvScope): string | undefined {
  return scope.env.role === 'consumer' ? scope.actor.userId : undefined;
}
