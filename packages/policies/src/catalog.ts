/**
 * The policy catalog: every policy's and plan security type's contract (name, version, phases,
 * JSON Schema, pure checks) and the checks of a config document's policy references, without the
 * policies' runtime code. The light entry point `@gatehouse/policies/catalog`: the control plane,
 * `gatehouse validate` and the console import it; it must not load Redis, argon2 or undici
 * (catalog.test.ts checks that in a fresh process). The gateway runs the same checks before it
 * creates policies, so what passes here is what gateways accept (environment aside: files, env vars).
 */
import {
  type Api,
  type ConfigDocument,
  type ConfigProblem,
  inspectDocument,
  type ValidationResult,
  validateAgainst,
} from '@gatehouse/config';
import { didYouMean } from '@gatehouse/core';
import { apiKeyContract } from './api-key/contract.js';
import { basicAuthContract } from './basic-auth/contract.js';
import { cacheContract } from './cache/contract.js';
import { concurrencyLimitContract } from './concurrency-limit/contract.js';
import { corsContract } from './cors/contract.js';
import { dynamicRoutingContract } from './dynamic-routing/contract.js';
import { findReplaceContract } from './find-replace/contract.js';
import { headerCheckContract } from './header-check/contract.js';
import { httpCalloutContract } from './http-callout/contract.js';
import { ipFilterContract } from './ip-filter/contract.js';
import { jsonSchemaContract } from './json-schema/contract.js';
import { jsonThreatProtectionContract } from './json-threat-protection/contract.js';
import { jsonToXmlContract } from './json-to-xml/contract.js';
import { jsonTransformContract } from './json-transform/contract.js';
import { jwtContract } from './jwt/contract.js';
import { keylessContract } from './keyless/contract.js';
import { logContract } from './log/contract.js';
import { mockResponseContract } from './mock-response/contract.js';
import { mtlsContract } from './mtls/contract.js';
import { oauth2Contract } from './oauth2/contract.js';
import { loadMock } from './openapi-mock/index.js';
import { openapiValidationContract } from './openapi-validation/contract.js';
import { quotaContract } from './quota/contract.js';
import { rateLimitContract } from './rate-limit/contract.js';
import { requestSizeContract } from './request-size/contract.js';
import { retryContract } from './retry/contract.js';
import { returnResponseContract } from './return-response/contract.js';
import { rewritePathContract } from './rewrite-path/contract.js';
import { type CompiledExpression, compileExpression } from './sdk/expression.js';
import { type ConfigIssue, type PolicyContract, SCOPES, type ScopeKind, type SecurityContract } from './sdk/types.js';
import { setAttributeContract } from './set-attribute/contract.js';
import { setBodyContract } from './set-body/contract.js';
import { setHeadersContract } from './set-headers/contract.js';
import { setQueryContract } from './set-query/contract.js';
import { spikeArrestContract } from './spike-arrest/contract.js';
import { timeoutContract } from './timeout/contract.js';
import { trafficShadowingContract } from './traffic-shadowing/contract.js';
import { xmlToJsonContract } from './xml-to-json/contract.js';

// Policies (alphabetical).
const POLICY_CONTRACTS: PolicyContract[] = [
  basicAuthContract,
  cacheContract,
  concurrencyLimitContract,
  corsContract,
  dynamicRoutingContract,
  findReplaceContract,
  headerCheckContract,
  httpCalloutContract,
  ipFilterContract,
  jsonSchemaContract,
  jsonThreatProtectionContract,
  jsonToXmlContract,
  jsonTransformContract,
  logContract,
  mockResponseContract,
  openapiValidationContract,
  quotaContract,
  rateLimitContract,
  requestSizeContract,
  retryContract,
  returnResponseContract,
  rewritePathContract,
  setAttributeContract,
  setBodyContract,
  setHeadersContract,
  setQueryContract,
  spikeArrestContract,
  timeoutContract,
  trafficShadowingContract,
  xmlToJsonContract,
];

// Plan security types.
const SECURITY_CONTRACTS: SecurityContract[] = [
  apiKeyContract,
  jwtContract,
  keylessContract,
  mtlsContract,
  oauth2Contract,
];

export const policyContracts: ReadonlyMap<string, PolicyContract> = new Map(POLICY_CONTRACTS.map((p) => [p.name, p]));
export const securityContracts: ReadonlyMap<string, SecurityContract> = new Map(
  SECURITY_CONTRACTS.map((s) => [s.type, s]),
);

/** Plan security type names, e.g. for an enum in the management API. */
export const SECURITY_TYPE_NAMES: readonly string[] = SECURITY_CONTRACTS.map((s) => s.type).sort();

/** `base` + a config-relative path from a check (`window`, `rules[0].url`, `["x-a"]`, or empty). */
function under(base: string, relative: string): string {
  if (relative === '') return base;
  return relative.startsWith('[') ? `${base}${relative}` : `${base}.${relative}`;
}

