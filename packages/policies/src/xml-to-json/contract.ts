import { definePolicyContract } from '../sdk/define.js';
import { XmlToJsonConfig } from './schema.js';

export const xmlToJsonContract = definePolicyContract<XmlToJsonConfig>({
  name: 'xml-to-json',
  version: '1.0.0',
  category: 'transformation',
  summary: 'Converts an XML request or response body to JSON, keeping attributes as prefixed members.',
  configSchema: XmlToJsonConfig,
  example: { policy: 'xml-to-json', config: { phase: 'response', arrayElements: ['item'] } },
  phases: ['request', 'response'],
});
