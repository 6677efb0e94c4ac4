/** What the benchmark compares. Gateway scenarios are config documents, like any user's. */
export interface Scenario {
  id: string;
  title: string;
  kind: 'baseline' | 'gateway' | 'nginx';
  path: string;
  headers: Record<string, string>;
  document?: unknown;
  /** Issue target as a ratio of the baseline's requests/s. */
  target?: number;
}

const BENCH_KEY = 'bench-key-000000000001';

function api(id: string, upstreamUrl: string, extra: Record<string, unknown>) {
  return { id, name: id, basePath: `/${id}`, upstream: { targets: [{ url: upstreamUrl }] }, ...extra };
}

export function scenarios(upstreamUrl: string): Scenario[] {
  return [
    { id: 'baseline', title: 'bare undici proxy (baseline)', kind: 'baseline', path: '/bench', headers: {} },
    {
      id: 'gateway-plain',
      title: 'gateway, no policies',
      kind: 'gateway',
      path: '/plain/bench',
      headers: {},
      target: 0.9,
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
      target: 0.8,
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
    { id: 'nginx', title: 'nginx, 1 worker (reference)', kind: 'nginx', path: '/bench', headers: {} },
  ];
}
