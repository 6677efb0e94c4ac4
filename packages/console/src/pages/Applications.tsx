import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError, api, enc } from '../api';
import { Pager, usePaged } from '../components/paged';
import { useToast } from '../components/toast';
import { Empty, ErrorBanner, Field, Loading, Modal, PageHeader, Time } from '../components/ui';
import { useCan, useEnv } from '../session';
import type { Application } from '../types';

export default function Applications() {
  const { env } = useEnv();
  const canWrite = useCan('applications:write');
  const [q, setQ] = useState('');
  const [creating, setCreating] = useState(false);
  const paged = usePaged<Application>(['applications', env], `/environments/${enc(env)}/applications`, {
    q: q || undefined,
    limit: 50,
  });
  const items = paged.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Applications"
        actions={
          canWrite && (
            <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
              Create application
            </button>
          )
        }
      >
        Consumers' applications subscribe to plans and hold the API keys.
      </PageHeader>
      <search className="toolbar">
        <div className="field">
          <label htmlFor="app-q">Search</label>
          <input id="app-q" type="search" value={q} onChange={(e) => setQ(e.target.value)} />
        </div>
      </search>
      <ErrorBanner error={paged.error} />
      <div className="panel panel-flush">
        {paged.isPending ? (
          <Loading />
        ) : items.length === 0 ? (
          <Empty title="No applications" />
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Description</th>
                  <th>Client id</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {items.map((a) => (
                  <tr key={a.id}>
                    <td>
                      <Link to={`/e/${env}/applications/${a.id}`}>{a.name}</Link>
                    </td>
                    <td>{a.description ?? <span className="muted">—</span>}</td>
                    <td className="mono">{a.clientId ?? '—'}</td>
                    <td>
                      <Time iso={a.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager paged={paged as never} />
      </div>
      {creating && <CreateApplication env={env} onClose={() => setCreating(false)} />}
    </>
  );
}

function CreateApplication({ env, onClose }: { env: string; onClose: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<unknown>(null);
  const navigate = useNavigate();
  const client = useQueryClient();
  const toast = useToast();
  const at = (path: string) => (error instanceof ApiError ? error.at(`body.${path}`) : []);
  const submit = async () => {
    try {
      const app = await api.post<Application>(`/environments/${enc(env)}/applications`, {
        name,
        ...(description ? { description } : {}),
      });
      await client.invalidateQueries({ queryKey: ['applications', env] });
      toast.ok(`Application ${app.name} created`);
      navigate(`/e/${env}/applications/${app.id}`);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal
      title="Create application"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={submit}>
            Create
          </button>
        </>
      }
    >
      {error instanceof ApiError && !error.problem.errors?.length && <ErrorBanner error={error} />}
      <Field label="Name *" errors={at('name')}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Description" errors={at('description')}>
        {(p) => <textarea {...p} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
    </Modal>
  );
}
