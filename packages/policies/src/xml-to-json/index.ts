/**
 * xml-to-json: converts an XML request or response body to JSON (e.g. to expose an XML backend as
 * a JSON API). Bodies that are not XML by Content-Type pass through untouched.
 */

import { isXmlMediaType, messageBody, resolveBodyLimit } from '../sdk/body-message.js';
import { definePolicy } from '../sdk/define.js';
import { xmlNestingExceeds } from '../sdk/nesting-depth.js';
import type { Handler } from '../sdk/types.js';
import { xmlToJsonContract } from './contract.js';
import { createXmlReader, XmlSyntaxError } from './from-xml.js';
import type { XmlToJsonConfig } from './schema.js';

export const xmlToJsonPolicy = definePolicy<XmlToJsonConfig>({
  ...xmlToJsonContract,
  create(config, env) {
    const maxBytes = resolveBodyLimit(config.maxBodySize, env);
    const fromXml = createXmlReader(config);
    const handler: Handler = async (ctx) => {
      const message = messageBody(ctx, config.phase, maxBytes);
      if (!isXmlMediaType(message.mediaType)) return;
      const body = await message.read();
      if (body.length === 0) return;
      const text = body.toString('utf8');
      if (xmlNestingExceeds(text, config.maxBodyDepth))
        throw message.malformed(`The ${config.phase} body nests deeper than ${config.maxBodyDepth} levels.`);
      let value: unknown;
      try {
        value = fromXml(text);
      } catch (error) {
        if (!(error instanceof XmlSyntaxError)) throw error;
        const where = error.line === undefined ? '' : ` (line ${error.line})`;
        throw message.malformed(
          config.phase === 'request'
            ? `The request body is not well-formed XML${where}: ${error.message}`
            : 'The upstream response is not well-formed XML.',
        );
      }
      message.write(JSON.stringify(value), config.contentType);
    };
    return config.phase === 'request' ? { request: handler } : { response: handler, readsResponseBody: true };
  },
});
