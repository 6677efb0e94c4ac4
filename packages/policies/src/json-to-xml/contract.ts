import { definePolicyContract } from '../sdk/define.js';
import { JsonToXmlConfig } from './schema.js';

export const jsonToXmlContract = definePolicyContract<JsonToXmlConfig>({
  name: 'json-to-xml',
  version: '1.0.0',
  category: 'transformation',
  summary: 'Converts a JSON request or response body to XML, with attributes from prefixed members.',
  configSchema: JsonToXmlConfig,
  example: { policy: 'json-to-xml', config: { phase: 'request', rootElement: 'order' } },
  phases: ['request', 'response'],
});
