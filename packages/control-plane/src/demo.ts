/**
 * A ready-to-use demo environment for `gatehouse up`: an `orders` API behind an api-key plan, a
 * keyless `status` API, an application subscribed to `orders` with a fresh key, and a registered
 * gateway. Created through the services as the platform admin, so it is audited like any change.
 * Safe to run on every start: what exists is reused; the API key and the gateway token are
 * replaced each time (secrets are stored hashed and shown once, so an old one cannot be shown again;
 * the previous demo key is revoked, so there is only ever one valid demo key).
 */
import { GatewayError } from '@gatehouse/core';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { EnvScope } from './auth/context.js';
import type { Database } from './db/connect.js';
import { applications, environments, gateways, organizations, subscriptions, users } from './db/schema.js';
import { createKey, listKeys, revokeKey } from './services/api-keys.js';
import { createApi, deployedRevisions, findApi, updateApi } from './services/apis.js';
import { createApplication } from './services/applications.js';
import { deploy } from './services/deployments.js';
import { registerGateway, rotateGatewayToken } from './services/gateways.js';
import { createPlan } from './services/plans.js';
import { subscribe } from './services/subscriptions.js';

export interface DemoOptions {
  /** Where the `orders` API forwards to. */
  upstreamUrl: string;
  /** Where the `status` API forwards to (default: upstreamUrl). */
  statusUpstreamUrl?: string;
  environment?: string;
  gatewayName?: string;
}

export interface DemoSetup {
  environment: string;
  gatewayId: string;
  /** Token for the demo gateway; the previous demo token (if any) stops working. */
  gatewayToken: string;
  /** A new key for `orders` (send as `x-api-key`); the previous demo key is revoked. */
  apiKey: string;
  applicationId: string;
  adminEmail: string;
  /** Only when this control plane start generated the admin password. */
  adminPassword?: string;
}

const DEMO_APP_NAME = 'Demo application';

export async function createDemoSetup(
  cp: { db: Database; generatedAdminPassword?: string | undefined },
  options: DemoOptions,
): Promise<DemoSetup> {
  const scope = await adminScope(cp.db, options.environment ?? 'default');
  await ensureDeployedApi(scope, 'orders', 'Orders', options.upstreamUrl, {
    id: 'gold',
    security: { type: 'api-key' },
  });
  await ensureDeployedApi(scope, 'status', 'Status', options.statusUpstreamUrl ?? options.upstreamUrl, {
    id: 'open',
    security: { type: 'keyless' },
  });

  const [existingApp] = await cp.db
    .select({ id: applications.id })
    .from(applications)
    .where(and(eq(applications.envId, scope.env.id), eq(applications.name, DEMO_APP_NAME)))
    .limit(1);
  const applicationId = existingApp?.id ?? (await createApplication(scope, { name: DEMO_APP_NAME })).id;
  const orders = await findApi(scope, 'orders');
  const [openSub] = await cp.db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.applicationId, applicationId),
        eq(subscriptions.apiPk, orders.pk),
        inArray(subscriptions.status, ['accepted']),
      ),
    )
    .limit(1);
  const subscriptionId =
    openSub?.id ?? (await subscribe(scope, applicationId, { apiId: 'orders', planId: 'gold' })).sub.id;
  const previousKeys = await listKeys(scope, subscriptionId, { limit: 100 });
  for (const key of previousKeys.items) await revokeKey(scope, subscriptionId, key.id);
  const { key: apiKey } = await createKey(scope, subscriptionId, {});

  const gatewayName = options.gatewayName ?? 'local';
  const [existingGateway] = await cp.db
    .select({ id: gateways.id, revokedAt: gateways.revokedAt })
    .from(gateways)
    .where(and(eq(gateways.envId, scope.env.id), eq(gateways.name, gatewayName)))
    .limit(1);
  const noPrecondition = () => undefined;
  const gateway =
    existingGateway && !existingGateway.revokedAt
      ? await rotateGatewayToken(scope, existingGateway.id, 0, noPrecondition)
      : await registerGateway(scope, { name: existingGateway ? `${gatewayName}-${Date.now()}` : gatewayName });

  return {
    environment: scope.env.slug,
    gatewayId: gateway.row.id,
    gatewayToken: gateway.token,
    apiKey,
    applicationId,
    adminEmail: scope.actor.email,
    ...(cp.generatedAdminPassword ? { adminPassword: cp.generatedAdminPassword } : {}),
  };
}

/** The first platform admin acting on `envSlug`, for setup code that runs outside a request. */
export async function adminScope(db: Database, envSlug: string): Promise<EnvScope> {
  const [org] = await db.select().from(organizations).where(eq(organizations.slug, 'default')).limit(1);
  const [admin] = await db
    .select()
    .from(users)
    .where(and(eq(users.isAdmin, true), eq(users.disabled, false)))
    .orderBy(asc(users.createdAt))
    .limit(1);
  const [env] = org
    ? await db
        .select()
        .from(environments)
        .where(and(eq(environments.orgId, org.id), eq(environments.slug, envSlug)))
        .limit(1)
    : [];
  if (!admin || !env)
    throw new GatewayError('not_found', {
      detail: `No admin or no environment "${envSlug}": start the control plane first.`,
    });
  return {
    db,
    actor: { userId: admin.id, email: admin.email, isAdmin: true, requestId: 'demo-setup' },
    env: { id: env.id, slug: env.slug, role: 'admin' },
  };
}

async function ensureDeployedApi(
  scope: EnvScope,
  id: string,
  name: string,
  upstreamUrl: string,
  plan: { id: string; security: { type: string } },
): Promise<void> {
  const existing = await findApi(scope, id).catch(() => undefined);
  const api =
    existing ??
    (await createApi(scope, {
      id,
      name,
      basePath: `/${id}`,
      upstream: { targets: [{ url: upstreamUrl }] },
      lifecycle: 'published',
      visibility: 'public',
    }));
  if (!existing) await createPlan(scope, id, plan);
  // Earlier versions pointed every demo API at the first upstream: move it to its own.
  const upstream = existing?.upstream as { targets?: Array<{ url?: string }> } | undefined;
  const moved = upstream !== undefined && upstream.targets?.[0]?.url !== upstreamUrl;
  if (moved)
    await updateApi(scope, id, () => undefined, {
      upstream: { ...upstream, targets: [{ url: upstreamUrl }] } as Parameters<typeof createApi>[1]['upstream'],
    });
  const revisions = await deployedRevisions(scope.db, [api.pk]);
  if (moved || !revisions.has(api.pk)) await deploy(scope, id, { message: 'demo setup' });
}
