// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { GatewayError, parseDuration, parseSize } from '@gatehouse/core';
import { Agent, type Dispatcher } from 'undici';
import { checkUrl, hostMatcher } from '../dynamic-routing/target-url.js';
import { definePolicy } from '../sdk/define.js';
import { compileTemplate } from '../sdk/expression.js';
import { call } from './call.js';
import { httpCalloutContract } from './contract.js';
import type { HttpCalloutConfig } from './schema.js';

function compileField(field: string, template: string) {
  try {
    return compileTemplate(template);
  } catch (error) {
    throw new Error(`${field}: ${(error as Error).message}`);
  }
}

export const httpCalloutPolicy = definePolicy<HttpCalloutConfig>({
  ...httpCalloutContract,
  create(config) {
    const allowed = hostMatcher(config.allowedHosts);
    const url = compileField('url', config.url);
    if (!url.dynamic) {
      const checked = checkUrl(config.url, allowed);
      if ('problem' in checked) throw new Error(`url ${checked.problem}`);
    }
    const headers = Object.entries(config.headers).map(
      ([name, value]) => [name.toLowerCase(), compileField(`headers.${name}`, value)] as const,
    );
    const body = config.body === '' ? undefined : compileField('body', config.body);
    const sendsContentType = headers.some(([name]) => name === 'content-type');
    const timeoutMs = parseDuration(config.timeout);
    const maxBytes = parseSize(config.maxResponseSize);
    // Own connection pool: callouts must not queue behind (or starve) upstream traffic.
    const dispatcher = new Agent({ connect: { timeout: timeoutMs }, keepAliveTimeout: 10_000 });

    return {
      async request(ctx) {
        const rendered = checkUrl(url.render(ctx), allowed);
        const outcome =
          'problem' in rendered
            ? { ok: false, status: 0, headers: {}, body: null, error: `url ${rendered.problem}` }
            : await call({
                method: config.method as Dispatcher.HttpMethod,
                url: rendered.url,
                headers: Object.fromEntries([
                  ...(body && !sendsContentType ? [['content-type', 'application/json']] : []),
                  ...headers.map(([name, template]) => [name, template.render(ctx)]),
                ]),
                body: body?.render(ctx),
                timeoutMs,
                maxBytes,
                errorOnStatus: config.errorOnStatus,
                dispatcher,
                signal: ctx.signal,
              });
        ctx.attributes[config.attribute] = outcome;
        if (outcome.ok) return;
        // The URL may carry request data (ids, tokens): log the host only.
        const host = 'problem' in rendered ? undefined : rendered.url.host;
        ctx.log.warn({ policy: 'http-callout', host, status: outcome.status, error: outcome.error }, 'callout failed');
        if (config.failOnError) {
          throw new GatewayError('upstream_unavailable', {
            status: config.errorStatus,
            detail: 'a service this request depends on failed',
          });
        }
      },
      close: () => dispatcher.destroy(),
    };
  },
});
