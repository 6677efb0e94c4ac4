/** Traffic over time by status class, latency percentiles, top APIs / applications / plans. */
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, enc, type Page } from '../api';
import { type Series, TimeChart } from '../components/Chart';
import { Empty, ErrorBanner, Loading, PageHeader } from '../components/ui';
import { useEnv } from '../session';
import type { Api, Application, Analytics as Data } from '../types';
import { errorRate, ms, RANGES, STATUS_COLORS, useAnalytics } from './analytics-data';

export default function Analytics() {
  const { env } = useEnv();
  // The range is in the URL, so a view can be shared or bookmarked (?range=24h).
  const [params, setParams] = useSearchParams();
  const range = RANGES[params.get('range') ?? ''] ? params.get('range')! : '1h';
  const setRange = (next: string) => setParams({ range: next }, { replace: true });
  const [apiId, setApiId] = useState('');
  const [applicationId, setApplicationId] = useState('');
  const [auto, setAuto] = useState(true);
  const filter = { range, apiId: apiId || undefined, applicationId: applicationId || undefined };
  const refresh = auto ? 15_000 : false;
  const main = useAnalytics(env, filter, refresh);
  const byApi = useAnalytics(env, { ...filter, groupBy: 'api' }, refresh);
  const byApp = useAnalytics(env, { ...filter, groupBy: 'application' }, refresh);
  const byPlan = useAnalytics(env, { ...filter, groupBy: 'plan' }, refresh);
  const apis = useQuery({
    queryKey: ['apis', env, 'filter'],
    queryFn: () => api.get<Page<Api>>(`/environments/${enc(env)}/apis`, { limit: 100 }),
  });
  const apps = useQuery({
    queryKey: ['applications', env, 'filter'],
    queryFn: () => api.get<Page<Application>>(`/environments/${enc(env)}/applications`, { limit: 100 }),
  });
  const appNames = new Map((apps.data?.items ?? []).map((a) => [a.id, a.name]));

  return (
    <>
      <PageHeader title="Analytics">Requests seen by this environment's gateways.</PageHeader>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="an-range">Time range</label>
          <select id="an-range" value={range} onChange={(e) => setRange(e.target.value)}>
            {Object.keys(RANGES).map((r) => (
              <option key={r} value={r}>
                Last {r}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="an-api">API</label>
          <select id="an-api" value={apiId} onChange={(e) => setApiId(e.target.value)}>
            <option value="">All APIs</option>
            {(apis.data?.items ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="an-app">Application</label>
          <select id="an-app" value={applicationId} onChange={(e) => setApplicationId(e.target.value)}>
            <option value="">All applications</option>
            {(apps.data?.items ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
        <label className="check" style={{ marginBottom: 8 }}>
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> Auto-refresh (15 s)
        </label>
      </div>
      <ErrorBanner error={main.error} />
      {main.isPending ? <Loading /> : <Overview data={main.data!} />}
      <div className="grid grid-3">
        <TopList title="Top APIs" data={byApi.data} name={(k) => k ?? '(none)'} />
        <TopList
          title="Top applications"
          data={byApp.data}
          name={(k) => (k ? (appNames.get(k) ?? k.slice(0, 8)) : '(anonymous)')}
        />
        <TopList title="Top plans" data={byPlan.data} name={(k) => k ?? '(none)'} />
      </div>
    </>
  );
}

export function Overview({ data, compact }: { data: Data; compact?: boolean }) {
  const times = useMemo(() => data.buckets.map((b) => new Date(b.start).getTime() / 1000), [data]);
  const statusSeries: Series[] = useMemo(
    () =>
      (Object.keys(STATUS_COLORS) as (keyof typeof STATUS_COLORS)[]).map((k) => ({
        label: k,
        color: STATUS_COLORS[k],
        values: data.buckets.map((b) => b.byStatusClass[k]),
        fill: k === '2xx',
      })),
    [data],
  );
  const latencySeries: Series[] = useMemo(
    () => [
      { label: 'p50', color: '#1f5fbf', values: data.buckets.map((b) => b.latency.p50) },
      { label: 'p95', color: '#b7791f', values: data.buckets.map((b) => b.latency.p95) },
      { label: 'p99', color: '#b42318', values: data.buckets.map((b) => b.latency.p99) },
    ],
    [data],
  );
  return (
    <>
      <div className="grid grid-4" style={{ marginBottom: 16 }}>
        <Stat label="Requests" value={data.total.toLocaleString()} testId="total-requests" />
        <Stat label="Error rate (4xx + 5xx)" value={errorRate(data)} />
        <Stat label="Latency p50 / p95" value={`${ms(data.latency.p50)} / ${ms(data.latency.p95)}`} />
        <Stat label="Latency p99" value={ms(data.latency.p99)} />
      </div>
      {data.total === 0 ? (
        <div className="panel">
          <Empty title="No traffic in this range" />
        </div>
      ) : (
        <div className={compact ? 'grid' : 'grid grid-2'}>
          <section className="panel">
            <h2>Requests by status class (per {data.interval})</h2>
            <TimeChart times={times} series={statusSeries} label="Requests over time by status class" />
          </section>
          {!compact && (
            <section className="panel">
              <h2>Gateway latency</h2>
              <TimeChart times={times} series={latencySeries} unit=" ms" label="Latency percentiles over time" />
            </section>
          )}
        </div>
      )}
    </>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

function TopList({
  title,
  data,
  name,
}: {
  title: string;
  data: Data | undefined;
  name: (key: string | null) => string;
}) {
  const groups = (data?.groups ?? []).slice(0, 8);
  const max = Math.max(1, ...groups.map((g) => g.total));
  return (
    <section className="panel panel-flush">
      <h2 style={{ padding: '12px 12px 0' }}>{title}</h2>
      {groups.length === 0 ? (
        <p className="muted" style={{ padding: '0 12px' }}>
          No traffic.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th className="num">Requests</th>
              <th className="num">Errors</th>
              <th className="num">p95</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={g.key ?? '-'}>
                <td>
                  <div className="bar-cell">
                    <span className="bar" style={{ width: `${(60 * g.total) / max}px` }} aria-hidden="true" />
                    {name(g.key)}
                  </div>
                </td>
                <td className="num">{g.total.toLocaleString()}</td>
                <td className="num">{(g.byStatusClass['4xx'] + g.byStatusClass['5xx']).toLocaleString()}</td>
                <td className="num">{ms(g.latency.p95)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
