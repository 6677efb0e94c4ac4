/**
 * find-replace: rewrites text in a request or response body (literal text or regular expressions,
 * compiled once at load), e.g. internal host names in upstream responses. Bodies are read as UTF-8;
 * only matching media types are buffered.
 */

import { mediaTypeMatches, messageBody, resolveBodyLimit } from '../sdk/body-message.js';
import { definePolicy } from '../sdk/define.js';
import { compileSafeRegex, quoteRegex } from '../sdk/safe-regex.js';
import type { Handler } from '../sdk/types.js';
import { findReplaceContract } from './contract.js';
import type { FindReplaceConfig, ReplacementConfig } from './schema.js';

type Rewrite = (text: string) => string;

function compileReplacement(rule: ReplacementConfig, index: number): Rewrite {
  const source = rule.regex ? rule.find : quoteRegex(rule.find);
  // RE2 (linear time): a response body is as long as the upstream makes it.
  const pattern = compileSafeRegex(source, `replacements[${index}].find`, {
    ignoreCase: rule.flags.includes('i'),
    multiline: rule.flags.includes('m'),
    dotAll: rule.flags.includes('s'),
  });
  // Literal replacements are literal too: a `$` in them must not refer to groups.
  const options = { all: rule.flags.includes('g'), literal: !rule.regex };
  return (text) => pattern.replace(text, rule.replace, options);
}

export const findReplacePolicy = definePolicy<FindReplaceConfig>({
  ...findReplaceContract,
  create(config, env) {
    const maxBytes = resolveBodyLimit(config.maxBodySize, env);
    const rewrites = config.replacements.map(compileReplacement);
    const handler: Handler = async (ctx) => {
      const message = messageBody(ctx, config.phase, maxBytes);
      if (message.gatewayProblem || !mediaTypeMatches(message.mediaType, config.contentTypes)) return;
      const body = await message.read();
      if (body.length === 0) return;
      const original = body.toString('utf8');
      let text = original;
      for (const rewrite of rewrites) text = rewrite(text);
      if (text !== original) message.write(text);
    };
    return config.phase === 'request' ? { request: handler } : { response: handler, readsResponseBody: true };
  },
});
