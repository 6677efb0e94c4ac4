/**
 * Where the secrets of a definition are. Secret fields are marked once, in the schema that defines
 * them (`writeOnly: true` on a policy or security type's config field, `x-gatehouse-header-map` on
 * header maps whose credential-like values are secrets); this module walks definitions (API, plan,
 * deployed snapshot, compiled document) with those schemas, so masking, encryption at rest and
 * "the mask keeps the stored value" all agree on the same fields.
 */
import { HEADER_MAP_KEYWORD } from '@gatehouse/config';
import { policyRegistry, securityRegistry } from '@gatehouse/policies';

/** What every API answer shows instead of a secret value. */
export const SECRET_MASK = '********';

/** Header names whose values are credentials (exact names, or names containing these words). */
const CREDENTIAL_HEADER =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key)$|token|secret|passw|key|auth/i;

export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADER.test(name);
}

/** A secret found at `path`; `identity` also names the policy, so a reordered list does not match. */
export type SecretVisitor = (value: string, path: string, identity: string) => string;

interface SchemaNode {
  writeOnly?: boolean;
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  [HEADER_MAP_KEYWORD]?: boolean;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Returns `value` with every secret of `schema` replaced by the visitor's answer (a copy; input untouched). */
function walkSchema(
  schema: SchemaNode | undefined,
  value: unknown,
  path: string,
  id: string,
  visit: SecretVisitor,
): unknown {
  if (!schema || value === null || value === undefined) return value;
  if (schema.writeOnly && typeof value === 'string') return visit(value, path, id);
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) {
    value = walkSchema(branch, value, path, id, visit);
  }
  if (Array.isArray(value) && schema.items) {
    return value.map((item, i) => walkSchema(schema.items, item, `${path}[${i}]`, `${id}[${i}]`, visit));
  }
  if (!isObject(value)) return value;
  const headerMap = schema[HEADER_MAP_KEYWORD] === true;
  const rest = Object.values(schema.patternProperties ?? {})[0] ?? schema.additionalProperties;
  let out: Json | undefined;
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}.${key}`;
    let next: unknown;
    if (headerMap) {
      next = typeof child === 'string' && isCredentialHeader(key) ? visit(child, childPath, `${id}.${key}`) : child;
    } else {
      const childSchema = schema.properties?.[key] ?? (typeof rest === 'object' ? rest : undefined);
      next = walkSchema(childSchema, child, childPath, `${id}.${key}`, visit);
    }
    if (next !== child) {
      out ??= { ...value };
      out[key] = next;
    }
  }
  return out ?? value;
}

function configSchemaOf(kind: 'policy' | 'security', name: unknown): SchemaNode | undefined {
  if (typeof name !== 'string') return undefined;
  const definition =
    kind === 'security' ? (securityRegistry.get(name) ?? policyRegistry.get(name)) : policyRegistry.get(name);
  return definition?.configSchema as SchemaNode | undefined;
}

/** A list of policy references (`[{ policy, config }]`). */
export function policyListSecrets<T>(list: T, path: string, visit: SecretVisitor): T {
  if (!Array.isArray(list)) return list;
  let changed = false;
  const out = list.map((ref, i) => {
    if (!isObject(ref) || !isObject(ref.config)) return ref;
    const config = walkSchema(
      configSchemaOf('policy', ref.policy),
      ref.config,
      `${path}[${i}].config`,
      `${path}[${i}]<${String(ref.policy)}>.config`,
      visit,
    );
    if (config === ref.config) return ref;
    changed = true;
    return { ...ref, config };
  });
  return (changed ? out : list) as T;
}

/** A plan security block (`{ type, config }`). */
export function securitySecrets<T>(security: T, path: string, visit: SecretVisitor): T {
  if (!isObject(security) || !isObject(security.config)) return security;
  const config = walkSchema(
    configSchemaOf('security', security.type),
    security.config,
    `${path}.config`,
    `${path}<${String(security.type)}>.config`,
    visit,
  );
  return (config === security.config ? security : { ...security, config }) as T;
}

/** An API or plan definition, a deployed snapshot (API + plans) or a compiled document (apis + applications). */
export function definitionSecrets<T>(definition: T, visit: SecretVisitor, path = ''): T {
  if (!isObject(definition)) return definition;
  const at = (key: string) => (path ? `${path}.${key}` : key);
  const out: Json = { ...definition };
  if ('policies' in out) out.policies = policyListSecrets(out.policies, at('policies'), visit);
  if ('security' in out) out.security = securitySecrets(out.security, at('security'), visit);
  for (const key of ['routes', 'plans', 'apis', 'applications'] as const) {
    if (Array.isArray(out[key])) {
      out[key] = (out[key] as unknown[]).map((item, i) => definitionSecrets(item, visit, `${at(key)}[${i}]`));
    }
  }
  // Applications of a compiled document: basic-auth users' hashes.
  if (Array.isArray(out.credentials)) {
    out.credentials = (out.credentials as unknown[]).map((c, i) =>
      isObject(c) && typeof c.passwordHash === 'string'
        ? {
            ...c,
            passwordHash: visit(
              c.passwordHash,
              `${at('credentials')}[${i}].passwordHash`,
              `${at('credentials')}[${i}]`,
            ),
          }
        : c,
    );
  }
  return out as T;
}

/** Every secret shown as the mask. */
export function maskSecrets<T>(definition: T): T {
  return definitionSecrets(definition, () => SECRET_MASK);
}
