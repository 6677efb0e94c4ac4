export * from './sdk/index.js';
export * from './registry.js';
export { createTestContext, type TestContext, type TestContextInit } from './testing/context.js';
