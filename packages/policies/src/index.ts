export * from './catalog.js';
export { type AddressMatcher, compileAddresses, normalizeAddress } from './ip-filter/ranges.js';
// The gateway's mock mode reads OpenAPI documents the way openapi-validation does.
export { isJsonMediaType, loadDocument } from './json-schema/load-document.js';
export { type OpenApiDocument, prepareDocument } from './openapi-validation/document.js';
export { PathMatcher } from './openapi-validation/path-matcher.js';
export * from './registry.js';
export * from './sdk/index.js';
export * from './stores/index.js';
