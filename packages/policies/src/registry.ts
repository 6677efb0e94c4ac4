/**
 * The one registry of policies and plan security types. Adding a policy = one folder under
 * src/<name>/ (index.ts exporting its definition, schema, tests) + one line here.
 */
import { apiKeySecurity } from './api-key/index.js';
import { basicAuthPolicy } from './basic-auth/index.js';
import { cachePolicy } from './cache/index.js';
import { concurrencyLimitPolicy } from './concurrency-limit/index.js';
import { corsPolicy } from './cors/index.js';
import { dynamicRoutingPolicy } from './dynamic-routing/index.js';
import { findReplacePolicy } from './find-replace/index.js';
import { headerCheckPolicy } from './header-check/index.js';
import { httpCalloutPolicy } from './http-callout/index.js';
import { ipFilterPolicy } from './ip-filter/index.js';
import { jsonSchemaPolicy } from './json-schema/index.js';
import { jsonThreatProtectionPolicy } from './json-threat-protection/index.js';
import { jsonToXmlPolicy } from './json-to-xml/index.js';
import { jsonTransformPolicy } from './json-transform/index.js';
import { jwtSecurity } from './jwt/index.js';
import { keylessSecurity } from './keyless/index.js';
import { logPolicy } from './log/index.js';
import { mockResponsePolicy } from './mock-response/index.js';
import { mtlsSecurity } from './mtls/index.js';
import { oauth2Security } from './oauth2/index.js';
import { openapiValidationPolicy } from './openapi-validation/index.js';
import { quotaPolicy } from './quota/index.js';
import { rateLimitPolicy } from './rate-limit/index.js';
import { requestSizePolicy } from './request-size/index.js';
import { retryPolicy } from './retry/index.js';
import { returnResponsePolicy } from './return-response/index.js';
import { rewritePathPolicy } from './rewrite-path/index.js';
import type { PolicyDefinition, SecurityDefinition } from './sdk/types.js';
import { setAttributePolicy } from './set-attribute/index.js';
import { setBodyPolicy } from './set-body/index.js';
import { setHeadersPolicy } from './set-headers/index.js';
import { setQueryPolicy } from './set-query/index.js';
import { spikeArrestPolicy } from './spike-arrest/index.js';
import { timeoutPolicy } from './timeout/index.js';
import { trafficShadowingPolicy } from './traffic-shadowing/index.js';
import { xmlToJsonPolicy } from './xml-to-json/index.js';

// Policies (alphabetical).
const POLICIES: PolicyDefinition[] = [
  basicAuthPolicy,
  cachePolicy,
  concurrencyLimitPolicy,
  corsPolicy,
  dynamicRoutingPolicy,
  findReplacePolicy,
  headerCheckPolicy,
  httpCalloutPolicy,
  ipFilterPolicy,
  jsonSchemaPolicy,
  jsonThreatProtectionPolicy,
  jsonToXmlPolicy,
  jsonTransformPolicy,
  logPolicy,
  mockResponsePolicy,
  openapiValidationPolicy,
  quotaPolicy,
  rateLimitPolicy,
  requestSizePolicy,
  retryPolicy,
  returnResponsePolicy,
  rewritePathPolicy,
  setAttributePolicy,
  setBodyPolicy,
  setHeadersPolicy,
  setQueryPolicy,
  spikeArrestPolicy,
  timeoutPolicy,
  trafficShadowingPolicy,
  xmlToJsonPolicy,
];

// Plan security types.
const SECURITY_TYPES: SecurityDefinition[] = [
  apiKeySecurity,
  jwtSecurity,
  keylessSecurity,
  mtlsSecurity,
  oauth2Security,
];

export const policyRegistry: ReadonlyMap<string, PolicyDefinition> = new Map(POLICIES.map((p) => [p.name, p]));
export const securityRegistry: ReadonlyMap<string, SecurityDefinition> = new Map(
  SECURITY_TYPES.map((s) => [s.type, s]),
);

/** Policy names and versions, reported by gateways as their capabilities. */
export function capabilities(): Array<{ name: string; version: string; kind: 'policy' | 'security' }> {
  return [
    ...POLICIES.map((p) => ({ name: p.name, version: p.version, kind: 'policy' as const })),
    ...SECURITY_TYPES.map((s) => ({ name: s.type, version: s.version, kind: 'security' as const })),
  ];
}
