/** The keys of an accepted subscription: create (shown once), rotate with a grace period, revoke. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { type ApiKey, api, envPath, type Subscription } from '../api';
import { rememberKey } from '../session';
import { Badge, ErrorBanner } from './ui';

const GRACE = ['0s', '1h', '24h', '7d'];

export function Keys({
  env,
  subscription,
  clientId,
}: {
  env: string;
  subscription: Subscription;
  clientId: string | null;
}) {
  const client = useQueryClient();
  const base = `${envPath(env)}/subscriptions/${encodeURIComponent(subscription.id)}/api-keys`;
  const keys = useQuery({
    queryKey: ['env', env, 'keys', subscription.id],
    queryFn: () => api.get<{ items: ApiKey[] }>(base, { limit: 100 }),
  });
  const [shown, setShown] = useState<string | null>(null);
  const [grace, setGrace] = useState('24h');
  const done = (created: ApiKey) => {
    if (created.key) {
      setShown(created.key);
      rememberKey(env, subscription.apiId, created.key);
    }
    return client.invalidateQueries({ queryKey: ['env', env, 'keys', subscription.id] });
  };
  const create = useMutation({ mutationFn: () => api.post<ApiKey>(base, {}), onSuccess: done });
  const rotate = useMutation({
    mutationFn: (id: string) => api.post<ApiKey>(`${base}/${id}/rotate`, { gracePeriod: grace }),
    onSuccess: done,
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.del(`${base}/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['env', env, 'keys', subscription.id] }),
  });
  const graceId = `grace-${subscription.id}`;
  return (
    <div className="keys">
      {clientId ? (
        <p>
          OAuth client id: <code>{clientId}</code>
        </p>
      ) : null}
      {shown ? (
        <div className="banner banner-ok" role="status">
          <p>Your new key (copy it now: it is shown only once):</p>
          <code className="secret" data-testid="new-key">
            {shown}
          </code>
          <button type="button" className="btn" onClick={() => navigator.clipboard?.writeText(shown)}>
            Copy
          </button>
          <button type="button" className="btn" onClick={() => setShown(null)}>
            Done
          </button>
        </div>
      ) : null}
      <ErrorBanner error={keys.error ?? create.error ?? rotate.error ?? revoke.error} />
      <table className="table">
        <caption className="sr-only">API keys</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Status</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(keys.data?.items ?? []).map((k) => (
            <tr key={k.id}>
              <td>
                <code>{k.prefix}…</code>
              </td>
              <td>
                <Badge value={k.status} />
              </td>
              <td>{k.expiresAt ? new Date(k.expiresAt).toLocaleString() : '—'}</td>
              <td className="actions">
                {k.status === 'active' ? (
                  <>
                    <button type="button" className="btn" onClick={() => rotate.mutate(k.id)}>
                      Rotate<span className="sr-only"> key {k.prefix}</span>
                    </button>
                    <button type="button" className="btn btn-danger" onClick={() => revoke.mutate(k.id)}>
                      Revoke<span className="sr-only"> key {k.prefix}</span>
                    </button>
                  </>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions">
        <button type="button" className="btn btn-primary" onClick={() => create.mutate()} disabled={create.isPending}>
          Create key
        </button>
        <label htmlFor={graceId}>Old key keeps working after rotation for</label>
        <select id={graceId} value={grace} onChange={(e) => setGrace(e.target.value)}>
          {GRACE.map((g) => (
            <option key={g} value={g}>
              {g === '0s' ? 'no time (revoke now)' : g}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
