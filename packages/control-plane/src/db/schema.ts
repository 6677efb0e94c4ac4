/**
 * Drizzle table definitions. One SQL dialect (PostgreSQL) serves both PostgreSQL and embedded PGlite.
 * The DDL lives in migrations.ts; this module only describes it to the query builder, so the two
 * must change together (schema.test.ts checks every column exists after migrating).
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

// Millisecond precision: JS Dates carry ms, so keyset cursors over timestamps round-trip exactly.
const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });
const created = () => ts('created_at').notNull().default(sql`now()`);
const updated = () => ts('updated_at').notNull().default(sql`now()`);
const rowVersion = () => integer('row_version').notNull().default(1);

export const organizations = pgTable('organizations', {
  id: uuid('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  createdAt: created(),
});

export const users = pgTable('users', {
  id: uuid('id').primaryKey(),
  orgId: uuid('org_id')
    .notNull()
    .references(() => organizations.id),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash').notNull(),
  isAdmin: boolean('is_admin').notNull().default(false),
  disabled: boolean('disabled').notNull().default(false),
  rowVersion: rowVersion(),
  createdAt: created(),
  updatedAt: updated(),
});

export const environments = pgTable('environments', {
  id: uuid('id').primaryKey(),
  orgId: uuid('org_id')
    .notNull()
    .references(() => organizations.id),
  slug: text('slug').notNull(),
  name: text('name').notNull(),
  description: text('description'),
  rowVersion: rowVersion(),
  createdAt: created(),
  updatedAt: updated(),
});

export const memberships = pgTable(
  'memberships',
  {
    envId: uuid('env_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').notNull(),
    rowVersion: rowVersion(),
    createdAt: created(),
    updatedAt: updated(),
  },
  (t) => [primaryKey({ columns: [t.envId, t.userId] })],
);

export const authTokens = pgTable('auth_tokens', {
  id: uuid('id').primaryKey(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  kind: text('kind').notNull(),
  name: text('name'),
  tokenHash: text('token_hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  expiresAt: ts('expires_at').notNull(),
  lastUsedAt: ts('last_used_at'),
  revokedAt: ts('revoked_at'),
  createdAt: created(),
});

export const apis = pgTable('apis', {
  pk: uuid('pk').primaryKey(),
  envId: uuid('env_id')
    .notNull()
    .references(() => environments.id, { onDelete: 'cascade' }),
  slug: text('slug').notNull(),
  name: text('name').notNull(),
  description: text('description'),
  version: text('version'),
  basePath: text('base_path').notNull(),
  stripBasePath: boolean('strip_base_path'),
  hosts: jsonb('hosts').$type<string[]>(),
  upstream: jsonb('upstream').$type<Record<string, unknown>>().notNull(),
  policies: jsonb('policies').$type<Record<string, unknown>[]>().notNull(),
  routes: jsonb('routes').$type<Record<string, unknown>[]>(),
  tags: jsonb('tags').$type<string[]>().notNull(),
  /** Portal metadata: the developer portal's catalog filters on them. */
  categories: jsonb('categories').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  shardingTags: jsonb('sharding_tags').$type<string[]>().notNull(),
  lifecycle: text('lifecycle').notNull(),
  visibility: text('visibility').notNull(),
  openapi: jsonb('openapi').$type<Record<string, unknown>>(),
  createdBy: uuid('created_by'),
  rowVersion: rowVersion(),
  createdAt: created(),
  updatedAt: updated(),
});

export const plans = pgTable('plans', {
  pk: uuid('pk').primaryKey(),
  apiPk: uuid('api_pk')
    .notNull()
    .references(() => apis.pk, { onDelete: 'cascade' }),
  slug: text('slug').notNull(),
  name: text('name').notNull(),
  description: text('description'),
  securityType: text('security_type').notNull(),
  securityConfig: jsonb('security_config').$type<Record<string, unknown>>().notNull(),
  policies: jsonb('policies').$type<Record<string, unknown>[]>().notNull(),
  approval: text('approval').notNull(),
  status: text('status').notNull(),
  rowVersion: rowVersion(),
  createdAt: created(),
  updatedAt: updated(),
});

export const deployments = pgTable('deployments', {
  id: uuid('id').primaryKey(),
  apiPk: uuid('api_pk')
    .notNull()
    .references(() => apis.pk, { onDelete: 'cascade' }),
  revision: integer('revision').notNull(),
  snapshot: jsonb('snapshot').$type<Record<string, unknown>>().notNull(),
  authorId: uuid('author_id'),
  authorEmail: text('author_email'),
  message: text('message'),
  rollbackOf: integer('rollback_of'),
  createdAt: created(),
});

