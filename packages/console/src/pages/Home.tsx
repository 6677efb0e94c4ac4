/** The environment at a glance: traffic and errors of the last hour, fleet status. */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, enc, type Page } from '../api';
import { Badge, ErrorBanner, Loading, PageHeader } from '../components/ui';
import { useCan, useEnv } from '../session';
import type { Gateway } from '../types';
import { Overview } from './Analytics';
import { useAnalytics } from './analytics-data';

export default function Home() {
  const { env, environment } = useEnv();
  const canFleet = useCan('gateways:read');
  const traffic = useAnalytics(env, { range: '1h' }, 30_000);
  const fleet = useQuery({
    queryKey: ['gateways', env],
    queryFn: () => api.get<Page<Gateway>>(`/environments/${enc(env)}/gateways`, { limit: 100 }),
    enabled: canFleet,
    refetchInterval: 30_000,
  });
  const counts = new Map<string, number>();
  for (const g of fleet.data?.items ?? []) counts.set(g.status, (counts.get(g.status) ?? 0) + 1);
  return (
    <>
      <PageHeader title={environment?.name ?? env}>Last hour of traffic and the state of the fleet.</PageHeader>
      <ErrorBanner error={traffic.error} />
      {traffic.isPending ? <Loading /> : <Overview data={traffic.data!} compact />}
      {canFleet && (
        <section className="panel">
          <h2>
            Fleet <Link to={`/e/${env}/gateways`}>view gateways</Link>
          </h2>
          {fleet.isPending ? (
            <Loading />
          ) : counts.size === 0 ? (
            <p className="muted">No gateways registered.</p>
          ) : (
            <div className="row">
              {[...counts].map(([status, n]) => (
                <span key={status}>
                  <Badge value={status} /> {n}
                </span>
              ))}
            </div>
          )}
        </section>
      )}
    </>
  );
}
