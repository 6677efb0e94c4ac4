/**
 * The set-up most gateway-level tests share: one echo (or custom) upstream and one gateway in front
 * of it, started before the suite's tests and closed after them.
 */
import type http from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import type { GatewayOptions } from '../gateway.js';
import { startTestGateway, startTestUpstream, type TestGateway, type TestUpstream } from './harness.js';

export interface TestGatewaySuiteOptions {
  /** Custom upstream behaviour (default: a JSON echo of the request). */
  upstream?: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;
  gateway?: Partial<GatewayOptions>;
}

/**
 * Call inside a `describe`: `const { gw, upstream } = useTestGateway((upstream) => simpleDocument(upstream.url, …))`.
 * Both exist only once `beforeAll` has run, so the returned objects stand in for them and forward
 * every access; tests use them exactly as they would the real ones.
 */
export function useTestGateway(
  document: (upstream: TestUpstream) => unknown,
  options: TestGatewaySuiteOptions = {},
): { gw: TestGateway; upstream: TestUpstream } {
  let upstream: TestUpstream | undefined;
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    upstream = await startTestUpstream(options.upstream);
    gw = await startTestGateway(document(upstream), options.gateway);
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });
  return { gw: startedLater('gateway', () => gw), upstream: startedLater('upstream', () => upstream) };
}

function startedLater<T extends object>(what: string, current: () => T | undefined): T {
  const target = (): T => {
    const value = current();
    if (value === undefined) throw new Error(`the test ${what} is not started yet (use it inside tests or hooks)`);
    return value;
  };
  return new Proxy({} as T, {
    get: (_, key) => {
      const value = target();
      const member = Reflect.get(value, key, value);
      return typeof member === 'function' ? member.bind(value) : member;
    },
    has: (_, key) => Reflect.has(target(), key),
  });
}
