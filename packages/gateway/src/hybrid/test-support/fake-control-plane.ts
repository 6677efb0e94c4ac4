/**
 * A small control plane speaking docs/hybrid-protocol.md over node:http, for tests of the gateway
 * side: signed snapshots and deltas, the change stream, heartbeats and deduplicated analytics.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { keyIdOf, PROTOCOL_VERSION, type SyncMessage, signMessage, type UnsignedMessage } from '@gatehouse/config';
import { canonicalJson } from '@gatehouse/core';

export interface FakeControlPlane {
  url: string;
  port: number;
  publicKeyPem: string;
  keyId: string;
  privateKey: KeyObject;
  environment: string;
  gateway: string;
  token: string;
  /** Every sync answer kind, in order. */
  syncAnswers: string[];
  heartbeats: Array<Record<string, unknown>>;
  /** Analytics records by id (duplicates counted apart). */
  analytics: Map<string, Record<string, unknown>>;
  duplicates: number;
  /** Change streams open now (one per connected gateway process). */
  openStreams(): number;
  /** Replaces the deployed definition (apis, global policies...). */
  deploy(definition: Record<string, unknown>): void;
  upsertApplication(app: Record<string, unknown>): void;
  deleteApplication(id: string): void;
  revoke(token: string): void;
  /**
   * Answer a known cursor behind a deploy with a definition delta (protocol 4) when the gateway
   * names protocol 4; off: a snapshot, as a protocol 3 control plane does.
   */
  definitionDeltas: boolean;
  /** The `Gatehouse-Protocol` header of every sync request, in order. */
  syncProtocols: string[];
  /** Makes the next sync answers use this transform (tampering tests). */
  tamper(transform: ((message: Record<string, unknown>) => Record<string, unknown>) | undefined): void;
  /** Stops listening (connections cut) and restarts on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

interface Change {
  cursor: number;
  kind: 'definition' | 'application';
  appId?: string;
}

export async function startFakeControlPlane(
  options: { token?: string; port?: number; environment?: string; gateway?: string } = {},
): Promise<FakeControlPlane> {
  const token = options.token ?? 'gw_test_token_0123456789';
  const environment = options.environment ?? 'env-1';
  const gateway = options.gateway ?? 'gw-1';
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const keyId = keyIdOf(publicKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const tokens = new Set([token]);
  let definition: Record<string, unknown> = { version: 1, apis: [] };
  const applications = new Map<string, Record<string, unknown>>();
  let cursor = 1;
  let definitionCursor = 1;
  const changes: Change[] = [];
  const streams = new Set<http.ServerResponse>();
  let transform: ((m: Record<string, unknown>) => Record<string, unknown>) | undefined;

  const signed = (message: Record<string, unknown>) =>
    sign({
      protocol: PROTOCOL_VERSION,
      environment,
      gateway,
      issuedAt: new Date().toISOString(),
      keys: [{ keyId, alg: 'Ed25519', publicKeyPem }],
      ...message,
    });
  const sign = (message: Record<string, unknown>) =>
    signMessage(message as unknown as UnsignedMessage, [{ keyId, privateKey }]) as unknown as Record<string, unknown>;
  const definitionVersion = () => createHash('sha256').update(canonicalJson(definition)).digest('hex').slice(0, 16);
  const changed = (change: Omit<Change, 'cursor'>) => {
    cursor++;
    changes.push({ ...change, cursor });
    if (change.kind === 'definition') definitionCursor = cursor;
    for (const res of streams) res.write(`event: changed\ndata: ${JSON.stringify({ cursor: `c:${cursor}` })}\n\n`);
  };

  const syncAnswer = (from: string | null, protocols: string): Record<string, unknown> => {
    const since = from?.startsWith('c:') ? Number(from.slice(2)) : Number.NaN;
    if (since === cursor) return signed({ kind: 'unchanged', cursor: `c:${cursor}` });
    const touchedSince = () => {
      const touched = new Set(changes.filter((c) => c.cursor > since && c.appId).map((c) => c.appId!));
      const upsert = [...touched].filter((id) => applications.has(id)).map((id) => applications.get(id)!);
      return { upsert, delete: [...touched].filter((id) => !applications.has(id)) };
    };
    const speaks4 = protocols.split(',').some((v) => v.trim() === '4');
    if (Number.isInteger(since) && since > 0 && since < definitionCursor && fake.definitionDeltas && speaks4)
      return signed({
        kind: 'definition',
        cursor: `c:${cursor}`,
        fromCursor: from,
        definitionVersion: definitionVersion(),
        definition,
        applications: touchedSince(),
      });
    if (Number.isInteger(since) && since >= definitionCursor && since < cursor) {
      const { upsert, delete: del } = touchedSince();
      return signed({
        kind: 'delta',
        cursor: `c:${cursor}`,
        fromCursor: from,
        definitionVersion: definitionVersion(),
        applications: { upsert, delete: del },
      });
    }
    return signed({
      kind: 'snapshot',
      cursor: `c:${cursor}`,
      definitionVersion: definitionVersion(),
      document: { ...definition, applications: [...applications.values()] },
    });
  };

  const fake: FakeControlPlane = {
    url: '',
    port: options.port ?? 0,
    publicKeyPem,
    keyId,
    privateKey,
    environment,
    gateway,
    token,
    syncAnswers: [],
    syncProtocols: [],
    definitionDeltas: false,
    heartbeats: [],
    analytics: new Map(),
    duplicates: 0,
    openStreams: () => streams.size,
    deploy(next) {
      definition = structuredClone(next);
      changed({ kind: 'definition' });
    },
    upsertApplication(app) {
      applications.set(String(app.id), structuredClone(app));
      changed({ kind: 'application', appId: String(app.id) });
    },
    deleteApplication(id) {
      applications.delete(id);
      changed({ kind: 'application', appId: id });
    },
    revoke(t) {
      tokens.delete(t);
    },
    tamper(next) {
      transform = next;
    },
    stop: async () => {
      for (const res of streams) res.destroy();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    start: async () => {
      await new Promise<void>((resolve, reject) =>
        server.once('error', reject).listen(fake.port, '127.0.0.1', resolve),
      );
      fake.port = (server.address() as AddressInfo).port;
      fake.url = `http://127.0.0.1:${fake.port}`;
    },
    close: () => fake.stop(),
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) {
      return json(res, 401, { type: 'about:blank', title: 'Unauthorized', status: 401, code: 'unauthorized' });
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) : {};
      switch (`${req.method} ${url.pathname}`) {
        case 'GET /api/v1/gateway/signing-key':
          return json(res, 200, { keyId, alg: 'Ed25519', publicKeyPem });
        case 'GET /api/v1/gateway/sync': {
          const protocols = String(req.headers['gatehouse-protocol'] ?? '');
          fake.syncProtocols.push(protocols);
          let answer = syncAnswer(url.searchParams.get('cursor'), protocols);
          if (transform) answer = transform(structuredClone(answer));
          fake.syncAnswers.push(String(answer.kind));
          return json(res, 200, answer);
        }
        case 'GET /api/v1/gateway/events':
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
          res.write(': ping\n\n');
          streams.add(res);
          res.on('close', () => streams.delete(res));
          return;
        case 'POST /api/v1/gateway/heartbeat':
          fake.heartbeats.push(body);
          return json(res, 200, { serverTime: new Date().toISOString(), heartbeatInterval: '60s' });
        case 'POST /api/v1/gateway/analytics': {
          let accepted = 0;
          let duplicates = 0;
          for (const record of body.records as Array<Record<string, unknown>>) {
            if (fake.analytics.has(String(record.id))) duplicates++;
            else {
              fake.analytics.set(String(record.id), record);
              accepted++;
            }
          }
          fake.duplicates += duplicates;
          return json(res, 202, { accepted, duplicates });
        }
        default:
          return json(res, 404, { title: 'Not Found', status: 404 });
      }
    });
  });
  await fake.start();
  return fake;
}

/** Signs (or re-signs) a message with the fake's key, as the control plane does. */
export function resign(fake: FakeControlPlane, message: Record<string, unknown>): SyncMessage {
  const { signatures: _drop, ...rest } = message;
  return signMessage(rest as unknown as UnsignedMessage, [{ keyId: fake.keyId, privateKey: fake.privateKey }]);
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
