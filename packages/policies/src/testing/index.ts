export { createTestContext, type TestContext, type TestContextInit } from './context.js';
export { type SyntheticOpenApiOptions, syntheticOpenApi } from './synthetic-openapi.js';
