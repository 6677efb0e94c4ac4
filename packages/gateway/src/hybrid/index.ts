export { type AnalyticsRecord, toAnalyticsRecord } from './analytics.js';
export {
  DEFAULT_BACKUP_DIR,
  type HybridGateway,
  type HybridGatewayOptions,
  type HybridNode,
  type HybridStatus,
  startHybridGateway,
  startHybridNode,
} from './hybrid-gateway.js';
export { anonymizeIp, CLIENT_IP_ANONYMIZATIONS, type ClientIpAnonymization } from './ip-anonymization.js';
