export { createTestContext, type TestContext, type TestContextInit } from './context.js';
export {
  captureLogger,
  createPolicy,
  type LogLine,
  lookupOver,
  securityEnv,
  subscriptionOf,
  type TestApplication,
  testPolicyEnv,
  WARN,
} from './environment.js';
export { type RedisTlsHandle, redisTlsAvailable, startRedisTls } from './redis-tls.js';
export {
  type RedisClusterHandle,
  type RedisNode,
  type RedisSentinelHandle,
  redisServerAvailable,
  startRedisCluster,
  startRedisSentinel,
} from './redis-topologies.js';
export { type SyntheticOpenApiOptions, syntheticOpenApi } from './synthetic-openapi.js';
