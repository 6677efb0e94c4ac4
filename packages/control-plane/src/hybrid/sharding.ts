/**
 * Which gateways serve which APIs: a gateway without tags serves every API; a gateway with tags
 * serves untagged APIs and APIs sharing at least one tag with it.
 */
export function servesApi(gatewayTags: readonly string[], apiTags: readonly string[]): boolean {
  if (gatewayTags.length === 0 || apiTags.length === 0) return true;
  return apiTags.some((tag) => gatewayTags.includes(tag));
}
