/**
 * Operator-supplied regular expressions run on RE2 (linear time): a catastrophic-backtracking
 * pattern in the config plus a few bytes from a client must not stall the gateway for anyone.
 * With JavaScript's RegExp, `^(a+)+$` against 26 bytes keeps the event loop busy for seconds.
 */
import { startTestGateway, startTestUpstream, type TestGateway, type TestUpstream } from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const EVIL = '^(a+)+$';
const EVIL_INPUT = `${'a'.repeat(25)}!`;
/** Far above a loaded CI machine's noise, far below the seconds RegExp spends on EVIL_INPUT. */
const STALL_MS = 1_000;

function api(id: string, extra: Record<string, unknown>, targetUrl: string) {
  return {
    id,
    name: id,
    basePath: `/${id}`,
    upstream: { targets: [{ url: targetUrl }] },
    plans: [{ id: 'open', security: { type: 'keyless' } }],
    ...extra,
  };
}

/**
 * Worst latency of back-to-back requests to an unrelated API while `attack` is in flight: one of
 * them is always waiting, so a stalled event loop shows up as that request's latency.
 */
async function worstLatencyDuring(gw: TestGateway, attack: () => Promise<Response>): Promise<number> {
  let attackDone = false;
  let worst = 0;
  const bystanders = (async () => {
    while (!attackDone) {
      const started = performance.now();
      const res = await gw.fetch('/bystander/ping');
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      worst = Math.max(worst, performance.now() - started);
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 30));
  const answer = await attack();
  await answer.arrayBuffer();
  attackDone = true;
  await bystanders;
  return worst;
}

describe('regular expressions from the config cannot stall the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startTestUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(req.url?.startsWith('/evil-body') ? EVIL_INPUT : 'ok');
    });
    gw = await startTestGateway({
      version: 1,
      apis: [
        api('bystander', {}, upstream.url),
        api(
          'checked',
          {
            // header-check runs before authentication: any anonymous client reaches it.
            plans: [{ id: 'keyed', security: { type: 'api-key' } }],
            policies: [{ policy: 'header-check', config: { required: [{ name: 'x-tenant', pattern: EVIL }] } }],
          },
          upstream.url,
        ),
        api(
          'rewritten',
          { policies: [{ policy: 'rewrite-path', config: { pattern: '^/(a+)+$', replacement: '/x' } }] },
          upstream.url,
        ),
        api(
          'replaced',
          {
            policies: [
              {
                policy: 'find-replace',
                config: { phase: 'response', replacements: [{ find: EVIL, regex: true, replace: 'masked' }] },
              },
            ],
          },
          upstream.url,
        ),
      ],
    });
    // Warm connections and code paths, so the figures below measure the attack only.
    for (const path of ['/bystander/ping', '/checked/x', '/rewritten/x', '/replaced/x']) {
      await (await gw.fetch(path, { headers: { 'x-tenant': 'aaa' } })).arrayBuffer();
    }
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('header-check: a hostile header value before authentication', async () => {
    const elapsed = await worstLatencyDuring(gw, () => gw.fetch('/checked/x', { headers: { 'x-tenant': EVIL_INPUT } }));
    expect(elapsed).toBeLessThan(STALL_MS);
  });

  it('rewrite-path: a hostile path', async () => {
    const elapsed = await worstLatencyDuring(gw, () => gw.fetch(`/rewritten/${EVIL_INPUT}`));
    expect(elapsed).toBeLessThan(STALL_MS);
  });

  it('find-replace: a hostile response body', async () => {
    const elapsed = await worstLatencyDuring(gw, () => gw.fetch('/replaced/evil-body'));
    expect(elapsed).toBeLessThan(STALL_MS);
  });
});
