/** The gateway fleet: status, version, applied config, heartbeat; register (token shown once), rotate, revoke. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, enc, type Page } from '../api';
import { useToast } from '../components/toast';
import { Badge, Empty, ErrorBanner, Field, Loading, Modal, PageHeader, SecretOnce, Time } from '../components/ui';
import { useCan, useEnv } from '../session';
import type { Gateway } from '../types';

export function startCommand(token: string): string {
  return `GATEHOUSE_GATEWAY_TOKEN='${token}' gatehouse gateway --control-plane ${window.location.origin} --port 8080`;
}

export default function Gateways() {
  const { env } = useEnv();
  const canWrite = useCan('gateways:write');
  const client = useQueryClient();
  const toast = useToast();
  const [registering, setRegistering] = useState(false);
  const [token, setToken] = useState<{ name: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<Gateway | null>(null);
  const gateways = useQuery({
    queryKey: ['gateways', env],
    queryFn: () => api.get<Page<Gateway>>(`/environments/${enc(env)}/gateways`, { limit: 100 }),
    refetchInterval: 10_000,
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['gateways', env] });
  const items = gateways.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Gateways"
        actions={
          canWrite && (
            <button type="button" className="btn btn-primary" onClick={() => setRegistering(true)}>
              Register gateway
            </button>
          )
        }
      >
        Gateways of this environment in hybrid mode, from their heartbeats.
      </PageHeader>
      <ErrorBanner error={gateways.error} />
      <div className="panel panel-flush">
        {gateways.isPending ? (
          <Loading />
        ) : items.length === 0 ? (
          <Empty title="No gateways registered">Register one to get its token and start command.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th>Version</th>
                  <th>Config</th>
                  <th>Last heartbeat</th>
                  <th>Host</th>
                  <th>Tags</th>
                  <th>Recent errors</th>
                  <th>
                    <span className="skip">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((g) => (
                  <tr key={g.id}>
                    <td>{g.name}</td>
                    <td>
                      <Badge value={g.status} />
                    </td>
                    <td className="mono">{g.version ?? '—'}</td>
                    <td className="mono">{g.configVersion?.slice(0, 10) ?? '—'}</td>
                    <td>
                      <Time iso={g.lastHeartbeatAt} />
                    </td>
                    <td>{g.hostname ?? '—'}</td>
                    <td>{g.tags.join(', ') || <span className="muted">—</span>}</td>
                    <td>
                      {g.errors.length ? (
                        <span title={JSON.stringify(g.errors.slice(-3))}>{g.errors.length}</span>
                      ) : (
                        <span className="muted">0</span>
                      )}
                    </td>
                    <td className="row">
                      {canWrite && g.status !== 'revoked' && (
                        <>
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={async () => {
                              try {
                                const r = await api.post<Gateway>(
                                  `/environments/${enc(env)}/gateways/${g.id}/rotate-token`,
                                  {
                                    gracePeriod: '10m',
                                  },
                                );
                                setToken({ name: `${g.name} (old token valid 10 more minutes)`, token: r.token! });
                                refresh();
                              } catch (e) {
                                toast.error(e);
                              }
                            }}
                          >
                            Rotate token
                          </button>
                          <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking(g)}>
                            Revoke
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {registering && (
        <RegisterDialog
          env={env}
          onClose={() => setRegistering(false)}
          onDone={(g) => {
            setRegistering(false);
            setToken({ name: g.name, token: g.token! });
            refresh();
          }}
        />
      )}
      {token && (
        <Modal
          title={`Gateway ${token.name}`}
          onClose={() => setToken(null)}
          footer={
            <button type="button" className="btn btn-primary" onClick={() => setToken(null)}>
              Done
            </button>
          }
        >
          <SecretOnce label="Gateway token" secret={token.token}>
            <p>Start the gateway with:</p>
            <pre className="cmd">{startCommand(token.token)}</pre>
          </SecretOnce>
        </Modal>
      )}
      {revoking && (
        <Modal
          title={`Revoke ${revoking.name}?`}
          onClose={() => setRevoking(null)}
          footer={
            <>
              <button type="button" className="btn" onClick={() => setRevoking(null)}>
                Cancel
              </button>
              <button
                type="button"
                className="btn btn-primary"
                onClick={async () => {
                  try {
                    await api.post(`/environments/${enc(env)}/gateways/${revoking.id}/revoke`);
                    toast.ok('Gateway revoked');
                    refresh();
                  } catch (e) {
                    toast.error(e);
                  }
                  setRevoking(null);
                }}
              >
                Revoke
              </button>
            </>
          }
        >
          <p>Its token stops working at once: it keeps serving its last configuration but receives no more changes.</p>
        </Modal>
      )}
    </>
  );
}

function RegisterDialog({ env, onClose, onDone }: { env: string; onClose: () => void; onDone: (g: Gateway) => void }) {
  const [name, setName] = useState('');
  const [tags, setTags] = useState('');
  const [error, setError] = useState<unknown>(null);
  const at = (path: string) => (error instanceof ApiError ? error.at(`body.${path}`) : []);
  const submit = async () => {
    try {
      const list = tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      onDone(
        await api.post<Gateway>(`/environments/${enc(env)}/gateways`, { name, ...(list.length ? { tags: list } : {}) }),
      );
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal
      title="Register gateway"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={submit}>
            Register
          </button>
        </>
      }
    >
      <ErrorBanner error={error instanceof ApiError && !error.problem.errors?.length ? error : null} />
      <Field label="Name *" errors={at('name')}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field
        label="Sharding tags"
        hint="Comma separated; the gateway serves APIs with matching tags."
        errors={at('tags')}
      >
        {(p) => <input {...p} value={tags} onChange={(e) => setTags(e.target.value)} />}
      </Field>
    </Modal>
  );
}
