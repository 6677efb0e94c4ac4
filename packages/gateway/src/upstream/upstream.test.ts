import type { Upstream as UpstreamConfig } from '@gatehouse/config';
import { GatewayError } from '@gatehouse/core';
import { afterEach, describe, expect, it } from 'vitest';
import { PoolManager } from './pool-manager.js';
import { readAll, refusedUrl, sleep, startServer, type TestServer, waitFor } from './test-support/servers.js';
import type { UpstreamReceiver, UpstreamRequest, UpstreamResponse } from './types.js';
import { Upstream } from './upstream.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function servers(count: number, handler?: Parameters<typeof startServer>[0]): Promise<TestServer[]> {
  const list = await Promise.all(Array.from({ length: count }, () => startServer(handler)));
  for (const server of list) cleanup.push(() => server.close());
  return list;
}

function upstream(config: Partial<UpstreamConfig> & Pick<UpstreamConfig, 'targets'>): Upstream {
  const pools = new PoolManager();
  const instance = new Upstream('api', config as UpstreamConfig, pools);
  cleanup.push(async () => {
    await instance.close();
    await pools.close();
  });
  return instance;
}

const get = (path = '/', extra: Partial<UpstreamRequest> = {}): UpstreamRequest => ({
  method: 'GET',
  path,
  headers: {},
  body: null,
  ...extra,
});

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

/** Sends sequentially, reads each body, returns which server answered each request. */
async function sendMany(instance: Upstream, list: TestServer[], count: number): Promise<string> {
  let order = '';
  for (let i = 0; i < count; i++) {
    const response = await instance.send(get('/'));
    await readAll(response.body);
    order += 'abcdefgh'[list.findIndex((s) => s.url === response.target)];
  }
  return order;
}

describe('Upstream: forwarding', () => {
  it('joins the target path prefix, sets Host to the target and streams the response', async () => {
    const [server] = await servers(1, (req, res) => {
      res.setHeader('x-seen-path', req.url!);
      res.end('hello');
    });
    const instance = upstream({ targets: [{ url: `${server!.url}/v1/` }] });
    const response = await instance.send(get('/items?x=1', { headers: { host: 'client.example', 'x-a': '1' } }));
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-seen-path']).toBe('/v1/items?x=1');
    expect(await readAll(response.body)).toBe('hello');
    expect(response.target).toBe(server!.url);
    expect(response.attempts).toBe(1);
    expect(server!.requests[0]!.host).toBe(new URL(server!.url).host);
  });

  it('keeps the client Host with preserveHost and forwards a Buffer body', async () => {
    const [server] = await servers(1);
    const instance = upstream({ targets: [{ url: server!.url }], preserveHost: true });
    const body = Buffer.from('{"a":1}');
    const response = await instance.send({
      method: 'POST',
      path: '/',
      headers: { host: 'client.example', 'content-length': String(body.length) },
      body,
    });
    await readAll(response.body);
    expect(server!.requests[0]).toMatchObject({ method: 'POST', host: 'client.example', body: '{"a":1}' });
  });

  it('sends to overrides.targetUrl instead of balancing', async () => {
    const [configured, dynamic] = await servers(2);
    const instance = upstream({ targets: [{ url: configured!.url }] });
    const response = await instance.send(get('/x', { overrides: { targetUrl: `${dynamic!.url}/dyn` } }));
    await readAll(response.body);
    expect(response.target).toBe(dynamic!.url);
    expect(dynamic!.requests.map((r) => r.url)).toEqual(['/dyn/x']);
    expect(configured!.requests).toHaveLength(0);
  });

  it('reuses keep-alive connections: many requests, few sockets', async () => {
    const [server] = await servers(1);
    const instance = upstream({ targets: [{ url: server!.url }] });
    for (let i = 0; i < 50; i++) await readAll((await instance.send(get('/'))).body);
    // undici may open a second connection while the very first one is still settling; never more.
    expect(server!.connections).toBeLessThanOrEqual(2);
    // Concurrent bursts open at most one connection per simultaneous exchange, then reuse them. undici hands a
    // socket back one event-loop turn after a response completes (setImmediate), hence the pause between bursts.
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 10 }, async () => readAll((await instance.send(get('/'))).body)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(server!.requests).toHaveLength(80);
    expect(server!.connections).toBeLessThanOrEqual(12);
  });

  it('streams a chunked response chunk by chunk before the upstream finishes', async () => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const [server] = await servers(1, async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first-');
      await finished;
      res.end('last');
    });
    const instance = upstream({ targets: [{ url: server!.url }] });
    const response = await instance.send(get('/'));
    expect(response.headers['transfer-encoding']).toBe('chunked');
    const iterator = response.body[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(String(first.value)).toBe('first-');
    finish();
    let rest = '';
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest += String(next.value);
    expect(rest).toBe('last');
  });

  it('aborts the upstream exchange when the client goes away, without counting a failure', async () => {
    let closedByGateway = false;
    const [server] = await servers(1, (req) => {
      req.socket.on('close', () => {
        closedByGateway = true;
      });
    });
    const instance = upstream({
      targets: [{ url: server!.url }],
      circuitBreaker: { failureThreshold: 1 },
    });
    const controller = new AbortController();
    const pending = instance.send(get('/', { signal: controller.signal }));
    await waitFor(() => server!.requests.length === 1, 10_000, 'request at upstream');
    controller.abort();
    const error = await rejection(pending);
    expect(error.status).toBe(499);
    await waitFor(() => closedByGateway, 10_000, 'upstream socket closed');
    expect(instance.state()).toMatchObject({ circuit: 'closed', targets: [{ healthy: true, inFlight: 0 }] });
  });
});

