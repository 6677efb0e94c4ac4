/** Usage of one application per API: requests, errors, latency, and quota remaining (approximate). */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, envPath, type Quota, type Usage as UsageAnswer, type UsageEntry } from '../api';
import { RequireMember } from '../components/RequireMember';
import { ErrorBanner, formatNumber, Loading } from '../components/ui';
import { useEnvSettings } from '../settings';

const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;

export default function Usage() {
  return (
    <RequireMember>
      <UsageBody />
    </RequireMember>
  );
}

function quotasOf(entry: UsageEntry): Quota[] {
  const own = entry.quota ? [entry.quota] : [];
  return [...own, ...(entry.subscriptions ?? []).flatMap((s) => (s.quota ? [s.quota] : []))];
}

function UsageBody() {
  const { env } = useEnvSettings();
  const { app = '' } = useParams();
  const [range, setRange] = useState<keyof typeof RANGES>('24h');
  const usage = useQuery({
    queryKey: ['env', env, 'usage', app, range],
    queryFn: () => {
      const to = new Date();
      const from = new Date(to.getTime() - RANGES[range]);
      return api.get<UsageAnswer>(`${envPath(env)}/applications/${encodeURIComponent(app)}/usage`, {
        from: from.toISOString(),
        to: to.toISOString(),
      });
    },
    refetchInterval: 10_000,
  });
  const entries = usage.data?.items ?? usage.data?.apis ?? [];
  return (
    <>
      <p>
        <Link to={`/${env}/apps/${encodeURIComponent(app)}`}>Back to the application</Link>
      </p>
      <h1>Usage</h1>
      <div className="field inline">
        <label htmlFor="usage-range">Period</label>
        <select id="usage-range" value={range} onChange={(e) => setRange(e.target.value as keyof typeof RANGES)}>
          {Object.keys(RANGES).map((r) => (
            <option key={r} value={r}>
              last {r}
            </option>
          ))}
        </select>
      </div>
      {usage.isPending ? <Loading /> : null}
      <ErrorBanner error={usage.error} />
      {usage.data && entries.length === 0 ? <p>No calls in this period.</p> : null}
      {entries.length > 0 ? (
        <div className="table-wrap">
          <table className="table" data-testid="usage-table">
            <caption className="sr-only">Usage per API</caption>
            <thead>
              <tr>
                <th scope="col">API</th>
                <th scope="col">Requests</th>
                <th scope="col">Errors</th>
                <th scope="col">p50 ms</th>
                <th scope="col">p95 ms</th>
                <th scope="col">Quota remaining</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.apiId}>
                  <th scope="row">{e.apiId}</th>
                  <td>{formatNumber(e.requests)}</td>
                  <td>{formatNumber(e.errors)}</td>
                  <td>{formatNumber(e.latency?.p50 ?? e.p50)}</td>
                  <td>{formatNumber(e.latency?.p95 ?? e.p95)}</td>
                  <td>
                    {quotasOf(e).length === 0
                      ? 'no quota'
                      : quotasOf(e).map((q) => (
                          <div key={`${q.period}-${q.limit}`}>
                            {formatNumber(q.remaining)} of {formatNumber(q.limit)} per {q.period}
                            {q.resetsAt ? (
                              <span className="muted"> (resets {new Date(q.resetsAt).toLocaleString()})</span>
                            ) : null}
                          </div>
                        ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <p className="muted">
        Counts come from gateway analytics, sent every few seconds: quota figures are approximate.
      </p>
    </>
  );
}
