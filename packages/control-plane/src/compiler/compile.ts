/**
 * Compiles an environment's deployed state into the gateway config document. Reusable on its own:
 * the management API serves it, and the hybrid mode will ship it to gateways.
 *
 * Rules: only the latest deployed revision of each API (its snapshot, never the live draft); retired
 * APIs left out; plans in `staging` or `closed` left out; only accepted subscriptions to plans that
 * are in the compiled document; API keys as hashes, revoked or expired ones left out, rotated ones
 * carrying their `expiresAt`. Output is sorted so the same state always yields the same document
 * and the same `configVersion`.
 */
import type { Api, Application, ConfigDocument, ConfigProblem, Plan } from '@gatehouse/config';
import { canonicalJson, GatewayError, sha256Hex } from '@gatehouse/core';
import { checkConfigDocument } from '@gatehouse/policies/catalog';
import { and, desc, eq, gt, inArray, isNull, or } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { apiKeys, apis, applications, deployments, environments, plans, subscriptions } from '../db/schema.js';
import { servesApi } from '../hybrid/sharding.js';
import { openSecrets } from '../secrets/keyring.js';
import type { ApiSnapshot } from '../services/apis.js';

export interface CompileOptions {
  now?: Date;
  /** Compile as if this API's latest revision were `snapshot` (deploy-time check of a candidate). */
  candidate?: { apiPk: string; snapshot: ApiSnapshot; revision: number };
  /** Only the APIs a gateway with these sharding tags serves (hybrid mode). */
  shardTags?: string[];
  /**
   * The definition only (`applications: []`): a deploy's check. A deploy cannot make an application
   * invalid (only subscriptions to served plans are compiled; ids and keys are unique in the database),
   * and compiling 100,000 keys inside the deploy's transaction held the management API for seconds.
   */
  definitionOnly?: boolean;
}

export interface CompileResult {
  document: ConfigDocument;
  configVersion: string;
  definitionVersion: string;
}

const SERVED_PLAN_STATUSES = new Set(['published', 'deprecated']);

export function apiFromSnapshot(stored: ApiSnapshot, revision: number): Api | null {
  if (stored.lifecycle === 'retired') return null;
  // The one place secrets are decrypted: the document gateways receive needs them in clear.
  const snapshot = openSecrets(stored);
  const servedPlans: Plan[] = snapshot.plans
    .filter((p) => SERVED_PLAN_STATUSES.has(p.status))
    .map((p) => ({
      id: p.id,
      name: p.name,
      security: { type: p.security.type, config: p.security.config },
      policies: p.policies as Plan['policies'],
      status: p.status as 'published' | 'deprecated',
    }));
  if (servedPlans.length === 0) return null;
  const api: Api = {
    id: snapshot.id,
    name: snapshot.name,
    basePath: snapshot.basePath,
    tags: snapshot.shardingTags ?? [],
    upstream: snapshot.upstream as Api['upstream'],
    policies: (snapshot.policies ?? []) as Api['policies'],
    plans: servedPlans,
    revision,
  };
  if (snapshot.description) api.description = snapshot.description;
  if (snapshot.version) api.version = snapshot.version;
  if (snapshot.stripBasePath !== null && snapshot.stripBasePath !== undefined)
    api.stripBasePath = snapshot.stripBasePath;
  if (snapshot.hosts && snapshot.hosts.length > 0) api.hosts = snapshot.hosts;
  if (snapshot.routes) api.routes = snapshot.routes as Api['routes'];
  if (snapshot.openapi) api.openapi = snapshot.openapi;
  return api;
}

/**
 * The latest deployed revision of each API of the environment, compiled (retired ones and ones
 * without a servable plan left out), by API pk. With `shardTags`, only APIs a gateway with those
 * tags serves.
 */