function issuesAt(base: string, issues: ConfigIssue[]): ConfigProblem[] {
  return issues.map((issue) => ({ path: under(base, issue.path), message: issue.message }));
}

/** Schema (defaults filled) then the contract's own check, reported under `path` (the config's path). */
function checkConfig(
  contract: PolicyContract | SecurityContract,
  config: unknown,
  path: string,
): { problems: ConfigProblem[]; config?: unknown } {
  const validated = validateAgainst<unknown>(contract.configSchema, config ?? {}, path);
  if (!validated.ok) return { problems: validated.problems };
  let issues: ConfigIssue[] = [];
  try {
    issues = contract.check?.(validated.value) ?? [];
  } catch (error) {
    // A check must report, not throw; if one does, the message still lands on the config.
    issues = [{ path: '', message: (error as Error).message }];
  }
  return issues.length > 0 ? { problems: issuesAt(path, issues) } : { problems: [], config: validated.value };
}

function unknownName(kind: string, name: string, known: Iterable<string>): string {
  const names = [...known].sort();
  const hint = didYouMean(name, names);
  return hint ? `unknown ${kind} "${name}"${hint}` : `unknown ${kind} "${name}"; known: ${names.join(', ')}`;
}

export interface CheckedPolicyRef {
  problems: ConfigProblem[];
  /** The contract, config (defaults filled) and compiled `when:`, when there are no problems. */
  contract?: PolicyContract;
  config?: unknown;
  when?: CompiledExpression | undefined;
}

/**
 * One policy reference (`{ policy, config, when }`) at `path` in `scope`: known name, allowed scope,
 * `when:` compiles, config matches the schema and passes the policy's check. Disabled references are
 * not checked (gateways skip them). Never throws; a malformed ref yields no problems here (the
 * document schema reports it).
 */
export function checkPolicyRef(ref: unknown, path: string, scope: ScopeKind): CheckedPolicyRef {
  if (ref === null || typeof ref !== 'object') return { problems: [] };
  const { policy, config, when, enabled } = ref as {
    policy?: unknown;
    config?: unknown;
    when?: unknown;
    enabled?: unknown;
  };
  if (enabled === false || typeof policy !== 'string') return { problems: [] };
  const contract = policyContracts.get(policy);
  if (!contract)
    return { problems: [{ path: `${path}.policy`, message: unknownName('policy', policy, policyContracts.keys()) }] };
  const problems: ConfigProblem[] = [];
  if (contract.scopes && !contract.scopes.includes(scope)) {
    problems.push({
      path: `${path}.policy`,
      message: `"${policy}" cannot be used at ${scope} scope (allowed: ${contract.scopes.join(', ')})`,
    });
  }
  let compiledWhen: CompiledExpression | undefined;
  if (typeof when === 'string') {
    try {
      compiledWhen = compileExpression(when);
    } catch (error) {
      problems.push({ path: `${path}.when`, message: (error as Error).message });
    }
  }
  const checked = checkConfig(contract, config, `${path}.config`);
  problems.push(...checked.problems);
  if (problems.length > 0) return { problems };
  return { problems, contract, config: checked.config, when: compiledWhen };
}

/** A list of policy references at `path` (e.g. `body.policies`, `apis[0].plans[1].policies`). */
export function checkPolicyRefs(refs: unknown, path: string, scope: ScopeKind): ConfigProblem[] {
  if (!Array.isArray(refs)) return [];
  return refs.flatMap((ref, index) => checkPolicyRef(ref, `${path}[${index}]`, scope).problems);
}

export interface CheckedSecurity {
  problems: ConfigProblem[];
  contract?: SecurityContract;
  config?: unknown;
}

