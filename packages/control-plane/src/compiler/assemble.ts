/**
 * The pure half of the compiler: rows already read from the database in, the config document out.
 * No database and no secrets here, so the document-build worker (document-build-worker.ts) runs
 * exactly this code on the rows the main thread read, and compile.ts runs it in-process: one
 * assembly, whichever thread does it.
 */
import type { Api, Application, ConfigDocument } from '@gatehouse/config';
import { canonicalJson, sha256Hex } from '@gatehouse/core';

/** An accepted subscription, with its application, as read for the document. */
export interface SubscriptionRow {
  id: string;
  apiPk: string;
  planSlug: string;
  appId: string;
  appName: string;
  clientId: string | null;
}

/** A live key (not revoked, not expired) of one of those subscriptions. */
export interface KeyRow {
  id: string;
  subscriptionId: string;
  keyHash: string;
  expiresAt: Date | null;
}

/**
 * Applications with their subscriptions to `compiledApis` (by API pk) and live keys, sorted. An
 * application with no subscription to a served plan is left out.
 */
export function assembleApplications(
  compiledApis: ReadonlyMap<string, Pick<Api, 'id' | 'plans'>>,
  subs: readonly SubscriptionRow[],
  keys: readonly KeyRow[],
): Application[] {
  const keysBySub = new Map<string, KeyRow[]>();
  for (const key of keys) {
    const list = keysBySub.get(key.subscriptionId);
    if (list) list.push(key);
    else keysBySub.set(key.subscriptionId, [key]);
  }

  const apps = new Map<string, Application>();
  for (const sub of subs) {
    const api = compiledApis.get(sub.apiPk);
    // A subscription to a plan not (yet) deployed, or no longer served, is not compiled.
    if (!api?.plans.some((p) => p.id === sub.planSlug)) continue;
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

export interface AssembledDocument {
  document: ConfigDocument;
  configVersion: string;
  definitionVersion: string;
}

/** The document of an environment from its compiled APIs and applications. */
export function assembleDocument(
  environment: string,
  compiledApis: ReadonlyMap<string, Api>,
  applicationsOut: Application[],
  now: Date,
): AssembledDocument {
  const apisOut = [...compiledApis.values()].sort((a, b) => a.id.localeCompare(b.id));
  // The version hashes content only, so an unchanged state keeps its version across compilations.
  const configVersion = sha256Hex(JSON.stringify({ apis: apisOut, applications: applicationsOut })).slice(0, 16);
  const document: ConfigDocument = {
    version: 1,
    apis: apisOut,
    applications: applicationsOut,
    metadata: { environment, configVersion, compiledAt: now.toISOString() },
  };
  return { document, configVersion, definitionVersion: definitionVersionOf(apisOut) };
}
