/**
 * The smallest control plane a hybrid gateway accepts, for bench:reload's hybrid phase, in its own
 * process (signing a 4.8 MB snapshot must not stall the load generator): one signed snapshot whose
 * API carries the OpenAPI document inline, the change stream, heartbeats and analytics accepted.
 * SIGHUP deploys a new version of the document (one character changed). Prints `READY`.
 *   node reload-control-plane.js PORT UPSTREAM_URL OPENAPI_FILE TOKEN
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { keyIdOf, PROTOCOL_VERSION, signMessage, type UnsignedMessage } from '@gatehouse/config';

const [port, upstreamUrl, openapiFile, token] = process.argv.slice(2) as [string, string, string, string];
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const keyId = keyIdOf(publicKey);
const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const text = readFileSync(openapiFile, 'utf8');
const streams = new Set<http.ServerResponse>();
let generation = 0;
let answer = '';

function deploy(): void {
  generation++;
  const openapi = JSON.parse(text.replace('"2026-01-01"', `"2026-02-${generation}"`)) as unknown;
  const document = {
    version: 1,
    apis: [
      {
        id: 'stripe-like',
        name: 'Stripe-like',
        basePath: '/api',
        openapi,
        upstream: { targets: [{ url: upstreamUrl }] },
        plans: [{ id: 'open', security: { type: 'keyless' } }],
        policies: [{ policy: 'openapi-validation', config: { unknownOperations: 'reject' } }],
      },
    ],
    applications: [],
  };
  const message = {
    kind: 'snapshot',
    protocol: PROTOCOL_VERSION,
    environment: 'bench',
    gateway: 'bench-gateway',
    issuedAt: new Date().toISOString(),
    keys: [{ keyId, alg: 'Ed25519', publicKeyPem }],
    cursor: `c:${generation}`,
    definitionVersion: `d${generation}`,
    document,
  };
  answer = JSON.stringify(signMessage(message as unknown as UnsignedMessage, [{ keyId, privateKey }]));
  for (const res of streams) res.write(`event: changed\ndata: ${JSON.stringify({ cursor: `c:${generation}` })}\n\n`);
}

const send = (res: http.ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

const server = http.createServer((req, res) => {
  if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, '{"status":401}');
  req.resume();
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://cp');
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /api/v1/gateway/signing-key':
        return send(res, 200, JSON.stringify({ keyId, alg: 'Ed25519', publicKeyPem }));
      case 'GET /api/v1/gateway/sync':
        if (url.searchParams.get('cursor') === `c:${generation}`) {
          const unchanged = {
            kind: 'unchanged',
            protocol: PROTOCOL_VERSION,
            environment: 'bench',
            gateway: 'bench-gateway',
            issuedAt: new Date().toISOString(),
            keys: [{ keyId, alg: 'Ed25519', publicKeyPem }],
            cursor: `c:${generation}`,
          };
          return send(
            res,
            200,
            JSON.stringify(signMessage(unchanged as unknown as UnsignedMessage, [{ keyId, privateKey }])),
          );
        }
        return send(res, 200, answer);
      case 'GET /api/v1/gateway/events':
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write(': ping\n\n');
        streams.add(res);
        res.on('close', () => streams.delete(res));
        return;
      case 'POST /api/v1/gateway/heartbeat':
        return send(res, 200, JSON.stringify({ serverTime: new Date().toISOString(), heartbeatInterval: '60s' }));
      case 'POST /api/v1/gateway/analytics':
        return send(res, 202, '{"accepted":0,"duplicates":0}');
      default:
        return send(res, 404, '{"status":404}');
    }
  });
});

deploy();
process.on('SIGHUP', deploy);
process.on('SIGTERM', () => process.exit(0));
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('READY\n'));