describe('Upstream: balancing over real servers', () => {
  it('round-robin spreads evenly in order', async () => {
    const list = await servers(3);
    const instance = upstream({ targets: list.map((s) => ({ url: s.url })) });
    expect(await sendMany(instance, list, 9)).toBe('abcabcabc');
  });

  it('weighted follows the weights smoothly', async () => {
    const list = await servers(2);
    const instance = upstream({
      targets: [
        { url: list[0]!.url, weight: 3 },
        { url: list[1]!.url, weight: 1 },
      ],
      loadBalancing: 'weighted',
    });
    expect(await sendMany(instance, list, 8)).toBe('aabaaaba');
  });

  it('least-connections avoids the target still busy with an exchange', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = await startServer(async (_req, res) => {
      await held;
      res.end('slow');
    });
    cleanup.push(() => slow.close());
    const [fast] = await servers(1);
    const instance = upstream({
      targets: [{ url: slow.url }, { url: fast!.url }],
      loadBalancing: 'least-connections',
      timeouts: { response: '5s' },
    });
    const pendingSlow = instance.send(get('/'));
    await waitFor(() => slow.requests.length === 1, 10_000, 'slow request');
    for (let i = 0; i < 5; i++) await readAll((await instance.send(get('/'))).body);
    expect(instance.state().targets.map((t) => t.inFlight)).toEqual([1, 0]);
    release();
    await readAll((await pendingSlow).body);
    expect(slow.requests).toHaveLength(1);
    expect(fast!.requests).toHaveLength(5);
    expect(instance.state().targets.map((t) => t.inFlight)).toEqual([0, 0]);
  });
});

describe('Upstream.deliver', () => {
  /** Records what the receiver was told, and whether it was told during the deliver() call itself. */
  function recorder() {
    let inside = false;
    const told: Array<{ kind: 'answer' | 'failure'; value: unknown; reentrant: boolean; complete?: string }> = [];
    let settle!: () => void;
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const receiver: UpstreamReceiver = {
      upstreamAnswered(response: UpstreamResponse) {
        // Taken when told, as the proxy path does: a small body should already be whole.
        told.push({
          kind: 'answer',
          value: response,
          reentrant: inside,
          complete: response.takeComplete?.()?.toString(),
        });
        settle();
      },
      upstreamFailed(error: unknown) {
        told.push({ kind: 'failure', value: error, reentrant: inside });
        settle();
      },
    };
    const deliver = (instance: Upstream, request: UpstreamRequest) => {
      inside = true;
      instance.deliver(request, receiver);
      inside = false;
    };
    return { told, done, deliver };
  }

  it('tells the receiver once, after the call, with a small body already complete', async () => {
    const [server] = await servers(1);
    const instance = upstream({ targets: [{ url: server!.url }] });
    const { told, done, deliver } = recorder();
    deliver(instance, get('/'));
    await done;
    await sleep(20);
    expect(told.map((t) => [t.kind, t.reentrant])).toEqual([['answer', false]]);
    expect((told[0]!.value as UpstreamResponse).statusCode).toBe(200);
    // The answer is reported once the chunk holding headers and body was parsed: no stream needed.
    expect(told[0]!.complete).toBe('ok');
  });

  it('reports a failure known at once (no healthy target) after the call, not inside it', async () => {
    const instance = upstream({
      targets: [{ url: await refusedUrl() }],
      retries: { attempts: 0 },
      healthCheck: { passive: { failures: 1, cooldown: '10s' } },
    });
    await rejection(instance.send(get('/')));
    const { told, done, deliver } = recorder();
    deliver(instance, get('/'));
    expect(told).toEqual([]);
    await done;
    expect(told).toHaveLength(1);
    expect(told[0]!.reentrant).toBe(false);
    expect((told[0]!.value as GatewayError).code).toBe('no_healthy_target');
  });
});

