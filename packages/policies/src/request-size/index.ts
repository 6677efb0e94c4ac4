/**
 * request-size: refuses oversized bodies before security and before the upstream sees a byte.
 * A declared Content-Length is checked without reading anything. A chunked body has no declared
 * size, so it is read (buffered) up to `max`: readBody rejects with 413 as soon as it goes beyond,
 * and the buffered body is what gets forwarded.
 */
import { GatewayError, parseSize } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { requestSizeContract } from './contract.js';
import type { RequestSizeConfig } from './schema.js';

export const requestSizePolicy = definePolicy<RequestSizeConfig>({
  ...requestSizeContract,
  create(config) {
    const max = parseSize(config.max);
    const tooLarge = () => new GatewayError('payload_too_large', { detail: `The request body exceeds ${max} bytes.` });
    return {
      async preSecurity(ctx) {
        const { headers } = ctx.request;
        const declared = headers['content-length'];
        if (declared !== undefined) {
          if (Number(declared) > max) throw tooLarge();
          return;
        }
        if (!ctx.request.hasBody) return;
        try {
          await ctx.request.readBody(max);
        } catch (error) {
          // Keep our limit in the message even if the gateway phrased it differently.
          if (error instanceof GatewayError && error.code === 'payload_too_large') throw tooLarge();
          throw error;
        }
      },
    };
  },
});
