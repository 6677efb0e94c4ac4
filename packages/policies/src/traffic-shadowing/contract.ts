import { definePolicyContract } from '../sdk/define.js';
import { type TrafficShadowingConfig, TrafficShadowingConfigSchema } from './schema.js';

export const trafficShadowingContract = definePolicyContract<TrafficShadowingConfig>({
  name: 'traffic-shadowing',
  version: '1.0.0',
  category: 'mediation',
  summary:
    "Copies (a sample of) requests to another target without waiting for it; the shadow's answer and failures never affect the client.",
  configSchema: TrafficShadowingConfigSchema,
  example: {
    policy: 'traffic-shadowing',
    config: { url: 'http://orders-v2.internal:8080', percentage: 10, headers: { 'x-shadow': 'true' } },
  },
  phases: ['request'],
});
