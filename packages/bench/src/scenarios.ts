/** What the benchmark compares. Gateway scenarios are config documents, like any user's. */
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { BENCH_KEY } from './peers/configs.js';

export interface Scenario {
  id: string;
  title: string;
  kind: 'baseline' | 'gateway' | 'nginx';
  path: string;
  headers: Record<string, string>;
  document?: unknown;
  /** Issue target as a ratio of the baseline's requests/s (issue #16: one core, `--workers 1`). */
  target?: number;
}

function api(id: string, upstreamUrl: string, extra: Record<string, unknown>) {
  return { id, name: id, basePath: `/${id}`, upstream: { targets: [{ url: upstreamUrl }] }, ...extra };
}

const HS_SECRET = 'bench-hs256-secret-0123456789abcdef0123456789';

/** JWT plans with a token that stays valid for the run: after the first request it is a cache hit. */
async function jwtScenarios(upstreamUrl: string): Promise<Scenario[]> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const claims = { client_id: 'bench-client', sub: 'bench-user' };
  const rsToken = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
  const hsToken = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(HS_SECRET));
  const publicKeyPem = await exportSPKI(publicKey);
  const jwtDocument = (id: string, security: Record<string, unknown>) => ({
    version: 1,
    apis: [api(id, upstreamUrl, { plans: [{ id: 'jwt', security: { type: 'jwt', config: security } }] })],
    applications: [{ id: 'bench', name: 'Bench', clientId: 'bench-client', subscriptions: [{ api: id, plan: 'jwt' }] }],
  });
  return [
    {
      id: 'gateway-jwt-rs256',
      title: 'gateway, jwt plan RS256 (cached token)',
      kind: 'gateway',
      path: '/rs/bench',
      headers: { authorization: `Bearer ${rsToken}` },
      target: 0.85,
      document: jwtDocument('rs', { publicKey: publicKeyPem, algorithms: ['RS256'] }),
    },
    {
      id: 'gateway-jwt-hs256',
      title: 'gateway, jwt plan HS256 (cached token)',
      kind: 'gateway',
      path: '/hs/bench',
      headers: { authorization: `Bearer ${hsToken}` },
      target: 0.85,
      document: jwtDocument('hs', { secret: HS_SECRET, algorithms: ['HS256'] }),
    },
  ];
}

export async function scenarios(upstreamUrl: string): Promise<Scenario[]> {
  return [
    { id: 'baseline', title: 'bare undici proxy (baseline)', kind: 'baseline', path: '/bench', headers: {} },
    {
      id: 'gateway-plain',
      title: 'gateway, no policies',
      kind: 'gateway',
      path: '/plain/bench',
      headers: {},
      target: 0.95,
      document: {
        version: 1,
        apis: [api('plain', upstreamUrl, { plans: [{ id: 'open', security: { type: 'keyless' } }] })],
      },
    },
    {
      id: 'gateway-policies',
      title: 'gateway, api-key + rate-limit + set-headers',
      kind: 'gateway',
      path: '/keyed/bench',
      headers: { 'x-api-key': BENCH_KEY },
      target: 0.85,
      document: {
        version: 1,
        apis: [
          api('keyed', upstreamUrl, {
            policies: [
              {
                policy: 'set-headers',
                config: { request: { set: { 'x-gateway': 'gatehouse' } }, response: { remove: ['x-powered-by'] } },
              },
            ],
            plans: [
              {
                id: 'gold',
                security: { type: 'api-key' },
                policies: [{ policy: 'rate-limit', config: { limit: 100_000_000, window: '1m' } }],
              },
            ],
          }),
        ],
        applications: [
          {
            id: 'bench',
            name: 'Bench',
            subscriptions: [{ api: 'keyed', plan: 'gold', apiKeys: [{ key: BENCH_KEY }] }],
          },
        ],
      },
    },
    ...(await jwtScenarios(upstreamUrl)),
    {
      id: 'gateway-cache',
      title: 'gateway, cache HIT',
      kind: 'gateway',
      path: '/cached/bench',
      headers: {},
      document: {
        version: 1,
        apis: [
          api('cached', upstreamUrl, {
            policies: [{ policy: 'cache', config: { ttl: '10m' } }],
            plans: [{ id: 'open', security: { type: 'keyless' } }],
          }),
        ],
      },
    },
    { id: 'nginx', title: 'nginx, 1 worker (reference)', kind: 'nginx', path: '/bench', headers: {} },
  ];
}
