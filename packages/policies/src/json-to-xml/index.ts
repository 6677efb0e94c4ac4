/**
 * json-to-xml: converts a JSON request or response body to XML (e.g. to put a JSON API in front
 * of a SOAP/XML backend). Bodies that are not JSON by Content-Type pass through untouched.
 */

import { isJsonMediaType, messageBody, resolveBodyLimit } from '../sdk/body-message.js';
import { definePolicy } from '../sdk/define.js';
import { jsonNestingExceeds } from '../sdk/nesting-depth.js';
import type { Handler } from '../sdk/types.js';
import { jsonToXmlContract } from './contract.js';
import type { JsonToXmlConfig } from './schema.js';
import { createXmlWriter } from './to-xml.js';

export const jsonToXmlPolicy = definePolicy<JsonToXmlConfig>({
  ...jsonToXmlContract,
  create(config, env) {
    const maxBytes = resolveBodyLimit(config.maxBodySize, env);
    const toXml = createXmlWriter(config);
    const handler: Handler = async (ctx) => {
      const message = messageBody(ctx, config.phase, maxBytes);
      if (!isJsonMediaType(message.mediaType) || message.gatewayProblem) return;
      const body = await message.read();
      if (body.length === 0) return;
      const text = body.toString('utf8');
      if (jsonNestingExceeds(text, config.maxBodyDepth))
        throw message.malformed(`The ${config.phase} body nests deeper than ${config.maxBodyDepth} levels.`);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw message.malformed(
          config.phase === 'request'
            ? 'The request body is not valid JSON.'
            : 'The upstream response is not valid JSON.',
        );
      }
      message.write(toXml(value), config.contentType);
    };
    return config.phase === 'request' ? { request: handler } : { response: handler, readsResponseBody: true };
  },
});
