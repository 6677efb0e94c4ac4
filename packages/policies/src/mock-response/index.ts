// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
/**
 * mock-response: answers at the gateway without calling the upstream (stubs, maintenance pages,
 * health endpoints). Body and header values are templates compiled once at load.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { GatewayError } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { compileTemplate } from '../sdk/expression.js';
import { sanitizeHeaderValue } from '../set-headers/index.js';
import { mockResponseContract } from './contract.js';
import type { MockResponseConfig } from './schema.js';

export const mockResponsePolicy = definePolicy<MockResponseConfig>({
  ...mockResponseContract,
  create(config) {
    const compile = (text: string, field: string) => {
      try {
        return compileTemplate(text);
      } catch (error) {
        throw new Error(`${field}: ${(error as Error).message}`);
      }
    };
    const body = compile(config.body, 'body');
    const headers = Object.entries(config.headers).map(
      ([name, value]) => [name.toLowerCase(), compile(value, `headers.${name}`)] as const,
    );
    const hasContentType = headers.some(([name]) => name === 'content-type');
    return {
      request(ctx) {
        let rendered: string;
        const answer: OutgoingHttpHeaders = {};
        try {
          rendered = body.render(ctx);
          for (const [name, template] of headers) answer[name] = sanitizeHeaderValue(template.render(ctx));
        } catch (error) {
          throw new GatewayError('policy_error', {
            detail: 'The mock response template could not be rendered.',
            cause: error,
          });
        }
        if (!hasContentType && rendered !== '') answer['content-type'] = 'text/plain; charset=utf-8';
        ctx.respond(config.status, answer, rendered);
      },
    };
  },
});
