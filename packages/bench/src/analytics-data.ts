/**
 * Synthetic rollups for bench:analytics: a day of REQUESTS_PER_DAY-scale traffic written straight
 * into analytics_rollups (what ingest would have produced), so query times can be measured at 100
 * million requests without sending them. 30 applications each calling 2 of 10 APIs, 3 statuses:
 * 180 keys a minute; 1,158 requests per (API, application) a minute, 100,051,200 over the day.
 */
export const SYNTHETIC_REQUESTS = 1158 * 60 * 1440;

export function syntheticRollupsSql(envId: string, fromMs: number): string {
  if (!/^[0-9a-f-]{36}$/.test(envId)) throw new Error('bad env id');
  const from = Math.floor(fromMs / 86_400_000) * 86_400;
  // (status, requests per key-minute, histogram buckets lo..hi): fast 2xx, faster 404s, slow 5xx.
  const statuses = '(VALUES (200, 1050, 22, 35), (404, 81, 18, 25), (500, 27, 40, 51)) AS s(status, c, lo, hi)';
  return `WITH grains AS (SELECT * FROM (VALUES (60, 1), (3600, 60), (86400, 1440)) AS g(grain, mult)),
  keys AS (
    SELECT a AS app, x.api, s.status, s.c
    FROM generate_series(0, 29) AS a
      CROSS JOIN LATERAL (VALUES ('api-' || (a % 10)), ('api-' || ((a + 1) % 10))) AS x(api)
      CROSS JOIN ${statuses}
  ),
  hists AS (
    SELECT s.status, g.grain,
      ARRAY(SELECT CASE WHEN k BETWEEN s.lo AND s.hi
          THEN (s.c * g.mult) / (s.hi - s.lo + 1) + CASE WHEN k = s.lo THEN (s.c * g.mult) % (s.hi - s.lo + 1) ELSE 0 END
          ELSE 0 END
        FROM generate_series(0, 95) AS k ORDER BY k)::int[] AS hist
    FROM ${statuses} CROSS JOIN grains AS g
  )
  INSERT INTO analytics_rollups
    (env_id, grain, bucket, api, plan, application, status, count, errors, latency_sum, latency_hist)
  SELECT '${envId}'::uuid, g.grain, to_timestamp(${from} + t * g.grain), k.api,
    CASE WHEN k.app % 2 = 1 THEN 'gold' ELSE 'free' END,
    '00000000-0000-4000-8000-' || lpad(k.app::text, 12, '0'), k.status, k.c * g.mult,
    CASE WHEN k.status = 500 THEN k.c * g.mult ELSE 0 END, k.c * g.mult * 8.0, h.hist
  FROM grains AS g
    CROSS JOIN LATERAL generate_series(0, 86400 / g.grain - 1) AS t
    CROSS JOIN keys AS k
    JOIN hists AS h ON h.status = k.status AND h.grain = g.grain`;
}
