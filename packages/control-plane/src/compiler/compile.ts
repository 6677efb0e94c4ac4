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
import { GatewayError } from '@gatehouse/core';
import { checkConfigDocument } from '@gatehouse/policies/catalog';
import { and, desc, eq, gt, inArray, isNull, or } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { apiKeys, apis, applications, deployments, environments, plans, subscriptions } from '../db/schema.js';
import { servesApi } from '../hybrid/sharding.js';
import { openSecrets } from '../secrets/keyring.js';
import type { ApiSnapshot } from '../services/apis.js';
import {
  type AssembledDocument,
  assembleApplications,
  assembleDocument,
  definitionVersionOf,
  type KeyRow,
  type SubscriptionRow,
} from './assemble.js';

export { definitionVersionOf } from './assemble.js';

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

export type CompileResult = AssembledDocument;

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
 * Rows per statement when reading subscriptions and keys. Not smaller: each statement costs a
 * round trip and a fixed share of CPU (1,000-row pages made the 100,000-key read 5x slower under
 * load); the document-build sink hands a page on in slices (document-build.ts).
 */
export const PAGE_ROWS = 5000;

/** Where the rows of a document go, page by page (an array, or the document-build worker); awaited before the next page. */
export interface RowSink {
  subscriptions(page: SubscriptionRow[]): void | Promise<void>;
  keys(page: KeyRow[]): void | Promise<void>;
}

/**
 * Reads the accepted subscriptions to `compiledApis` (by API pk) and their live keys in pages of
 * PAGE_ROWS (keyset on the id): at 100,000 keys one statement's rows took hundreds of ms to parse
 * and map in one event-loop turn; a page takes a few. `applicationIds` narrows the read to those
 * applications (credential deltas).
 */
export async function readApplicationRows(
  db: Database,
  envId: string,
  compiledApis: ReadonlyMap<string, Api>,
  options: { now?: Date; applicationIds?: string[] },
  sink: RowSink,
): Promise<void> {
  const now = options.now ?? new Date();
  const apiPks = [...compiledApis.keys()];
  if (apiPks.length === 0 || options.applicationIds?.length === 0) return;
  const subscriptionFilter = and(
    eq(subscriptions.envId, envId),
    eq(subscriptions.status, 'accepted'),
    inArray(subscriptions.apiPk, apiPks),
    options.applicationIds ? inArray(subscriptions.applicationId, options.applicationIds) : undefined,
  );
  let any = false;
  for (let after: string | undefined; ; ) {
    const page: SubscriptionRow[] = await db
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
      .where(and(subscriptionFilter, after === undefined ? undefined : gt(subscriptions.id, after)))
      .orderBy(subscriptions.id)
      .limit(PAGE_ROWS);
    if (page.length > 0) await sink.subscriptions(page);
    any ||= page.length > 0;
    if (page.length < PAGE_ROWS) break;
    after = page.at(-1)!.id;
  }
  if (!any) return;
  // A join rather than a list of subscription ids: with 100,000 keys the list would not fit a query.
  const liveKeys = and(
    subscriptionFilter,
    isNull(apiKeys.revokedAt),
    or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
  );
  for (let after: string | undefined; ; ) {
    const page: KeyRow[] = await db
      .select({
        id: apiKeys.id,
        subscriptionId: apiKeys.subscriptionId,
        keyHash: apiKeys.keyHash,
        expiresAt: apiKeys.expiresAt,
      })
      .from(apiKeys)
      .innerJoin(subscriptions, eq(subscriptions.id, apiKeys.subscriptionId))
      .where(and(liveKeys, after === undefined ? undefined : gt(apiKeys.id, after)))
      .orderBy(apiKeys.id)
      .limit(PAGE_ROWS);
    if (page.length > 0) await sink.keys(page);
    if (page.length < PAGE_ROWS) break;
    after = page.at(-1)!.id;
  }
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
  const subs: SubscriptionRow[] = [];
  const keys: KeyRow[] = [];
  await readApplicationRows(db, envId, compiledApis, options, {
    subscriptions: (page) => {
      subs.push(...page);
    },
    keys: (page) => {
      keys.push(...page);
    },
  });
  return assembleApplications(compiledApis, subs, keys);
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
  const environment = await environmentSlug(db, envId);
  const compiledApis = await loadDeployedApis(db, envId, { shardTags });
  const apisOut = [...compiledApis.values()].sort((a, b) => a.id.localeCompare(b.id));
  const definitionVersion = definitionVersionOf(apisOut);
  const definition: Omit<ConfigDocument, 'applications'> = {
    version: 1,
    apis: apisOut,
    metadata: { environment, configVersion: `d-${definitionVersion}`, compiledAt: now.toISOString() },
  };
  return { definition, definitionVersion, apis: compiledApis };
}

/** The environment's slug (what the document's metadata names), or not_found. */
export async function environmentSlug(db: Database, envId: string): Promise<string> {
  const [env] = await db
    .select({ slug: environments.slug })
    .from(environments)
    .where(eq(environments.id, envId))
    .limit(1);
  if (!env) throw new GatewayError('not_found', { detail: 'No such environment.' });
  return env.slug;
}

/** Compiles without validating; `compileEnvironmentConfig` validates. */
export async function buildEnvironmentDocument(
  db: Database,
  envId: string,
  options: CompileOptions = {},
): Promise<AssembledDocument> {
  const now = options.now ?? new Date();
  const environment = await environmentSlug(db, envId);
  const compiledApis = await loadDeployedApis(db, envId, options);
  const applicationsOut = options.definitionOnly ? [] : await compileApplications(db, envId, compiledApis, { now });
  return assembleDocument(environment, compiledApis, applicationsOut, now);
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
