/**
 * spike-arrest: smooths bursts by admitting one request per (period / rate) per key, with a
 * configurable burst. In memory per gateway by default (N gateways admit N times the rate);
 * `distributed: true` approximates it across gateways with the shared counter store. The workers of
 * one node share one bucket (env.nodeLimits).
 */
import { GatewayError } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { createKeyResolver } from '../sdk/traffic-key.js';
import { spikeArrestContract } from './contract.js';
import { GcraLimiter } from './gcra.js';
import { emissionIntervalMs, type SpikeArrestConfig } from './schema.js';

const PRUNE_EVERY_MS = 10_000;

export const spikeArrestPolicy = definePolicy<SpikeArrestConfig>({
  ...spikeArrestContract,
  create(config, env) {
    const keyOf = createKeyResolver(config.key, env);
    const intervalMs = emissionIntervalMs(config.rate);
    const tooFast = (retryAfterMs: number) => {
      const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
      return new GatewayError('rate_limited', {
        detail: `Requests are limited to ${config.rate} (burst ${config.burst}); retry in ${seconds} second(s).`,
        headers: { 'retry-after': String(seconds) },
      });
    };

    if (config.distributed) {
      // Integer windows: stores bucket time in whole milliseconds.
      const windowMs = Math.max(1, Math.round(intervalMs * config.burst));
      return {
        async request(ctx) {
          const result = await env.counters.hit({
            key: `spike:${env.scope.key}:${keyOf(ctx)}`,
            windowMs,
            algorithm: 'fixed',
            limit: config.burst,
          });
          if (result.count > config.burst) throw tooFast(result.resetMs);
        },
      };
    }

    const node = env.nodeLimits;
    if (node) {
      // Several workers: the node's primary keeps the bucket, so the rate holds for the node as a whole.
      const namespace = `spike:${env.scope.key}:`;
      return {
        async request(ctx) {
          const admission = await node.takeCell(namespace + keyOf(ctx), intervalMs, config.burst);
          if (!admission.allowed) throw tooFast(admission.retryAfterMs);
        },
      };
    }

    const limiter = new GcraLimiter(intervalMs, config.burst);
    const pruner = setInterval(() => limiter.prune(Date.now()), PRUNE_EVERY_MS);
    pruner.unref();
    return {
      request(ctx) {
        const admission = limiter.take(keyOf(ctx), Date.now());
        if (!admission.allowed) throw tooFast(admission.retryAfterMs);
      },
      close() {
        clearInterval(pruner);
      },
    };
  },
});
