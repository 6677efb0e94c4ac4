/**
 * Deploy-time capability check: an API that uses a policy or plan security type some of its
 * gateways do not have is refused up front, rather than refused by those gateways later. Gateways
 * that have not reported capabilities yet are not judged (they validate what they receive).
 */
import type { Api, PolicyRef } from '@gatehouse/config';
import { GatewayError } from '@gatehouse/core';
import type { Database } from '../db/connect.js';
import { activeGateways, gatewaysServing } from './fleet.js';

export interface RequiredCapabilities {
  policies: Set<string>;
  security: Set<string>;
}

export function requiredCapabilities(api: Api): RequiredCapabilities {
  const policies = new Set<string>();
  const add = (refs: PolicyRef[] | undefined) => {
    for (const ref of refs ?? []) policies.add(ref.policy);
  };
  add(api.policies);
  for (const route of api.routes ?? []) add(route.policies);
  const security = new Set<string>();
  for (const plan of api.plans) {
    add(plan.policies);
    security.add(plan.security.type);
  }
  return { policies, security };
}

/** What `reported` lacks of `required`, as readable phrases; empty when nothing is missing. */
export function missingCapabilities(
  required: RequiredCapabilities,
  reported: ReadonlyArray<{ name: string; kind: string }>,
): string[] {
  const has = (kind: string, name: string) => reported.some((c) => c.kind === kind && c.name === name);
  return [
    ...[...required.policies].filter((name) => !has('policy', name)).map((name) => `policy "${name}"`),
    ...[...required.security].filter((name) => !has('security', name)).map((name) => `security type "${name}"`),
  ];
}

/** Throws 409 `not_deployable` naming every target gateway that could not run `api`. */
export async function assertGatewaysSupport(db: Database, envId: string, api: Api): Promise<void> {
  const required = requiredCapabilities(api);
  const targets = gatewaysServing(await activeGateways(db, envId), api.tags ?? []).filter((g) => g.capabilities);
  const problems = targets
    .map((g) => ({ gateway: g, missing: missingCapabilities(required, g.capabilities ?? []) }))
    .filter((p) => p.missing.length > 0);
  if (problems.length === 0) return;
  throw new GatewayError('not_deployable', {
    detail: `Gateway${problems.length > 1 ? 's' : ''} ${problems.map((p) => `"${p.gateway.name}"`).join(', ')} cannot run API "${api.id}": ${problems[0]!.missing.join(', ')}${problems.length > 1 ? ' (and more, see errors)' : ''} not supported. Upgrade them or change their tags.`,
    errors: problems.map((p) => ({
      path: `gateways.${p.gateway.name}`,
      message: `does not support ${p.missing.join(', ')}`,
    })),
  });
}