export async function loadDeployedApis(
  db: Database,
  envId: string,
  options: Pick<CompileOptions, 'candidate' | 'shardTags'> = {},
): Promise<Map<string, Api>> {
  const latest = await db
    .selectDistinctOn([deployments.apiPk], {
      apiPk: deployments.apiPk,
      revision: deployments.revision,
      snapshot: deployments.snapshot,
    })
    .from(deployments)
    .innerJoin(apis, eq(apis.pk, deployments.apiPk))
    .where(eq(apis.envId, envId))
    .orderBy(deployments.apiPk, desc(deployments.revision));
  const revisions = new Map(
    latest.map((d) => [d.apiPk, { revision: d.revision, snapshot: d.snapshot as unknown as ApiSnapshot }]),
  );
  if (options.candidate) revisions.set(options.candidate.apiPk, options.candidate);

  const compiledApis = new Map<string, Api>();
  for (const [apiPk, { revision, snapshot }] of revisions) {
    const api = apiFromSnapshot(snapshot, revision);
    if (!api) continue;
    if (options.shardTags && !servesApi(options.shardTags, api.tags ?? [])) continue;
    compiledApis.set(apiPk, api);
  }
  return compiledApis;
}

/**
 * Applications with their accepted subscriptions to `compiledApis` (by API pk) and live keys.
 * An application with no such subscription is left out. `applicationIds` narrows the work to
 * those applications (credential deltas).
 */
export async function compileApplications(
  db: Database,
  envId: string,
  compiledApis: Map<string, Api>,
  options: { now?: Date; applicationIds?: string[] } = {},
): Promise<Application[]> {
  const now = options.now ?? new Date();
  const apiPks = [...compiledApis.keys()];
  if (apiPks.length === 0 || options.applicationIds?.length === 0) return [];
  const subscriptionFilter = and(
    eq(subscriptions.envId, envId),
    eq(subscriptions.status, 'accepted'),
    inArray(subscriptions.apiPk, apiPks),
    options.applicationIds ? inArray(subscriptions.applicationId, options.applicationIds) : undefined,
  );
  const subs = await db
    .select({
      id: subscriptions.id,
      apiPk: subscriptions.apiPk,
      planSlug: plans.slug,
      appId: applications.id,
      appName: applications.name,
      clientId: applications.clientId,
    })
    .from(subscriptions)
    .innerJoin(plans, eq(plans.pk, subscriptions.planPk))
    .innerJoin(applications, eq(applications.id, subscriptions.applicationId))
    .where(subscriptionFilter);
  if (subs.length === 0) return [];
  // A join rather than a list of subscription ids: with 100,000 keys the list would not fit a query.
  const keys = await db
    .select({
      id: apiKeys.id,
      subscriptionId: apiKeys.subscriptionId,
      keyHash: apiKeys.keyHash,
      expiresAt: apiKeys.expiresAt,
    })
    .from(apiKeys)
    .innerJoin(subscriptions, eq(subscriptions.id, apiKeys.subscriptionId))
    .where(
      and(subscriptionFilter, isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now))),
    );
  const keysBySub = new Map<string, typeof keys>();
  for (const key of keys) {
    const list = keysBySub.get(key.subscriptionId);
    if (list) list.push(key);
    else keysBySub.set(key.subscriptionId, [key]);
  }

  const apps = new Map<string, Application>();
  for (const sub of subs) {
    const api = compiledApis.get(sub.apiPk)!;
    // A subscription to a plan not (yet) deployed, or no longer served, is not compiled.
    if (!api.plans.some((p) => p.id === sub.planSlug)) continue;
    let app = apps.get(sub.appId);
    if (!app) {
      app = { id: sub.appId, name: sub.appName, subscriptions: [] };
      if (sub.clientId) app.clientId = sub.clientId;
      apps.set(sub.appId, app);
    }
    app.subscriptions.push({
      id: sub.id,
      api: api.id,
      plan: sub.planSlug,
      status: 'accepted',
      apiKeys: (keysBySub.get(sub.id) ?? [])
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((k) =>
          k.expiresAt
            ? { id: k.id, keyHash: k.keyHash, expiresAt: k.expiresAt.toISOString() }
            : { id: k.id, keyHash: k.keyHash },
        ),
    });
  }
  const out = [...apps.values()];
  for (const app of out) app.subscriptions.sort((a, b) => a.id!.localeCompare(b.id!));
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** Hash of the deployed APIs (not the credentials): tells a gateway's definition apart from another. */
export function definitionVersionOf(apisOut: Api[]): string {
  return sha256Hex(canonicalJson(apisOut)).slice(0, 16);
}

