/**
 * Importing an OpenAPI document creates the API, or, when it exists, updates it from a newer version
 * of the document and says what changed. Security schemes become plans. Also: re-deriving an API's
 * routes from its stored document on request.
 */
import { and, eq } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import { apis, plans } from '../db/schema.js';
import { invalid } from '../http/validation.js';
import { type ApiInput, type ApiRow, createApi, updateApi } from './apis.js';
import {
  apiFromOpenApi,
  type ImportOverrides,
  mergeRoutes,
  plansFromSecuritySchemes,
  type RouteChanges,
  routesFromOpenApi,
  slugify,
} from './openapi-import.js';
import { createPlan } from './plans.js';
import { inTransaction } from './tx.js';

export interface ImportResult {
  row: ApiRow;
  created: boolean;
  changes: { routes: RouteChanges; plansAdded: string[] };
}

const unconditional = () => {};

/** The upstream with mock mode switched as the import asked (kept as it was when it did not ask). */
function withMock(upstream: Record<string, unknown>, mock: boolean | undefined): Record<string, unknown> {
  if (mock === undefined) return upstream;
  const current = (upstream.mock ?? {}) as Record<string, unknown>;
  return { ...upstream, mock: { ...current, enabled: mock } };
}

export async function importOpenApi(
  scope: EnvScope,
  doc: Record<string, unknown>,
  overrides: ImportOverrides,
): Promise<ImportResult> {
  return inTransaction(scope.db, async (tx) => {
    const txScope = { ...scope, db: tx };
    const title = (doc.info as { title?: unknown } | undefined)?.title;
    const id = overrides.id ?? (typeof title === 'string' ? slugify(title) : undefined);
    const [existing] = id
      ? await tx
          .select()
          .from(apis)
          .where(and(eq(apis.envId, scope.env.id), eq(apis.slug, id)))
          .limit(1)
      : [];
    // A newer document without a server keeps the API's upstream.
    const currentUrl = (existing?.upstream as { targets?: { url?: string }[] } | undefined)?.targets?.[0]?.url;
    const input = apiFromOpenApi(doc, { ...overrides, fallbackUpstreamUrl: currentUrl });
    let row: ApiRow;
    let routeChanges: RouteChanges;
    if (!existing) {
      row = await createApi(txScope, input, 'api.import');
      routeChanges = mergeRoutes([], input.routes ?? []).changes;
    } else {
      // A newer version of the document: its content follows the document; where the API is
      // served from and to stays as the publisher set it unless the request overrides it.
      const merged = mergeRoutes(existing.routes as Record<string, unknown>[] | null, input.routes ?? []);
      const patch: Partial<Omit<ApiInput, 'id'>> = {
        name: input.name,
        description: input.description,
        version: input.version,
        routes: merged.routes,
        openapi: doc,
        ...(overrides.basePath ? { basePath: overrides.basePath } : {}),
        ...(overrides.upstreamUrl || overrides.mock !== undefined
          ? { upstream: withMock(overrides.upstreamUrl ? input.upstream : existing.upstream, overrides.mock) }
          : {}),
      };
      row = (await updateApi(txScope, input.id, unconditional, patch)).row;
      routeChanges = merged.changes;
    }
    const plansAdded: string[] = [];
    const have = new Set(
      (await tx.select({ slug: plans.slug }).from(plans).where(eq(plans.apiPk, row.pk))).map((p) => p.slug),
    );
    for (const plan of plansFromSecuritySchemes(doc)) {
      if (have.has(plan.id)) continue;
      await createPlan(txScope, row.slug, plan);
      have.add(plan.id);
      plansAdded.push(plan.id);
    }
    return { row, created: !existing, changes: { routes: routeChanges, plansAdded } };
  });
}

/**
 * For `PATCH ?deriveRoutes=true`: the routes of the document being stored (or of the stored one),
 * merged onto the API's current routes.
 */
export function derivedRoutes(current: ApiRow, patchOpenapi: Record<string, unknown> | null | undefined) {
  const doc = patchOpenapi === undefined ? current.openapi : patchOpenapi;
  if (!doc) throw invalid('query.deriveRoutes', 'needs an OpenAPI document (send `openapi` or store one first)');
  return mergeRoutes(current.routes as Record<string, unknown>[] | null, routesFromOpenApi(doc, 'body.openapi'));
}
