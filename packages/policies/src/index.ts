export * from './catalog.js';
export { type AddressMatcher, compileAddresses, normalizeAddress } from './ip-filter/ranges.js';
export { type CompiledMock, loadMock, type MockAnswer, mockAnswer, prepareMock } from './openapi-mock/index.js';
export * from './registry.js';
export * from './sdk/index.js';
export * from './stores/index.js';
