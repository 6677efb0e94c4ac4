import { hashApiKey } from '@gatehouse/core';
import type { Api, ConfigDocument } from './schema.js';
import type { ConfigProblem } from './validate.js';

/** Checks a schema-valid document for references and uniqueness that JSON Schema cannot express. */
export function checkSemantics(doc: ConfigDocument): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const apiPlans = new Map<string, Set<string>>();
  const mounts = new Map<string, string>();

  (doc.apis ?? []).forEach((api, i) => {
    const at = `apis[${i}]`;
    if (apiPlans.has(api.id)) problems.push({ path: `${at}.id`, message: `duplicate API id "${api.id}"` });
    const plans = new Set<string>();
    (api.plans ?? []).forEach((plan, j) => {
      if (plans.has(plan.id))
        problems.push({ path: `${at}.plans[${j}].id`, message: `duplicate plan id "${plan.id}"` });
      plans.add(plan.id);
    });
    apiPlans.set(api.id, plans);
    const basePath = normalizeBasePath(api.basePath);
    for (const host of api.hosts && api.hosts.length > 0 ? api.hosts : ['*']) {
      const mount = `${host.toLowerCase()} ${basePath}`;
      const other = mounts.get(mount);
      if (other !== undefined) {
        problems.push({
          path: `${at}.basePath`,
          message: `"${api.basePath}" is already served by API "${other}" on the same host`,
        });
      }
      mounts.set(mount, api.id);
    }
    problems.push(...checkMock(api, at));
    (api.upstream?.targets ?? []).forEach((target, j) => {
      try {
        const url = new URL(target.url);
        if (url.search || url.hash)
          problems.push({ path: `${at}.upstream.targets[${j}].url`, message: 'must not have a query or fragment' });
      } catch {
        problems.push({ path: `${at}.upstream.targets[${j}].url`, message: 'must be an http(s) URL' });
      }
    });
  });

  const appIds = new Set<string>();
  const keyHashes = new Map<string, string>();
  const subscriptionIds = new Set<string>();
  const clientIds = new Map<string, string>();
  (doc.applications ?? []).forEach((app, i) => {
    const at = `applications[${i}]`;
    if (appIds.has(app.id)) problems.push({ path: `${at}.id`, message: `duplicate application id "${app.id}"` });
    appIds.add(app.id);
    if (app.clientId !== undefined) {
      const other = clientIds.get(app.clientId);
      if (other !== undefined)
        problems.push({ path: `${at}.clientId`, message: `clientId already used by application "${other}"` });
      clientIds.set(app.clientId, app.id);
    }
    (app.subscriptions ?? []).forEach((sub, j) => {
      const sat = `${at}.subscriptions[${j}]`;
      const plans = apiPlans.get(sub.api);
      if (!plans) problems.push({ path: `${sat}.api`, message: `no API with id "${sub.api}"` });
      else if (!plans.has(sub.plan))
        problems.push({ path: `${sat}.plan`, message: `API "${sub.api}" has no plan "${sub.plan}"` });
      const subId = sub.id ?? `${app.id}:${sub.api}:${sub.plan}`;
      if (subscriptionIds.has(subId)) problems.push({ path: sat, message: `duplicate subscription "${subId}"` });
      subscriptionIds.add(subId);
      (sub.apiKeys ?? []).forEach((key, k) => {
        const kat = `${sat}.apiKeys[${k}]`;
        if ((key.key === undefined) === (key.keyHash === undefined)) {
          problems.push({ path: kat, message: 'must have exactly one of key or keyHash' });
          return;
        }
        const hash = key.keyHash ?? hashApiKey(key.key!);
        const other = keyHashes.get(hash);
        if (other !== undefined) problems.push({ path: kat, message: `the same key is already used at ${other}` });
        keyHashes.set(hash, kat);
      });
    });
  });
  return problems;
}

export function normalizeBasePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/**
 * Mock mode needs an OpenAPI 3.x document. What it says (operations, responses, examples named in
 * `mock.operations`) is checked by compiling the mock: the policy catalog's checkConfigDocument
 * and gateways do.
 */
function checkMock(api: Api, at: string): ConfigProblem[] {
  const mock = api.upstream?.mock;
  if (!mock || mock.enabled === false) return [];
  if (api.openapi === undefined)
    return [{ path: `${at}.upstream.mock`, message: "mock mode needs the API's `openapi` document" }];
  if (typeof api.openapi !== 'object') return [];
  if (!/^3\./.test(String((api.openapi as { openapi?: unknown }).openapi)))
    return [{ path: `${at}.upstream.mock`, message: 'mock mode needs an OpenAPI 3.x document' }];
  return [];
}
