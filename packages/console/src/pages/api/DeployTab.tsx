/** Deploy with a diff against what gateways run, live rollout progress, history and rollback. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { stringify } from 'yaml';
import { api, enc, type Page } from '../../api';
import { diffLines, sortKeys } from '../../components/diff';
import { useToast } from '../../components/toast';
import { Badge, Empty, ErrorBanner, Field, Loading, Time } from '../../components/ui';
import { useCan } from '../../session';
import type { Api, Deployment, Plan } from '../../types';
import { definitionOf } from './definition';

function candidateOf(current: Api, plans: Plan[]) {
  // Portal categories are not deployed (gateways do not use them).
  const { categories: _categories, ...definition } = definitionOf(current);
  return {
    ...definition,
    id: current.id,
    plans: plans.map((p) => ({ id: p.id, name: p.name, security: p.security, policies: p.policies, status: p.status })),
  };
}

/** Only the keys the candidate has, so server-side bookkeeping fields do not show as changes. */
function comparable(snapshot: Record<string, unknown>, keys: string[]) {
  return Object.fromEntries(keys.filter((k) => k in snapshot).map((k) => [k, snapshot[k]]));
}

export function DeployTab({ env, api: current }: { env: string; api: Api }) {
  const canDeploy = useCan('deployments:write');
  const client = useQueryClient();
  const toast = useToast();
  const base = `/environments/${enc(env)}/apis/${enc(current.id)}`;
  const [message, setMessage] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const history = useQuery({
    queryKey: ['deployments', env, current.id],
    queryFn: () => api.get<Page<Deployment>>(`${base}/deployments`, { limit: 20 }),
    // Live rollout: poll while the served revision is not applied everywhere yet.
    refetchInterval: (q) => {
      const top = q.state.data?.items.find((d) => d.current);
      return top && top.rollout.applied < top.rollout.total ? 1500 : 10_000;
    },
  });
  const plans = useQuery({
    queryKey: ['plans', env, current.id],
    queryFn: () => api.get<Page<Plan>>(`${base}/plans`, { limit: 100 }),
  });
  const served = history.data?.items.find((d) => d.current);
  const servedDetail = useQuery({
    queryKey: ['deployment', env, current.id, served?.revision],
    queryFn: () => api.get<Deployment>(`${base}/deployments/${served!.revision}`),
    enabled: Boolean(served),
  });

  if (history.isPending || plans.isPending) return <Loading />;
  const candidate = sortKeys(candidateOf(current, plans.data?.items ?? [])) as Record<string, unknown>;
  const before = servedDetail.data?.definition
    ? stringify(sortKeys(comparable(servedDetail.data.definition, Object.keys(candidate))))
    : '';
  const after = stringify(candidate);
  const diff = diffLines(before, after);
  const changed = diff.some((l) => l.kind !== 'same');

  const deploy = async (revision?: number) => {
    setBusy(true);
    setError(null);
    try {
      const d = await api.post<Deployment>(`${base}/deployments`, {
        ...(revision ? { revision, message: message || `Rollback to revision ${revision}` } : {}),
        ...(!revision && message ? { message } : {}),
      });
      toast.ok(revision ? `Rolled back: revision ${d.revision}` : `Deployed revision ${d.revision}`);
      setMessage('');
      await client.invalidateQueries({ queryKey: ['deployments', env, current.id] });
      await client.invalidateQueries({ queryKey: ['api', env, current.id] });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {served && (
        <div className="panel" aria-live="polite">
          <h2>Rollout of revision {served.revision}</h2>
          <p data-testid="rollout">
            Applied on <strong>{served.rollout.applied}</strong> of <strong>{served.rollout.total}</strong> gateways
          </p>
          <div className="progress" aria-hidden="true">
            <span
              style={{ width: `${served.rollout.total ? (100 * served.rollout.applied) / served.rollout.total : 0}%` }}
            />
          </div>
          {served.rollout.gateways.length > 0 && (
            <ul>
              {served.rollout.gateways.map((g) => (
                <li key={g.id}>
                  {g.name} — applied <Time iso={g.appliedAt} />
                </li>
              ))}
            </ul>
          )}
          {served.rollout.total === 0 && <p className="hint">No registered gateway serves this API yet.</p>}
        </div>
      )}
      <div className="panel">
        <h2>{served ? `Changes since revision ${served.revision}` : 'First deployment'}</h2>
        <ErrorBanner error={error ?? plans.error ?? history.error} />
        {changed ? (
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard to scroll it
          <section className="diff" aria-label="Definition diff" tabIndex={0}>
            {diff.map((l, i) => (
              <div key={`${i}-${l.kind}`} className={l.kind === 'same' ? '' : l.kind}>
                {l.kind === 'add' ? '+ ' : l.kind === 'del' ? '- ' : '  '}
                {l.text}
              </div>
            ))}
          </section>
        ) : (
          <p className="muted">Gateways already run this definition.</p>
        )}
        {canDeploy && (
          <div className="row" style={{ marginTop: 12, alignItems: 'end' }}>
            <Field label="Message">
              {(p) => (
                <input
                  {...p}
                  size={50}
                  placeholder="Why (shown in the history)"
                  value={message}
                  onChange={(e) => setMessage(e.target.value)}
                />
              )}
            </Field>
            <button
              type="button"
              className="btn btn-primary"
              disabled={busy}
              onClick={() => deploy()}
              style={{ marginBottom: 12 }}
            >
              {busy ? 'Deploying…' : 'Deploy'}
            </button>
          </div>
        )}
      </div>
      <div className="panel panel-flush">
        <h2 style={{ padding: '12px 12px 0' }}>History</h2>
        {history.data!.items.length === 0 ? (
          <Empty title="Never deployed" />
        ) : (
          <table>
            <thead>
              <tr>
                <th className="num">Revision</th>
                <th>Message</th>
                <th>Author</th>
                <th>When</th>
                <th>Rollout</th>
                <th>
                  <span className="skip">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {history.data!.items.map((d) => (
                <tr key={d.revision}>
                  <td className="num">
                    {d.revision} {d.current && <Badge value="serving" tone="ok" />}
                  </td>
                  <td>
                    {d.message ?? <span className="muted">—</span>}
                    {d.rollbackOf && <span className="muted"> (rollback of {d.rollbackOf})</span>}
                  </td>
                  <td>{d.author.email ?? '—'}</td>
                  <td>
                    <Time iso={d.createdAt} />
                  </td>
                  <td>
                    {d.rollout.applied}/{d.rollout.total}
                  </td>
                  <td>
                    {canDeploy && !d.current && (
                      <button
                        type="button"
                        className="btn btn-small"
                        disabled={busy}
                        onClick={() => deploy(d.revision)}
                      >
                        Roll back to this
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}