export const applications = pgTable('applications', {
  id: uuid('id').primaryKey(),
  envId: uuid('env_id')
    .notNull()
    .references(() => environments.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  description: text('description'),
  ownerId: uuid('owner_id')
    .notNull()
    .references(() => users.id),
  clientId: text('client_id'),
  rowVersion: rowVersion(),
  createdAt: created(),
  updatedAt: updated(),
});

export const subscriptions = pgTable('subscriptions', {
  id: uuid('id').primaryKey(),
  envId: uuid('env_id')
    .notNull()
    .references(() => environments.id, { onDelete: 'cascade' }),
  applicationId: uuid('application_id')
    .notNull()
    .references(() => applications.id, { onDelete: 'cascade' }),
  apiPk: uuid('api_pk')
    .notNull()
    .references(() => apis.pk, { onDelete: 'cascade' }),
  planPk: uuid('plan_pk')
    .notNull()
    .references(() => plans.pk, { onDelete: 'cascade' }),
  status: text('status').notNull(),
  reason: text('reason'),
  requestedBy: uuid('requested_by'),
  reviewedBy: uuid('reviewed_by'),
  reviewedAt: ts('reviewed_at'),
  closedAt: ts('closed_at'),
  rowVersion: rowVersion(),
  createdAt: created(),
  updatedAt: updated(),
});

export const apiKeys = pgTable('api_keys', {
  id: uuid('id').primaryKey(),
  subscriptionId: uuid('subscription_id')
    .notNull()
    .references(() => subscriptions.id, { onDelete: 'cascade' }),
  keyHash: text('key_hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  expiresAt: ts('expires_at'),
  revokedAt: ts('revoked_at'),
  replacedBy: uuid('replaced_by'),
  createdBy: uuid('created_by'),
  createdAt: created(),
});

export const gateways = pgTable('gateways', {
  id: uuid('id').primaryKey(),
  envId: uuid('env_id')
    .notNull()
    .references(() => environments.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  tags: jsonb('tags').$type<string[]>().notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  tokenPrefix: text('token_prefix').notNull(),
  lastSeenAt: ts('last_seen_at'),
  /** After a rotation, the old token keeps working until previousTokenExpiresAt. */
  previousTokenHash: text('previous_token_hash'),
  previousTokenExpiresAt: ts('previous_token_expires_at'),
  revokedAt: ts('revoked_at'),
  rowVersion: rowVersion(),
  createdAt: created(),
  updatedAt: updated(),
});

/** Per API id: the revision a gateway reports and when it first reported it. */
export type AppliedRevisions = Record<string, { revision: number; at: string }>;
export interface GatewayCapability {
  name: string;
  version: string;
  kind: string;
}
export interface GatewayReportedError {
  at: string;
  message: string;
}

export const gatewayHeartbeats = pgTable('gateway_heartbeats', {
  gatewayId: uuid('gateway_id')
    .primaryKey()
    .references(() => gateways.id, { onDelete: 'cascade' }),
  receivedAt: ts('received_at').notNull(),
  instanceId: text('instance_id'),
  version: text('version'),
  hostname: text('hostname'),
  configVersion: text('config_version'),
  cursor: text('cursor'),
  applied: jsonb('applied').$type<AppliedRevisions>().notNull(),
  uptimeSeconds: doublePrecision('uptime_seconds'),
  requests: jsonb('requests').$type<Record<string, number>>(),
  capabilities: jsonb('capabilities').$type<GatewayCapability[]>(),
  backup: jsonb('backup').$type<Record<string, unknown>>(),
  errors: jsonb('errors').$type<GatewayReportedError[]>().notNull(),
});

export const configChanges = pgTable('config_changes', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  envId: uuid('env_id')
    .notNull()
    .references(() => environments.id, { onDelete: 'cascade' }),
  kind: text('kind').$type<'credentials' | 'definition'>().notNull(),
  applicationId: uuid('application_id'),
  apiTags: jsonb('api_tags').$type<string[]>(),
  /** Definition changes: the API deployed (or deleted) and the revision deployed (null when deleted). */
  apiPk: uuid('api_pk'),
  apiRevision: integer('api_revision'),
  createdAt: created(),
});

/** Per environment, the highest change-log sequence number pruned (hybrid/change-horizon.ts). */
export const configChangeHorizons = pgTable('config_change_horizons', {
  envId: uuid('env_id')
    .primaryKey()
    .references(() => environments.id, { onDelete: 'cascade' }),
  prunedThrough: bigint('pruned_through', { mode: 'number' }).notNull(),
});

export const signingKeys = pgTable('signing_keys', {
  id: text('id').primaryKey(),
  alg: text('alg').notNull(),
  publicKeyPem: text('public_key_pem').notNull(),
  privateKeyPem: text('private_key_pem').notNull(),
  createdAt: created(),
  retiresAt: ts('retires_at'),
});

/** Raw records, partitioned by day on `time` (see services/analytics-partitions.ts). */
export const analyticsRequests = pgTable(
  'analytics_requests',
  {
    id: uuid('id').notNull(),
    // No foreign key (migration 11): it cost a lookup per ingested record.
    envId: uuid('env_id').notNull(),
    gatewayId: uuid('gateway_id'),
    time: ts('time').notNull(),
    api: text('api'),
    plan: text('plan'),
    application: text('application'),
    subscription: text('subscription'),
    method: text('method').notNull(),
    route: text('route'),
    status: integer('status').notNull(),
    latencyMs: doublePrecision('latency_ms').notNull(),
    upstreamLatencyMs: doublePrecision('upstream_latency_ms'),
    bytesIn: bigint('bytes_in', { mode: 'number' }),
    bytesOut: bigint('bytes_out', { mode: 'number' }),
    clientIp: text('client_ip'),
    errorCode: text('error_code'),
  },
  (t) => [primaryKey({ columns: [t.time, t.id] })],
);

/**
 * Per-minute, per-hour and per-day aggregates maintained at ingest; '' stands for none in the key.
 * `latencyHist` is a services/latency-histogram.ts histogram.
 */
export const analyticsRollups = pgTable(
  'analytics_rollups',
  {
    envId: uuid('env_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    grain: integer('grain').notNull(),
    bucket: ts('bucket').notNull(),
    api: text('api').notNull(),
    plan: text('plan').notNull(),
    application: text('application').notNull(),
    status: integer('status').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
    errors: bigint('errors', { mode: 'number' }).notNull(),
    latencySum: doublePrecision('latency_sum').notNull(),
    latencyHist: integer('latency_hist').array().notNull(),
  },
  (t) => [primaryKey({ columns: [t.envId, t.grain, t.bucket, t.api, t.plan, t.application, t.status] })],
);

export const auditEvents = pgTable('audit_events', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  id: uuid('id').notNull().unique(),
  // No foreign keys: the trail must outlive what it describes.
  envId: uuid('env_id'),
  actorId: uuid('actor_id'),
  actorEmail: text('actor_email'),
  action: text('action').notNull(),
  entityType: text('entity_type').notNull(),
  entityId: text('entity_id').notNull(),
  diff: jsonb('diff').$type<Record<string, unknown>>().notNull(),
  requestId: text('request_id'),
  createdAt: created(),
});

export const loginThrottle = pgTable(
  'login_throttle',
  {
    account: text('account').notNull(),
    address: text('address').notNull(),
    failures: integer('failures').notNull(),
    lastFailureAt: ts('last_failure_at').notNull(),
    lockedUntil: ts('locked_until'),
  },
  (t) => [primaryKey({ columns: [t.account, t.address] })],
);

export const portalSettings = pgTable('portal_settings', {
  envId: uuid('env_id')
    .primaryKey()
    .references(() => environments.id, { onDelete: 'cascade' }),
  enabled: boolean('enabled').notNull().default(false),
  /** Shown as the portal's title; the environment's name when null. */
  name: text('name'),
  /** A validated `data:image/...;base64,` URL (see services/portal-settings.ts). */
  logo: text('logo'),
  primaryColor: text('primary_color').notNull(),
  homeMarkdown: text('home_markdown').notNull(),
  signup: text('signup').$type<'open' | 'approval' | 'invitation'>().notNull(),
  tryItBaseUrl: text('try_it_base_url'),
  rowVersion: rowVersion(),
  createdAt: created(),
  updatedAt: updated(),
});

export const apiPages = pgTable('api_pages', {
  id: uuid('id').primaryKey(),
  apiPk: uuid('api_pk')
    .notNull()
    .references(() => apis.pk, { onDelete: 'cascade' }),
  slug: text('slug').notNull(),
  title: text('title').notNull(),
  /** Stored as written: the portal sanitises when it renders. */
  markdown: text('markdown').notNull(),
  position: integer('position').notNull(),
  rowVersion: rowVersion(),
  createdAt: created(),
  updatedAt: updated(),
});

export const portalSignups = pgTable('portal_signups', {
  id: uuid('id').primaryKey(),
  envId: uuid('env_id')
    .notNull()
    .references(() => environments.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
  email: text('email').notNull(),
  name: text('name').notNull(),
  status: text('status').notNull(),
  reason: text('reason'),
  reviewedBy: uuid('reviewed_by'),
  reviewedAt: ts('reviewed_at'),
  createdAt: created(),
  updatedAt: updated(),
});

export const portalTokens = pgTable('portal_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  // Names an invitation in the management API (the hash is never shown).
  id: uuid('id').notNull().defaultRandom(),
  kind: text('kind').notNull(),
  envId: uuid('env_id')
    .notNull()
    .references(() => environments.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
  email: text('email').notNull(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
  createdBy: uuid('created_by'),
  createdAt: created(),
});

export const schema = {
  organizations,
  users,
  environments,
  memberships,
  authTokens,
  apis,
  plans,
  deployments,
  applications,
  subscriptions,
  apiKeys,
  gateways,
  gatewayHeartbeats,
  configChanges,
  configChangeHorizons,
  signingKeys,
  analyticsRequests,
  analyticsRollups,
  auditEvents,
  loginThrottle,
  portalSettings,
  apiPages,
  portalSignups,
  portalTokens,
};