/**
 * What a gateway serves of a stored revision, without opening its secrets: its id, the plans
 * served and its sharding tags (null when retired: not served). Definition deltas compare two.
 */
export function servedShapeOf(stored: ApiSnapshot): { id: string; plans: string[]; tags: string[] } | null {
  if (stored.lifecycle === 'retired') return null;
  return {
    id: stored.id,
    plans: stored.plans.filter((p) => SERVED_PLAN_STATUSES.has(p.status)).map((p) => p.id),
    tags: stored.shardingTags ?? [],
  };
}

/**
 * The gateway's shard of the document without its applications (a definition delta's shared part).
 * Built like buildEnvironmentDocument's; the metadata's configVersion names the definition.
 */
export async function buildDefinitionDocument(db: Database, envId: string, shardTags: string[], now = new Date()) {
  const [env] = await db
    .select({ slug: environments.slug })
    .from(environments)
    .where(eq(environments.id, envId))
    .limit(1);
  if (!env) throw new GatewayError('not_found', { detail: 'No such environment.' });
  const compiledApis = await loadDeployedApis(db, envId, { shardTags });
  const apisOut = [...compiledApis.values()].sort((a, b) => a.id.localeCompare(b.id));
  const definitionVersion = definitionVersionOf(apisOut);
  const definition: Omit<ConfigDocument, 'applications'> = {
    version: 1,
    apis: apisOut,
    metadata: { environment: env.slug, configVersion: `d-${definitionVersion}`, compiledAt: now.toISOString() },
  };
  return { definition, definitionVersion, apis: compiledApis };
}

/** Compiles without validating; `compileEnvironmentConfig` validates. */
export async function buildEnvironmentDocument(db: Database, envId: string, options: CompileOptions = {}) {
  const now = options.now ?? new Date();
  const [env] = await db
    .select({ slug: environments.slug })
    .from(environments)
    .where(eq(environments.id, envId))
    .limit(1);
  if (!env) throw new GatewayError('not_found', { detail: 'No such environment.' });

  const compiledApis = await loadDeployedApis(db, envId, options);
  const applicationsOut = options.definitionOnly ? [] : await compileApplications(db, envId, compiledApis, { now });
  const apisOut = [...compiledApis.values()].sort((a, b) => a.id.localeCompare(b.id));
  // The version hashes content only, so an unchanged state keeps its version across compilations.
  const configVersion = sha256Hex(JSON.stringify({ apis: apisOut, applications: applicationsOut })).slice(0, 16);
  const document: ConfigDocument = {
    version: 1,
    apis: apisOut,
    applications: applicationsOut,
    metadata: { environment: env.slug, configVersion, compiledAt: now.toISOString() },
  };
  return { document, configVersion, definitionVersion: definitionVersionOf(apisOut) };
}

export class InvalidCompiledDocument extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`compiled document is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
}

/**
 * The environment's deployed state as a gateway config document, checked as gateways check it:
 * structure, references, and every policy and security config (the policy catalog's checks).
 */
export async function compileEnvironmentConfig(
  db: Database,
  envId: string,
  options: CompileOptions = {},
): Promise<CompileResult> {
  const result = await buildEnvironmentDocument(db, envId, options);
  // Validation fills defaults in its own copy: the served document stays as compiled.
  const checked = checkConfigDocument(result.document);
  if (!checked.ok) throw new InvalidCompiledDocument(checked.problems);
  return result;
}
