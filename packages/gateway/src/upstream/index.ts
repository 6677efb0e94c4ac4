export { HealthRegistry } from './health-registry.js';
export { PoolManager } from './pool-manager.js';
export type {
  CircuitState,
  TargetHealthState,
  UpstreamErrorKind,
  UpstreamObserver,
  UpstreamReceiver,
  UpstreamRequest,
  UpstreamRequestOverrides,
  UpstreamResponse,
  UpstreamStateSnapshot,
} from './types.js';
export { Upstream, type UpstreamOptions } from './upstream.js';
