export { createTestContext, type TestContext, type TestContextInit } from './context.js';
