/**
 * `json-threat-protection` (request phase): rejects JSON bodies whose structure exceeds configured
 * limits before any parser (ours or the upstream's) materialises them. A violated limit answers 400
 * `json_threat_detected`, naming the limit (`limit` member) and where it was hit (`errors[0].path`);
 * malformed JSON answers 400 `bad_request`. Only requests whose Content-Type is a JSON media type are
 * scanned.
 */
import { GatewayError, isGatewayError, parseSize } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { compileGlob } from '../sdk/safe-regex.js';
import type { RequestContext } from '../sdk/types.js';
import { jsonThreatProtectionContract } from './contract.js';
import { type JsonLimits, scanJson } from './scanner.js';
import type { JsonThreatProtectionConfig } from './schema.js';

export const jsonThreatProtectionPolicy = definePolicy<JsonThreatProtectionConfig>({
  ...jsonThreatProtectionContract,
  create(config, env) {
    const limits: JsonLimits = {
      maxDepth: config.maxDepth ?? 32,
      maxKeyLength: config.maxKeyLength ?? 256,
      maxStringLength: config.maxStringLength ?? 65_536,
      maxArraySize: config.maxArraySize ?? 10_000,
      maxObjectEntries: config.maxObjectEntries ?? 1_000,
    };
    const maxSize = parseSize(config.maxSize ?? '1mb');
    const isJson = mediaTypeMatcher(config.contentTypes ?? ['application/json', 'application/*+json']);

    const tooLarge = () =>
      new GatewayError('json_threat_detected', {
        detail: `maxSize exceeded: JSON body larger than ${maxSize} bytes`,
        errors: [{ path: 'body', message: `larger than ${maxSize} bytes` }],
        extensions: { limit: 'maxSize' },
      });

    return {
      async request(ctx: RequestContext) {
        if (!ctx.request.hasBody || !isJson(ctx.request.headers['content-type'])) return;
        if (Number(ctx.request.headers['content-length'] ?? 0) > maxSize) throw tooLarge();
        let body: Buffer;
        try {
          body = await ctx.request.readBody(Math.min(maxSize, env.maxBodyBuffer));
        } catch (error) {
          // Beyond our own limit (not merely the gateway's buffer limit): report it as this policy's limit.
          if (isGatewayError(error) && error.code === 'payload_too_large' && maxSize <= env.maxBodyBuffer)
            throw tooLarge();
          throw error;
        }
        if (body.length === 0) return;
        const problem = scanJson(body, limits);
        if (!problem) return;
        if (problem.kind === 'syntax') {
          throw new GatewayError('bad_request', {
            detail: `body is not valid JSON: ${problem.message} at byte ${problem.offset}`,
          });
        }
        throw new GatewayError('json_threat_detected', {
          detail: `${problem.limit} exceeded: ${problem.message}`,
          errors: [{ path: problem.path, message: problem.message }],
          extensions: { limit: problem.limit },
        });
      },
    };
  },
});

/** Matches a Content-Type header (parameters ignored) against media type patterns with `*`. */
export function mediaTypeMatcher(patterns: readonly string[]): (contentType: string | undefined) => boolean {
  // RE2: several `*` in one pattern would backtrack polynomially on a long Content-Type.
  const regexes = patterns.map((p, index) => compileGlob(p.toLowerCase(), '[^/;]*', `contentTypes[${index}]`));
  return (contentType) => {
    if (!contentType) return false;
    const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
    return regexes.some((re) => re.test(mediaType));
  };
}
