import { parseSize } from '@gatehouse/core';
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
  describe: (config) => [`Request bodies up to ${formatSize(parseSize(config.max))}`],
});

function formatSize(bytes: number): string {
  for (const [size, unit] of [
    [1024 ** 3, 'GB'],
    [1024 ** 2, 'MB'],
    [1024, 'KB'],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}
