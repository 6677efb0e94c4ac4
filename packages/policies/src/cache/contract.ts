import { definePolicyContract } from '../sdk/define.js';
import { type CacheConfig, CacheConfigSchema } from './schema.js';

export const cacheContract = definePolicyContract<CacheConfig>({
  name: 'cache',
  version: '1.0.0',
  category: 'caching',
  summary:
    'Serves repeated GET/HEAD requests from a response cache (memory or Redis) keyed by method, path, query and chosen headers, honouring Cache-Control and Vary.',
  configSchema: CacheConfigSchema,
  example: { policy: 'cache', config: { ttl: '1m', keyHeaders: ['accept-language'] } },
  phases: ['request', 'response'],
});
