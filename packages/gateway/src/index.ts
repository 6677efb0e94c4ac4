export { type CompiledConfig, compileConfig, configVersion } from './compile.js';
export { type ApplyResult, type GatewayOptions, type RunningGateway, startGateway } from './gateway.js';
export type { RequestRecord } from './handler.js';
export {
  anonymizeIp,
  CLIENT_IP_ANONYMIZATIONS,
  type ClientIpAnonymization,
  DEFAULT_BACKUP_DIR,
  type HybridGateway,
  type HybridGatewayOptions,
  type HybridNode,
  type HybridStatus,
  startHybridGateway,
  startHybridNode,
} from './hybrid/index.js';
export { GatewayMetrics } from './metrics.js';
export { PoolManager } from './upstream/index.js';
export {
  availableCpus,
  type GatewayNode,
  type GatewayNodeOptions,
  parseWorkers,
  startGatewayNode,
} from './workers/node-gateway.js';
