/**
 * The asynchronous step before compileConfig(): every enabled policy whose definition has a
 * prepare() gets to do its slow load-time work (an OpenAPI document read, parsed and checked in a
 * worker, indexed in slices) while the current version keeps serving. compileConfig() then finds the
 * results in `deps.prepared` and stays short; so does mock mode (`upstream.mock`). Problems are left
 * for compileConfig() to report.
 */
import path from 'node:path';
import type { Api, ConfigDocument, PolicyRef } from '@gatehouse/config';
import { parseSize } from '@gatehouse/core';
import {
  compileExpression,
  type PolicyEnvironment,
  type PolicyScope,
  policyRegistry,
  prepareMock,
} from '@gatehouse/policies';
import { checkPolicyRef } from '@gatehouse/policies/catalog';
import type { CompileDependencies } from './compile.js';

type Lists = Array<{ refs: PolicyRef[] | undefined; at: string; scope: Omit<PolicyScope, 'key'>; api?: Api }>;

function policyLists(doc: ConfigDocument): Lists {
  const lists: Lists = [{ refs: doc.policies, at: 'policies', scope: { kind: 'global' } }];
  doc.apis.forEach((api, i) => {
    const at = `apis[${i}]`;
    lists.push({ refs: api.policies, at: `${at}.policies`, scope: { kind: 'api', apiId: api.id }, api });
    for (const [j, plan] of api.plans.entries()) {
      const scope = { kind: 'plan', apiId: api.id, planId: plan.id } as const;
      lists.push({ refs: plan.policies, at: `${at}.plans[${j}].policies`, scope, api });
    }
    for (const [j, route] of (api.routes ?? []).entries()) {
      const scope = { kind: 'route', apiId: api.id, routeId: route.id ?? route.path } as const;
      lists.push({ refs: route.policies, at: `${at}.routes[${j}].policies`, scope, api });
    }
  });
  return lists;
}

export async function prepareConfig(doc: ConfigDocument, deps: CompileDependencies): Promise<Map<string, unknown>> {
  const prepared = new Map<string, unknown>();
  const base = {
    logger: deps.logger,
    counters: deps.counters,
    responseCache: deps.responseCache,
    compileExpression,
    resolvePath: (p: string) => path.resolve(deps.baseDir, p),
    maxBodyBuffer: parseSize(doc.gateway?.maxBodyBuffer ?? '10mb'),
    prepared,
  };
  for (const { refs, at, scope, api } of policyLists(doc)) {
    for (const [index, ref] of (refs ?? []).entries()) {
      if (ref.enabled === false) continue;
      const definition = policyRegistry.get(ref.policy);
      if (!definition?.prepare) continue;
      const checked = checkPolicyRef(ref, `${at}[${index}]`, scope.kind);
      if (checked.problems.length > 0) continue;
      const env: PolicyEnvironment = {
        ...base,
        scope: { ...scope, key: `${at}[${index}]` },
        ...(api ? { api: { id: api.id, name: api.name, basePath: api.basePath, openapi: api.openapi } } : {}),
      };
      try {
        await definition.prepare(checked.config, env);
      } catch {
        // compileConfig() reports it: create() runs the synchronous path and throws there.
      }
    }
  }
  for (const api of doc.apis) {
    // Mock mode's answers (compileApi picks them up; an Error is reported there).
    const mock = await prepareMock(api, base.resolvePath).catch((error: unknown) => error as Error);
    if (mock) prepared.set(preparedMockKey(api.id), mock);
  }
  return prepared;
}

export const preparedMockKey = (apiId: string) => `openapi-mock:${apiId}`;