/** A plan's `security: { type, config }` at `path`. */
export function checkSecurity(security: unknown, path: string): CheckedSecurity {
  if (security === null || typeof security !== 'object') return { problems: [] };
  const { type, config } = security as { type?: unknown; config?: unknown };
  if (typeof type !== 'string') return { problems: [] };
  const contract = securityContracts.get(type);
  if (!contract)
    return {
      problems: [{ path: `${path}.type`, message: unknownName('security type', type, securityContracts.keys()) }],
    };
  const checked = checkConfig(contract, config, `${path}.config`);
  return checked.problems.length > 0 ? checked : { problems: [], contract, config: checked.config };
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;

/** Every policy reference and plan security of a (possibly invalid) document, walked defensively. */
export function checkDocumentPolicies(doc: unknown): ConfigProblem[] {
  const problems = checkPolicyRefs(field(doc, 'policies'), 'policies', 'global');
  list(field(doc, 'apis')).forEach((api, i) => {
    const at = `apis[${i}]`;
    problems.push(...checkPolicyRefs(field(api, 'policies'), `${at}.policies`, 'api'));
    list(field(api, 'plans')).forEach((plan, j) => {
      problems.push(...checkSecurity(field(plan, 'security'), `${at}.plans[${j}].security`).problems);
      problems.push(...checkPolicyRefs(field(plan, 'policies'), `${at}.plans[${j}].policies`, 'plan'));
    });
    list(field(api, 'routes')).forEach((route, j) => {
      problems.push(...checkPolicyRefs(field(route, 'policies'), `${at}.routes[${j}].policies`, 'route'));
    });
  });
  return problems;
}

/**
 * What a gateway checks before it loads a document, in one pass: structure, references, and every
 * policy and security config (name, scope, `when:`, schema, check). `value` has defaults filled.
 */
export function checkConfigDocument(
  value: unknown,
  options: { resolvePath?: (path: string) => string } = {},
): ValidationResult<ConfigDocument> {
  const inspected = inspectDocument(value);
  const problems = [...inspected.problems, ...checkDocumentPolicies(inspected.value)];
  if (inspected.problems.length === 0)
    problems.push(...checkMocks(inspected.value as ConfigDocument, options.resolvePath));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: inspected.value as ConfigDocument, problems: [] };
}

/**
 * Mock mode of every API, compiled as a gateway compiles it (examples found, choices of
 * `mock.operations` satisfiable). Documents given as file paths are checked only with `resolvePath`
 * (`gatehouse validate` knows the config file's directory; the control plane stores documents inline).
 */
function checkMocks(doc: ConfigDocument, resolvePath: ((path: string) => string) | undefined): ConfigProblem[] {
  return doc.apis.flatMap((api, i) => {
    if (typeof api.openapi === 'string' && !resolvePath) return [];
    return checkApiMock(api, `apis[${i}].upstream.mock`, resolvePath);
  });
}

/**
 * One API's mock mode (`{ openapi, upstream }` of a document or of a management API body) compiled
 * as a gateway would, its problem reported at `path`; nothing when mock mode is off or the shape is
 * not one (the schema reports that).
 */
export function checkApiMock(api: unknown, path: string, resolvePath?: (path: string) => string): ConfigProblem[] {
  const upstream = field(api, 'upstream');
  const mock = field(upstream, 'mock');
  if (mock === null || typeof mock !== 'object' || field(mock, 'enabled') === false) return [];
  const openapi = field(api, 'openapi');
  if (openapi === undefined || openapi === null) return [];
  try {
    loadMock({ openapi, upstream } as unknown as Api, resolvePath ?? ((p) => p));
    return [];
  } catch (error) {
    return [{ path, message: (error as Error).message }];
  }
}

/**
 * A plan's limits in words for the developer portal ("100 requests per minute", "API key"): the
 * security type's words, then each enabled policy's `describe()` over its config with defaults
 * filled. One source: the words live beside each contract. A policy that only applies under a
 * `when:` condition says so; configs that do not validate are skipped (the plan could not deploy).
 */
export function describePlan(security: { type: string; config?: unknown }, policies: unknown): string[] {
  const words: string[] = [];
  const checkedSecurity = checkSecurity(security, 'security');
  if (checkedSecurity.contract) words.push(...(checkedSecurity.contract.describe?.(checkedSecurity.config) ?? []));
  else words.push(...(securityContracts.get(security.type)?.describe?.({}) ?? []));
  for (const ref of list(policies)) {
    const checked = checkPolicyRef(ref, 'policy', 'plan');
    if (!checked.contract?.describe) continue;
    const conditional = typeof field(ref, 'when') === 'string' ? ' (on some requests)' : '';
    let described: string[] = [];
    try {
      described = checked.contract.describe(checked.config);
    } catch {
      // Words are informative: a describe() bug must not break the portal page.
    }
    words.push(...described.map((w) => `${w}${conditional}`));
  }
  return words;
}

/** The catalog as data (for GET /api/v1/policies and the console's forms): JSON Schemas, not code. */
export function describeCatalog() {
  return {
    policies: POLICY_CONTRACTS.map((p) => ({
      name: p.name,
      version: p.version,
      category: p.category,
      summary: p.summary,
      phases: [...p.phases],
      scopes: [...(p.scopes ?? SCOPES)],
      configSchema: p.configSchema as unknown as Record<string, unknown>,
      example: p.example,
    })),
    securityTypes: SECURITY_CONTRACTS.map((s) => ({
      type: s.type,
      version: s.version,
      summary: s.summary,
      priority: s.priority,
      configSchema: s.configSchema as unknown as Record<string, unknown>,
      example: s.example,
    })),
  };
}

export { createPeriodCalculator, type QuotaPeriod } from './quota/period.js';
export type { ConfigIssue, PolicyContract, SecurityContract } from './sdk/types.js';