describe('Upstream: failures, timeouts and retries', () => {
  it('connection refused -> 502 upstream_unavailable without retries', async () => {
    const instance = upstream({ targets: [{ url: await refusedUrl() }], retries: { attempts: 0 } });
    const error = await rejection(instance.send(get('/')));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.status).toBe(502);
  });

  it('retries an idempotent request on the next, healthy target', async () => {
    const [healthy] = await servers(1);
    const instance = upstream({ targets: [{ url: await refusedUrl() }, { url: healthy!.url }] });
    const response = await instance.send(get('/'));
    expect(await readAll(response.body)).toBe('ok');
    expect(response.target).toBe(healthy!.url);
    expect(response.attempts).toBe(2);
  });

  it('does not retry a non-idempotent POST nor a streamed body', async () => {
    const [healthy] = await servers(1);
    const instance = upstream({
      targets: [{ url: await refusedUrl() }, { url: healthy!.url }],
      retries: { attempts: 3 },
    });
    const post = await rejection(instance.send({ method: 'POST', path: '/', headers: {}, body: Buffer.from('x') }));
    expect(post.code).toBe('upstream_unavailable');
    expect(healthy!.requests).toHaveLength(0);
  });

  it('response timeout -> 504 upstream_timeout, also from overrides.responseTimeoutMs', async () => {
    // Never answers (closing the server ends the exchange): only the timeout can settle the call.
    const [server] = await servers(1, () => {});
    const configured = upstream({
      targets: [{ url: server!.url }],
      timeouts: { response: '100ms' },
      retries: { attempts: 0 },
    });
    const error = await rejection(configured.send(get('/')));
    expect(error.code).toBe('upstream_timeout');
    expect(error.status).toBe(504);

    const overridden = upstream({ targets: [{ url: server!.url }], retries: { attempts: 0 } });
    const viaOverride = await rejection(overridden.send(get('/', { overrides: { responseTimeoutMs: 100 } })));
    expect(viaOverride.code).toBe('upstream_timeout');
  });

  it('aborts a body that stalls longer than timeouts.idle', async () => {
    // Stalls for good after the first chunk: only the idle timeout can end the body.
    const [server] = await servers(1, (_req, res) => {
      res.write('partial');
    });
    const instance = upstream({ targets: [{ url: server!.url }], timeouts: { idle: '100ms' } });
    const response = await instance.send(get('/'));
    await expect(readAll(response.body)).rejects.toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
    await waitFor(() => instance.state().targets[0]!.inFlight === 0, 10_000, 'exchange to end');
  });

  it('retries statuses in retries.onStatus on the next target; returns the last answer when out of attempts', async () => {
    const [failing, healthy] = await servers(2);
    failing!.server.removeAllListeners('request');
    failing!.server.on('request', (_req, res) => {
      res.statusCode = 503;
      res.end('busy');
    });
    const instance = upstream({
      targets: [{ url: failing!.url }, { url: healthy!.url }],
      retries: { attempts: 1, onStatus: [503] },
      healthCheck: { passive: { enabled: false } },
    });
    const retried = await instance.send(get('/'));
    expect([retried.statusCode, retried.attempts, await readAll(retried.body)]).toEqual([200, 2, 'ok']);

    const post = await instance.send({ method: 'POST', path: '/', headers: {}, body: null });
    expect([post.statusCode, post.attempts, await readAll(post.body)]).toEqual([503, 1, 'busy']);

    const onlyFailing = upstream({ targets: [{ url: failing!.url }], retries: { attempts: 2, onStatus: [503] } });
    const last = await onlyFailing.send(get('/'));
    expect([last.statusCode, last.attempts, await readAll(last.body)]).toEqual([503, 3, 'busy']);
  });
});
