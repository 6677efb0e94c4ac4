/** An API: its description (Markdown), documentation pages, and plans with their limits and Subscribe. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { type Application, api, envPath, type PortalApi, type PortalPlan, type Subscription } from '../api';
import { ApiFrame } from '../components/ApiFrame';
import { Badge, ErrorBanner, Markdown, Notice } from '../components/ui';
import { useViewer } from '../session';
import { useEnvSettings } from '../settings';

export default function ApiOverview() {
  return (
    <ApiFrame>
      {(portalApi) => (
        <>
          <Markdown source={portalApi.description} />
          {portalApi.tags.length ? <p className="muted">Tags: {portalApi.tags.join(', ')}</p> : null}
          <p className="muted">
            Base path: <code>{portalApi.basePath}</code>
          </p>
          <Plans portalApi={portalApi} />
        </>
      )}
    </ApiFrame>
  );
}

function Plans({ portalApi }: { portalApi: PortalApi }) {
  const { env } = useEnvSettings();
  const { session, member } = useViewer(env);
  const apps = useQuery({
    queryKey: ['env', env, 'applications'],
    queryFn: () => api.get<{ items: Application[] }>(`${envPath(env)}/applications`, { limit: 100 }),
    enabled: Boolean(member),
  });
  return (
    <section aria-labelledby="plans-title">
      <h2 id="plans-title">Plans</h2>
      {portalApi.plans.length === 0 ? <p>No plans are open for subscription.</p> : null}
      {session && !member ? (
        <Notice tone="warn">Your account is not yet active in this portal (waiting for approval).</Notice>
      ) : null}
      <ul className="cards plans">
        {portalApi.plans.map((plan) => (
          <li key={plan.slug} className="card">
            <h3>{plan.name}</h3>
            {plan.description ? <p className="card-text">{plan.description}</p> : null}
            <ul className="limits" aria-label={`${plan.name} limits`}>
              {plan.limits.map((l) => (
                <li key={l}>{l}</li>
              ))}
              {plan.approval === 'manual' ? <li>Subscriptions are reviewed</li> : null}
            </ul>
            {member ? (
              <Subscribe env={env} apiId={portalApi.slug} plan={plan} apps={apps.data?.items ?? []} />
            ) : session ? null : (
              <Link className="btn btn-primary" to={`/${env}/login`} state={{ from: location.pathname }}>
                Sign in to subscribe
              </Link>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Subscribe({ env, apiId, plan, apps }: { env: string; apiId: string; plan: PortalPlan; apps: Application[] }) {
  const [appId, setAppId] = useState('');
  const client = useQueryClient();
  const chosen = appId || apps[0]?.id || '';
  const mutation = useMutation({
    mutationFn: () =>
      api.post<Subscription>(`${envPath(env)}/applications/${encodeURIComponent(chosen)}/subscriptions`, {
        apiId,
        planId: plan.slug,
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['env', env] }),
  });
  if (apps.length === 0) {
    return (
      <p>
        <Link to={`/${env}/apps`}>Create an application</Link> to subscribe.
      </p>
    );
  }
  const selectId = `app-${plan.slug}`;
  return (
    <div className="subscribe">
      <label htmlFor={selectId}>Application</label>
      <select id={selectId} value={chosen} onChange={(e) => setAppId(e.target.value)}>
        {apps.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="btn btn-primary"
        disabled={mutation.isPending}
        onClick={() => mutation.mutate()}
        aria-label={`Subscribe to ${plan.name}`}
      >
        Subscribe
      </button>
      {mutation.error ? <ErrorBanner error={mutation.error} /> : null}
      {mutation.data ? (
        <p role="status">
          Subscription <Badge value={mutation.data.status} />{' '}
          <Link to={`/${env}/apps/${encodeURIComponent(chosen)}`}>Manage keys</Link>
        </p>
      ) : null}
    </div>
  );
}
