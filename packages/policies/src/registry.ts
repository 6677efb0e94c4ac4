/**
 * The one registry of policies and plan security types. Adding a policy = one folder under
 * src/<name>/ (index.ts exporting its definition, schema, tests) + one line here.
 */
import type { PolicyDefinition, SecurityDefinition } from './sdk/types.js';

// Policies (alphabetical).
const POLICIES: PolicyDefinition[] = [];

// Plan security types.
const SECURITY_TYPES: SecurityDefinition[] = [];

export const policyRegistry: ReadonlyMap<string, PolicyDefinition> = new Map(POLICIES.map((p) => [p.name, p]));
export const securityRegistry: ReadonlyMap<string, SecurityDefinition> = new Map(SECURITY_TYPES.map((s) => [s.type, s]));

/** Policy names and versions, reported by gateways as their capabilities. */
export function capabilities(): Array<{ name: string; version: string; kind: 'policy' | 'security' }> {
  return [
    ...POLICIES.map((p) => ({ name: p.name, version: p.version, kind: 'policy' as const })),
    ...SECURITY_TYPES.map((s) => ({ name: s.type, version: s.version, kind: 'security' as const })),
  ];
}
