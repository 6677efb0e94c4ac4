/**
 * The portal talks to the control plane exactly as the console does (same origin, HttpOnly session
 * cookie, CSRF header in memory, problem+json errors), through the client in @gatehouse/ui; the
 * portal's own endpoints and types are here.
 */

export type { ApiKey, Application, Subscription } from '@gatehouse/ui';
export {
  ApiError,
  api,
  enc,
  type Page,
  type Problem,
  send,
  setCsrfToken,
  setUnauthorizedHandler,
} from '@gatehouse/ui/api';

import { api, enc, type Page } from '@gatehouse/ui/api';

export interface PortalEnvironment {
  slug: string;
  name: string;
}

export interface PortalSettings {
  name: string;
  logo: string | null;
  primaryColor: string;
  homeMarkdown: string;
  signup: 'open' | 'approval' | 'invitation';
  tryItBaseUrl: string | null;
  emailConfigured: boolean;
}

export interface CatalogApi {
  slug: string;
  name: string;
  description: string | null;
  version: string | null;
  tags: string[];
  categories: string[];
  basePath: string;
  lifecycle?: string;
}

export interface PortalPlan {
  slug: string;
  name: string;
  description: string | null;
  securityType: string;
  approval: 'auto' | 'manual';
  limits: string[];
}

export interface PortalApi extends CatalogApi {
  lifecycle: string;
  pages: { slug: string; title: string }[];
  plans: PortalPlan[];
  hasOpenapi: boolean;
}

export interface DocPage {
  slug: string;
  title: string;
  markdown: string;
}

export interface SessionInfo {
  user: { id: string; email: string; name: string };
  csrfToken: string | null;
  environments: { id: string; name: string; role: string; actions: string[] }[];
}

export interface Quota {
  limit: number;
  period: string;
  used: number;
  remaining: number;
  resetsAt: string | null;
}

/** GET /environments/:env/applications/:app/usage (portal-api); fields read defensively. */
export interface UsageEntry {
  apiId: string;
  requests: number;
  errors: number;
  latency?: { p50: number | null; p95: number | null };
  p50?: number | null;
  p95?: number | null;
  subscriptions?: { subscriptionId?: string; planId?: string; quota?: Quota | null }[];
  quota?: Quota | null;
}

export interface Usage {
  from?: string;
  to?: string;
  items?: UsageEntry[];
  apis?: UsageEntry[];
}

const portal = (env: string) => `/portal/${enc(env)}`;

export const portalApi = {
  environments: () => api.get<{ items: PortalEnvironment[] }>('/portal/environments'),
  settings: (env: string) => api.get<PortalSettings>(`${portal(env)}/settings`),
  catalog: (env: string, query: { q?: string; category?: string; tag?: string; cursor?: string; limit?: number }) =>
    api.get<Page<CatalogApi>>(`${portal(env)}/apis`, query),
  api: (env: string, slug: string) => api.get<PortalApi>(`${portal(env)}/apis/${enc(slug)}`),
  page: (env: string, slug: string, page: string) =>
    api.get<DocPage>(`${portal(env)}/apis/${enc(slug)}/pages/${enc(page)}`),
  openapi: (env: string, slug: string) => api.get<OpenApiDocument>(`${portal(env)}/apis/${enc(slug)}/openapi`),
  signup: (env: string, body: { email: string; password: string; name: string; invitation?: string }) =>
    api.post<{ status: 'verification_sent' | 'pending_approval' | 'active' }>(`${portal(env)}/signup`, body),
  verify: (env: string, token: string) => api.post<{ status: string }>(`${portal(env)}/verify-email`, { token }),
  forgot: (env: string, email: string) => api.post(`${portal(env)}/password-reset`, { email }),
  reset: (env: string, token: string, password: string) =>
    api.post(`${portal(env)}/password-reset/confirm`, { token, password }),
  /** A signed-in account joins this environment with an invitation mailed to its address. */
  acceptInvitation: (env: string, token: string) =>
    api.post<{ status: 'active'; environment: string }>(`${portal(env)}/invitations/accept`, { token }),
};

export interface OpenApiDocument {
  openapi?: string;
  servers?: { url: string }[];
  paths?: Record<string, Record<string, OpenApiOperation | unknown>>;
  [key: string]: unknown;
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: { type?: string; example?: unknown; default?: unknown };
  example?: unknown;
}

export interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { example?: unknown; schema?: unknown }> };
}

export const envPath = (env: string) => `/environments/${enc(env)}`;
