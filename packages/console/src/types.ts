/** Shapes of the management API answers the console reads (see /api/v1/openapi.json). */
export type { ApiKey, Application, Subscription } from '@gatehouse/ui';
export type Role = 'admin' | 'publisher' | 'viewer' | 'consumer';

export interface User {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
  disabled: boolean;
  createdAt: string;
}

export interface SessionInfo {
  user: User;
  csrfToken: string | null;
  platformActions: string[];
  environments: { id: string; name: string; role: Role; actions: string[] }[];
}

export interface PolicyRef {
  policy: string;
  id?: string;
  enabled?: boolean;
  when?: string;
  config?: Record<string, unknown>;
}

export interface Route {
  path: string;
  methods?: string[];
  policies?: PolicyRef[];
  [key: string]: unknown;
}

export interface Api {
  id: string;
  name: string;
  description: string | null;
  version: string | null;
  basePath: string;
  stripBasePath: boolean | null;
  hosts: string[] | null;
  upstream: {
    targets: { url: string; weight?: number }[];
    loadBalancing?: string;
    timeouts?: { connect?: string; response?: string; idle?: string };
    [key: string]: unknown;
  };
  policies: PolicyRef[];
  routes: Route[] | null;
  tags: string[];
  /** Developer portal categories. */
  categories: string[];
  shardingTags: string[];
  lifecycle: 'draft' | 'published' | 'deprecated' | 'retired';
  visibility: 'public' | 'private';
  deployedRevision: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface Plan {
  id: string;
  name: string;
  description: string | null;
  security: { type: string; config: Record<string, unknown> };
  policies: PolicyRef[];
  approval: 'auto' | 'manual';
  status: 'staging' | 'published' | 'deprecated' | 'closed';
  createdAt: string;
  updatedAt: string;
}

export interface Deployment {
  revision: number;
  author: { id: string | null; email: string | null };
  message: string | null;
  rollbackOf: number | null;
  current: boolean;
  rollout: { applied: number; total: number; gateways: { id: string; name: string; appliedAt: string }[] };
  createdAt: string;
  definition?: Record<string, unknown>;
}

export interface Gateway {
  id: string;
  name: string;
  tags: string[];
  status: 'online' | 'stale' | 'offline' | 'never-seen' | 'revoked';
  lastHeartbeatAt: string | null;
  version: string | null;
  hostname: string | null;
  configVersion: string | null;
  appliedRevisions: Record<string, number>;
  errors: { at?: string; message?: string; [key: string]: unknown }[];
  createdAt: string;
  token?: string;
}

export interface Aggregate {
  total: number;
  byStatusClass: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>;
  latency: { p50: number | null; p95: number | null; p99: number | null };
}

export interface Analytics extends Aggregate {
  from: string;
  to: string;
  interval: string;
  buckets: (Aggregate & { start: string })[];
  groups?: (Aggregate & { key: string | null })[];
}

export interface AuditEntry {
  id: string;
  action: string;
  entityType: string;
  entityId: string;
  actor: { id: string | null; email: string | null };
  diff: Record<string, { from?: unknown; to?: unknown }> | null;
  requestId: string | null;
  createdAt: string;
}

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
}

export interface PolicyInfo {
  name: string;
  description: string;
  kind?: 'policy' | 'security';
  schema: JsonSchema;
  phases: string[];
  scopes?: string[] | null;
}

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
  additionalProperties?: boolean | JsonSchema;
}

export interface PortalSettings {
  enabled: boolean;
  name: string | null;
  logo: string | null;
  primaryColor: string;
  homeMarkdown: string;
  signup: 'open' | 'approval' | 'invitation';
  tryItBaseUrl: string | null;
  updatedAt: string | null;
}

export interface ApiPage {
  slug: string;
  title: string;
  markdown: string;
  position: number;
  createdAt: string;
  updatedAt: string;
}
