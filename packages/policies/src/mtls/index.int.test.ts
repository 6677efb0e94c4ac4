import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAtPath, validatePolicyConfig } from '../sdk/define.js';
import type { AuthOutcome, SecurityScheme } from '../sdk/types.js';
import { createTestContext } from '../testing/context.js';
import { securityEnv, type TestApplication } from '../testing/index.js';
import { fingerprintIdentity } from './chain.js';
import { mtlsSecurity } from './index.js';
import type { MtlsConfig } from './schema.js';
import { createTestPki, type TestPki } from './test-support/certs.js';

let pki: TestPki;
let server: Server;
let port: number;
/** What the server does with each accepted connection (set per test). */
let onConnection: (socket: TLSSocket) => unknown = () => undefined;

beforeAll(async () => {
  pki = createTestPki();
  // As the gateway will: ask for a certificate, let the handshake through, judge in the scheme.
  server = createServer({ ...pki.server, requestCert: true, rejectUnauthorized: false }, (socket) => {
    Promise.resolve(onConnection(socket))
      .then((result) => socket.end(JSON.stringify(result ?? null)))
      .catch((error: Error) => socket.end(JSON.stringify({ thrown: error.message })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  pki.cleanup();
});
afterEach(() => {
  vi.useRealTimers();
});

function scheme(config: Record<string, unknown>, applications: TestApplication[]): SecurityScheme {
  const valid = validatePolicyConfig<MtlsConfig>(mtlsSecurity, config, 'plans[0].security.config');
  return createAtPath('plans[0].security.config', () => mtlsSecurity.create(valid, securityEnv({ applications })));
}

function contextOn(socket: TLSSocket) {
  const ctx = createTestContext();
  (ctx.request as { tlsSocket: TLSSocket | undefined }).tlsSocket = socket;
  return ctx;
}

function summarize(outcome: AuthOutcome | undefined) {
  if (!outcome) return { none: true };
  if ('error' in outcome) return { status: outcome.error.status, detail: outcome.error.detail };
  if ('subscription' in outcome) return { app: outcome.subscription.application.id, principal: outcome.principal };
  return { anonymous: true };
}

/** Connects with the given client credentials and returns what the server's scheme decided. */
function exchange(client: { key?: string; cert?: string }, handler: (socket: TLSSocket) => unknown): Promise<unknown> {
  onConnection = handler;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...client }, () => undefined);
    let data = '';
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => resolve(JSON.parse(data)));
    socket.on('error', reject);
  });
}

const certificateIdentity = (pem: string) => fingerprintIdentity(new X509Certificate(pem));

