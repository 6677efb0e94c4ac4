/** A document a gateway refuses is refused with every problem at once: schema, references and policy configs. */
import { silentLogger } from '@gatehouse/core';
import { ConfigError } from '@gatehouse/policies';
import { describe, expect, it } from 'vitest';
import { startGateway } from './gateway.js';

describe('gateway config checks', () => {
  it('lists schema, reference and policy problems of a refused document together', async () => {
    const document = {
      version: 1,
      apis: [
        {
          id: 'a',
          name: 'A',
          basePath: '/a',
          upstream: { targets: [{ url: 'http://127.0.0.1:9' }], timeouts: { connect: 'fast' } },
          plans: [
            {
              id: 'p',
              security: { type: 'apikey' },
              policies: [{ policy: 'rate-limit', config: { limit: 5, window: '0s' } }],
            },
          ],
        },
      ],
      applications: [{ id: 'app', name: 'App', subscriptions: [{ api: 'a', plan: 'gold' }] }],
    };
    const error = await startGateway({ document, logger: silentLogger(), port: 0, adminPort: 0 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'apis[0].upstream.timeouts.connect' }),
        expect.objectContaining({ path: 'applications[0].subscriptions[0].plan' }),
        { path: 'apis[0].plans[0].security.type', message: 'unknown security type "apikey" (did you mean "api-key"?)' },
        { path: 'apis[0].plans[0].policies[0].config.window', message: 'must be at least 1ms' },
      ]),
    );
  });
});
