/** The gateway fleet: status, version, applied config, heartbeat; register (token shown once), rotate, revoke. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, enc, type Page } from '../api';
import { actionsColumn, type Column, ConfirmDialog, DataTable } from '../components/tables';
import { useToast } from '../components/toast';
import { Badge, Empty, Field, Modal, PageHeader, SecretOnce, Time } from '../components/ui';
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
  const rotate = async (g: Gateway) => {
    try {
      const r = await api.post<Gateway>(`/environments/${enc(env)}/gateways/${g.id}/rotate-token`, {
        gracePeriod: '10m',
      });
      setToken({ name: `${g.name} (old token valid 10 more minutes)`, token: r.token! });
      refresh();
    } catch (e) {
      toast.error(e);
    }
  };
  const columns: Column<Gateway>[] = [
    { header: 'Name', cell: (g) => g.name },
    { header: 'Status', cell: (g) => <Badge value={g.status} /> },
    { header: 'Version', cell: (g) => g.version ?? '—', className: 'mono' },
    { header: 'Config', cell: (g) => g.configVersion?.slice(0, 10) ?? '—', className: 'mono' },
    { header: 'Last heartbeat', cell: (g) => <Time iso={g.lastHeartbeatAt} /> },
    { header: 'Host', cell: (g) => g.hostname ?? '—' },
    { header: 'Tags', cell: (g) => g.tags.join(', ') || <span className="muted">—</span> },
    {
      header: 'Recent errors',
      cell: (g) =>
        g.errors.length ? (
          <span title={JSON.stringify(g.errors.slice(-3))}>{g.errors.length}</span>
        ) : (
          <span className="muted">0</span>
        ),
    },
    actionsColumn((g) =>
      canWrite && g.status !== 'revoked' ? (
        <>
          <button type="button" className="btn btn-small" onClick={() => rotate(g)}>
            Rotate token
          </button>
          <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking(g)}>
            Revoke
          </button>
        </>
      ) : null,
    ),
  ];
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
      <DataTable
        error={gateways.error}
        rows={gateways.data?.items ?? []}
        columns={columns}
        rowKey={(g) => g.id}
        pending={gateways.isPending}
        empty={<Empty title="No gateways registered">Register one to get its token and start command.</Empty>}
      />
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
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          confirm="Revoke"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.post(`/environments/${enc(env)}/gateways/${revoking.id}/revoke`);
            toast.ok('Gateway revoked');
            refresh();
          }}
        >
          <p>Its token stops working at once: it keeps serving its last configuration but receives no more changes.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function RegisterDialog({ env, onClose, onDone }: { env: string; onClose: () => void; onDone: (g: Gateway) => void }) {
  const [name, setName] = useState('');
  const [tags, setTags] = useState('');
  return (
    <ConfirmDialog
      title="Register gateway"
      confirm="Register"
      onClose={onClose}
      onConfirm={async () => {
        const list = tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean);
        onDone(
          await api.post<Gateway>(`/environments/${enc(env)}/gateways`, {
            name,
            ...(list.length ? { tags: list } : {}),
          }),
        );
      }}
    >
      {(error) => {
        const at = (path: string) => (error instanceof ApiError ? error.at(`body.${path}`) : []);
        return (
          <>
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
          </>
        );
      }}
    </ConfirmDialog>
  );
}