describe('mtls security over a real TLS connection', () => {
  it('accepts a client chaining through a presented intermediate, matched by fingerprint', async () => {
    const apps = [{ id: 'app-a', name: 'A', certificates: [certificateIdentity(pki.clientA.cert)] }];
    const s = scheme({ ca: pki.rootCa }, apps);
    const result = await exchange({ key: pki.clientA.key, cert: pki.clientA.chain }, (socket) =>
      summarize(s.authenticate(contextOn(socket)) as AuthOutcome),
    );
    expect(result).toEqual({ app: 'app-a', principal: certificateIdentity(pki.clientA.cert) });
  });

  it('matches by subject DN in RFC 4514 order', async () => {
    const apps = [{ id: 'app-a', name: 'A', certificates: ['subject:CN=client-a,O=Acme,C=US'] }];
    const s = scheme({ ca: pki.rootCa }, apps);
    const result = await exchange({ key: pki.clientA.key, cert: pki.clientA.chain }, (socket) =>
      summarize(s.authenticate(contextOn(socket)) as AuthOutcome),
    );
    expect(result).toEqual({ app: 'app-a', principal: 'subject:CN=client-a,O=Acme,C=US' });
    const fingerprintOnly = scheme({ ca: pki.rootCa, identities: ['fingerprint'] }, apps);
    const refused = await exchange({ key: pki.clientA.key, cert: pki.clientA.chain }, (socket) =>
      summarize(fingerprintOnly.authenticate(contextOn(socket)) as AuthOutcome),
    );
    expect(refused).toMatchObject({ status: 403 });
  });

  it('accepts a certificate issued by the CA directly and trusts the intermediate when configured as CA', async () => {
    const apps = [{ id: 'app-b', name: 'B', certificates: ['subject:CN=client-b'] }];
    const result = await exchange(pki.clientB, (socket) =>
      summarize(scheme({ ca: pki.rootCa }, apps).authenticate(contextOn(socket)) as AuthOutcome),
    );
    expect(result).toEqual({ app: 'app-b', principal: 'subject:CN=client-b' });
    const appA = [{ id: 'app-a', name: 'A', certificates: ['subject:CN=client-a,O=Acme,C=US'] }];
    const byIntermediate = scheme({ ca: pki.intermediateCa }, appA);
    const leafOnly = await exchange({ key: pki.clientA.key, cert: pki.clientA.cert }, (socket) =>
      summarize(byIntermediate.authenticate(contextOn(socket)) as AuthOutcome),
    );
    expect(leafOnly).toMatchObject({ app: 'app-a' });
    // Client B chains to the root, which this plan does not trust.
    const other = await exchange(pki.clientB, (socket) =>
      summarize(byIntermediate.authenticate(contextOn(socket)) as AuthOutcome),
    );
    expect(other).toMatchObject({ status: 401 });
  });

  it('refuses a leaf without its intermediate, and a certificate of another CA, with 401', async () => {
    const apps = [{ id: 'app-a', name: 'A', certificates: ['subject:CN=client-a,O=Acme,C=US', 'subject:CN=client-a'] }];
    const s = scheme({ ca: pki.rootCa }, apps);
    const withoutIntermediate = await exchange({ key: pki.clientA.key, cert: pki.clientA.cert }, (socket) =>
      summarize(s.authenticate(contextOn(socket)) as AuthOutcome),
    );
    expect(withoutIntermediate).toEqual({ status: 401, detail: 'client certificate is not trusted' });
    const untrusted = await exchange(pki.untrusted, (socket) =>
      summarize(s.authenticate(contextOn(socket)) as AuthOutcome),
    );
    expect(untrusted).toEqual({ status: 401, detail: 'client certificate is not trusted' });
  });

  it('refuses a certificate whose extended key usage excludes client auth, unless told not to check', async () => {
    const apps = [{ id: 'app-s', name: 'S', certificates: ['subject:CN=client-s'] }];
    const strict = await exchange(pki.serverOnly, (socket) =>
      summarize(scheme({ ca: pki.rootCa }, apps).authenticate(contextOn(socket)) as AuthOutcome),
    );
    expect(strict).toEqual({ status: 401, detail: 'client certificate is not meant for client authentication' });
    const lenient = await exchange(pki.serverOnly, (socket) =>
      summarize(
        scheme({ ca: pki.rootCa, requireClientAuthUsage: false }, apps).authenticate(contextOn(socket)) as AuthOutcome,
      ),
    );
    expect(lenient).toMatchObject({ app: 'app-s' });
  });

  it('returns undefined without a client certificate and without TLS', async () => {
    const s = scheme({ ca: pki.rootCa }, []);
    expect(await exchange({}, (socket) => summarize(s.authenticate(contextOn(socket)) as AuthOutcome))).toEqual({
      none: true,
    });
    expect(s.authenticate(createTestContext())).toBeUndefined();
  });

  it('answers 403 for a trusted certificate of no subscribed application', async () => {
    const s = scheme({ ca: pki.rootCa }, []);
    const result = await exchange(pki.clientB, (socket) => summarize(s.authenticate(contextOn(socket)) as AuthOutcome));
    expect(result).toMatchObject({ status: 403 });
  });

  it('judges a connection once, and still notices when the certificate expires on a long-lived connection', async () => {
    const apps = [{ id: 'app-b', name: 'B', certificates: ['subject:CN=client-b'] }];
    const s = scheme({ ca: pki.rootCa }, apps);
    const result = await exchange(pki.clientB, (socket) => {
      const spy = vi.spyOn(socket, 'getPeerCertificate');
      const first = summarize(s.authenticate(contextOn(socket)) as AuthOutcome);
      const second = summarize(s.authenticate(contextOn(socket)) as AuthOutcome);
      const peerReads = spy.mock.calls.length;
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 20 * 365 * 86_400_000);
      const later = summarize(s.authenticate(contextOn(socket)) as AuthOutcome);
      vi.useRealTimers();
      return { first, second, peerReads, later };
    });
    expect(result).toEqual({
      first: { app: 'app-b', principal: 'subject:CN=client-b' },
      second: { app: 'app-b', principal: 'subject:CN=client-b' },
      peerReads: 1,
      later: { status: 401, detail: 'client certificate has expired' },
    });
  });

  it('refuses an expired certificate on a new connection', async () => {
    const apps = [{ id: 'app-b', name: 'B', certificates: ['subject:CN=client-b'] }];
    const s = scheme({ ca: pki.rootCa }, apps);
    const result = await exchange(pki.clientB, (socket) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 20 * 365 * 86_400_000);
      const outcome = summarize(s.authenticate(contextOn(socket)) as AuthOutcome);
      vi.useRealTimers();
      return outcome;
    });
    expect(result).toEqual({ status: 401, detail: 'client certificate has expired' });
  });

  it('reads the CA from a file and refuses a config without certificates', () => {
    expect(() => scheme({ ca: `${pki.dir}/root.pem` }, [])).not.toThrow();
    expect(() => scheme({ ca: '-----BEGIN NOTHING-----' }, [])).toThrow(
      /plans\[0\]\.security\.config\.ca: no PEM certificate found/,
    );
  });
});
