import { definePolicyContract } from '../sdk/define.js';
import { RequestSizeConfig } from './schema.js';

export const requestSizeContract = definePolicyContract<RequestSizeConfig>({
  name: 'request-size',
  version: '1.0.0',
  category: 'validation',
  summary:
    'Answers 413 for request bodies larger than `max`: at once from Content-Length, or while reading a chunked body.',
  configSchema: RequestSizeConfig,
  example: { policy: 'request-size', config: { max: '256kb' } },
  scopes: ['global', 'api', 'route'],
  phases: ['preSecurity'],
});
