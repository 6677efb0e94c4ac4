/**
 * THE authorization table: every route names one action, and this table alone says who may do it.
 * The route-walk test (authz.test.ts) calls every operation of the OpenAPI document as every role
 * and checks the answer against this table, so a route cannot drift from it.
 *
 * Scopes:
 *  - public: no credentials (login, health, the developer portal's reads).
 *  - self: any signed-in user, acting on their own account.
 *  - authenticated: any signed-in user; the handler filters what they see.
 *  - platform: platform administrators only (users, environments).
 *  - env: a member of the environment in the URL with one of `roles`; platform administrators act
 *    as `admin` everywhere. Non-members get 404 for the environment (no existence leak).
 *  - gateway: hybrid-mode endpoints (/api/v1/gateway/...), called by gateways with their gateway
 *    token, never by users: a user token gets 401 there. The environment comes from the token.
 */
export const ROLES = ['admin', 'publisher', 'viewer', 'consumer'] as const;
export type Role = (typeof ROLES)[number];

type Rule =
  | { scope: 'public' }
  | { scope: 'self' }
  | { scope: 'authenticated' }
  | { scope: 'platform' }
  | { scope: 'gateway' }
  | { scope: 'env'; roles: readonly Role[] };

const ALL: readonly Role[] = ROLES;
const MANAGERS: readonly Role[] = ['admin', 'publisher'];
const STAFF: readonly Role[] = ['admin', 'publisher', 'viewer'];
const ACTORS: readonly Role[] = ['admin', 'publisher', 'consumer'];

export const PERMISSIONS = {
  public: { scope: 'public' },
  // The developer portal's anonymous reads: only portal-enabled environments, public published APIs.
  'portal:read': { scope: 'public' },
  'portal:manage': { scope: 'env', roles: ['admin'] },
  self: { scope: 'self' },
  'users:read': { scope: 'platform' },
  'users:write': { scope: 'platform' },
  'environments:list': { scope: 'authenticated' },
  'policies:read': { scope: 'authenticated' },
  'environments:write': { scope: 'platform' },
  'environments:read': { scope: 'env', roles: ALL },
  'members:read': { scope: 'env', roles: ['admin'] },
  'members:write': { scope: 'env', roles: ['admin'] },
  // Consumers see the catalog: published, public APIs and their subscribable plans only.
  'apis:read': { scope: 'env', roles: ALL },
  'apis:write': { scope: 'env', roles: MANAGERS },
  'deployments:read': { scope: 'env', roles: STAFF },
  'deployments:write': { scope: 'env', roles: MANAGERS },
  // Consumers see and change only applications they own (and their subscriptions and keys).
  'applications:read': { scope: 'env', roles: ALL },
  'applications:write': { scope: 'env', roles: ACTORS },
  'subscriptions:read': { scope: 'env', roles: ALL },
  'subscriptions:write': { scope: 'env', roles: ACTORS },
  'subscriptions:review': { scope: 'env', roles: MANAGERS },
  'apikeys:read': { scope: 'env', roles: ALL },
  'apikeys:write': { scope: 'env', roles: ACTORS },
  'gateways:read': { scope: 'env', roles: STAFF },
  'gateways:write': { scope: 'env', roles: ['admin'] },
  // Consumers see only their own applications' traffic.
  'analytics:read': { scope: 'env', roles: ALL },
  // Gateways: pull config, signing key and change events; push heartbeats and analytics.
  'gateway:config': { scope: 'gateway' },
  'gateway:report': { scope: 'gateway' },
  // The control plane's message-signing keys (hybrid mode): rotation is a platform operation.
  'signing-keys:read': { scope: 'platform' },
  'signing-keys:write': { scope: 'platform' },
  'audit:read': { scope: 'env', roles: ['admin'] },
  'config:read': { scope: 'env', roles: STAFF },
  // Developer portal accounts: reviewing sign-ups and inviting decides who becomes a consumer.
  'portal-signups:read': { scope: 'env', roles: ['admin'] },
  'portal-signups:write': { scope: 'env', roles: ['admin'] },
} as const satisfies Record<string, Rule>;

export type Action = keyof typeof PERMISSIONS;

export function ruleOf(action: Action): Rule {
  return PERMISSIONS[action];
}

export interface Subject {
  isAdmin: boolean;
}

/**
 * The decision for a signed-in user. `envRole` is the membership role in the URL's environment
 * (already resolved; platform admins pass 'admin').
 */
export function isAllowed(action: Action, subject: Subject, envRole: Role | undefined): boolean {
  const rule: Rule = PERMISSIONS[action];
  switch (rule.scope) {
    case 'public':
    case 'self':
    case 'authenticated':
      return true;
    case 'platform':
      return subject.isAdmin;
    case 'gateway':
      return false;
    case 'env':
      return envRole !== undefined && rule.roles.includes(envRole);
  }
}
