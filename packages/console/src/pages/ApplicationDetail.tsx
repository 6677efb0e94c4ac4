/** One application: its subscriptions (subscribe to a plan) and each subscription's API keys. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, api, enc, type Page } from '../api';
import { useToast } from '../components/toast';
import { Badge, Empty, ErrorBanner, Field, Loading, Modal, PageHeader, SecretOnce, Time } from '../components/ui';
import { useCan, useEnv } from '../session';
import type { Api, ApiKey, Application, Plan, Subscription } from '../types';

export default function ApplicationDetail() {
  const { env } = useEnv();
  const { appId = '' } = useParams();
  const canSubscribe = useCan('subscriptions:write');
  const [subscribing, setSubscribing] = useState(false);
  const app = useQuery({
    queryKey: ['application', env, appId],
    queryFn: () => api.get<Application>(`/environments/${enc(env)}/applications/${enc(appId)}`),
  });
  const subs = useQuery({
    queryKey: ['subscriptions', env, { applicationId: appId }],
    queryFn: () =>
      api.get<Page<Subscription>>(`/environments/${enc(env)}/subscriptions`, { applicationId: appId, limit: 100 }),
  });
  if (app.isPending) return <Loading />;
  if (app.error) return <ErrorBanner error={app.error} />;
  return (
    <>
      <PageHeader
        title={app.data.name}
        actions={
          canSubscribe && (
            <button type="button" className="btn btn-primary" onClick={() => setSubscribing(true)}>
              Subscribe to an API
            </button>
          )
        }
      >
        {app.data.description ?? 'No description'} · <Link to={`/e/${env}/applications`}>all applications</Link>
      </PageHeader>
      <ErrorBanner error={subs.error} />
      {subs.isPending ? (
        <Loading />
      ) : subs.data!.items.length === 0 ? (
        <div className="panel panel-flush">
          <Empty title="No subscriptions">Subscribe to an API's plan to get a key.</Empty>
        </div>
      ) : (
        subs.data!.items.map((s) => <SubscriptionPanel key={s.id} env={env} sub={s} />)
      )}
      {subscribing && <SubscribeDialog env={env} appId={appId} onClose={() => setSubscribing(false)} />}
    </>
  );
}

function SubscriptionPanel({ env, sub }: { env: string; sub: Subscription }) {
  const canKeys = useCan('apikeys:write');
  const client = useQueryClient();
  const toast = useToast();
  const [shown, setShown] = useState<{ key: string; title: string } | null>(null);
  const [confirmRevoke, setConfirmRevoke] = useState<ApiKey | null>(null);
  const base = `/environments/${enc(env)}/subscriptions/${enc(sub.id)}/api-keys`;
  const keys = useQuery({
    queryKey: ['keys', env, sub.id],
    queryFn: () => api.get<Page<ApiKey>>(base, { includeRevoked: true, limit: 50 }),
    enabled: sub.status === 'accepted',
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['keys', env, sub.id] });
  const act = async (fn: () => Promise<void>) => {
    try {
      await fn();
      refresh();
    } catch (e) {
      toast.error(e);
    }
  };
  return (
    <section className="panel" aria-label={`Subscription to ${sub.apiId}`}>
      <div className="row">
        <h2 style={{ margin: 0 }}>
          {sub.apiId} <span className="muted">/ {sub.planId}</span>
        </h2>
        <Badge value={sub.status} />
        {sub.reason && <span className="muted">“{sub.reason}”</span>}
        <span className="spacer" />
        {canKeys && sub.status === 'accepted' && (
          <button
            type="button"
            className="btn"
            onClick={() =>
              act(async () => {
                const k = await api.post<ApiKey>(base, {});
                setShown({ key: k.key!, title: 'New API key' });
              })
            }
          >
            New API key
          </button>
        )}
      </div>
      {sub.status === 'pending' && <p className="hint">Waiting for a publisher to approve the subscription.</p>}
      {sub.status === 'accepted' &&
        (keys.isPending ? (
          <Loading />
        ) : (keys.data?.items ?? []).length === 0 ? (
          <p className="muted">No keys yet.</p>
        ) : (
          <table style={{ marginTop: 8 }}>
            <thead>
              <tr>
                <th>Key</th>
                <th>Status</th>
                <th>Created</th>
                <th>Expires</th>
                <th>
                  <span className="skip">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data!.items.map((k) => (
                <tr key={k.id}>
                  <td className="mono">{k.prefix}…</td>
                  <td>
                    <Badge value={k.status} />
                  </td>
                  <td>
                    <Time iso={k.createdAt} />
                  </td>
                  <td>{k.expiresAt ? <Time iso={k.expiresAt} /> : <span className="muted">never</span>}</td>
                  <td className="row">
                    {canKeys && k.status === 'active' && (
                      <>
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() =>
                            act(async () => {
                              const r = await api.post<ApiKey>(`${base}/${enc(k.id)}/rotate`, { gracePeriod: '1h' });
                              setShown({ key: r.key!, title: 'Rotated key (the old one works for 1 more hour)' });
                            })
                          }
                        >
                          Rotate
                        </button>
                        <button type="button" className="btn btn-small btn-danger" onClick={() => setConfirmRevoke(k)}>
                          Revoke
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {shown && (
        <Modal
          title={shown.title}
          onClose={() => setShown(null)}
          footer={
            <button type="button" className="btn btn-primary" onClick={() => setShown(null)}>
              Done
            </button>
          }
        >
          <SecretOnce label="API key" secret={shown.key}>
            <p className="hint">
              Send it as the X-Api-Key header. It works once gateways received the change (seconds).
            </p>
          </SecretOnce>
        </Modal>
      )}
      {confirmRevoke && (
        <Modal
          title="Revoke this key?"
          onClose={() => setConfirmRevoke(null)}
          footer={
            <>
              <button type="button" className="btn" onClick={() => setConfirmRevoke(null)}>
                Cancel
              </button>
              <button
                type="button"
                className="btn btn-primary"
                onClick={() =>
                  act(async () => {
                    await api.del(`${base}/${enc(confirmRevoke.id)}`);
                    setConfirmRevoke(null);
                    toast.ok('Key revoked');
                  })
                }
              >
                Revoke key
              </button>
            </>
          }
        >
          <p>
            Key <code>{confirmRevoke.prefix}…</code> stops working on every gateway at once. This cannot be undone.
          </p>
        </Modal>
      )}
    </section>
  );
}

function SubscribeDialog({ env, appId, onClose }: { env: string; appId: string; onClose: () => void }) {
  const [apiId, setApiId] = useState('');
  const [planId, setPlanId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const client = useQueryClient();
  const toast = useToast();
  const apis = useQuery({
    queryKey: ['apis', env, 'subscribable'],
    queryFn: () => api.get<Page<Api>>(`/environments/${enc(env)}/apis`, { limit: 100 }),
  });
  const plans = useQuery({
    queryKey: ['plans', env, apiId],
    queryFn: () => api.get<Page<Plan>>(`/environments/${enc(env)}/apis/${enc(apiId)}/plans`, { limit: 100 }),
    enabled: Boolean(apiId),
  });
  const subscribable = (plans.data?.items ?? []).filter(
    (p) => p.status === 'published' && p.security.type !== 'keyless',
  );
  const submit = async () => {
    try {
      const s = await api.post<Subscription>(`/environments/${enc(env)}/applications/${enc(appId)}/subscriptions`, {
        apiId,
        planId,
      });
      await client.invalidateQueries({ queryKey: ['subscriptions', env] });
      toast.ok(s.status === 'pending' ? 'Subscription requested: waiting for approval' : 'Subscribed');
      onClose();
    } catch (e) {
      setError(e);
    }
  };
  const at = (path: string) => (error instanceof ApiError ? error.at(`body.${path}`) : []);
  return (
    <Modal
      title="Subscribe to an API"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" disabled={!apiId || !planId} onClick={submit}>
            Subscribe
          </button>
        </>
      }
    >
      <ErrorBanner error={error} />
      <Field label="API" errors={at('apiId')}>
        {(p) => (
          <select
            {...p}
            value={apiId}
            onChange={(e) => {
              setApiId(e.target.value);
              setPlanId('');
            }}
          >
            <option value="">Choose an API…</option>
            {(apis.data?.items ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} ({a.basePath})
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        label="Plan"
        errors={at('planId')}
        hint={apiId && subscribable.length === 0 ? 'This API has no published plan to subscribe to.' : undefined}
      >
        {(p) => (
          <select {...p} value={planId} onChange={(e) => setPlanId(e.target.value)} disabled={!apiId}>
            <option value="">Choose a plan…</option>
            {subscribable.map((pl) => (
              <option key={pl.id} value={pl.id}>
                {pl.name} — {pl.security.type}
                {pl.approval === 'manual' ? ', needs approval' : ''}
              </option>
            ))}
          </select>
        )}
      </Field>
    </Modal>
  );
}
