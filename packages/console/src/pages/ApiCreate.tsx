/** Create an API from a form, or import an OpenAPI 3.x / Swagger 2 document (paste or file). */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { ApiError, api, enc } from '../api';
import { useToast } from '../components/toast';
import { ErrorBanner, Field, PageHeader, Tabs } from '../components/ui';
import { useEnv } from '../session';
import type { Api } from '../types';
import { DefinitionForm } from './api/DefinitionForm';
import type { Definition } from './api/definition';

const EMPTY: Definition = {
  name: '',
  description: null,
  version: null,
  basePath: '/',
  stripBasePath: null,
  hosts: null,
  lifecycle: 'draft',
  visibility: 'private',
  tags: [],
  categories: [],
  shardingTags: [],
  upstream: { targets: [{ url: 'http://', weight: 1 }] },
  policies: [],
  routes: null,
};

export default function ApiCreate() {
  const { env } = useEnv();
  const navigate = useNavigate();
  const client = useQueryClient();
  const toast = useToast();
  const [mode, setMode] = useState<'form' | 'import'>('form');
  const [id, setId] = useState('');
  const [draft, setDraft] = useState<Definition>(EMPTY);
  const [doc, setDoc] = useState('');
  const [importId, setImportId] = useState('');
  const [importBase, setImportBase] = useState('');
  const [upstreamUrl, setUpstreamUrl] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const done = async (created: Api) => {
    await client.invalidateQueries({ queryKey: ['apis', env] });
    toast.ok(`API ${created.name} created`);
    navigate(`/e/${env}/apis/${enc(created.id)}`);
  };

  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      const body = Object.fromEntries(Object.entries({ id, ...draft }).filter(([, v]) => v !== null));
      await done(await api.post<Api>(`/environments/${enc(env)}/apis`, body));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const importDoc = async () => {
    setBusy(true);
    setError(null);
    try {
      await done(
        await api.post<Api>(`/environments/${enc(env)}/apis/import`, {
          document: doc,
          ...(importId ? { id: importId } : {}),
          ...(importBase ? { basePath: importBase } : {}),
          ...(upstreamUrl ? { upstreamUrl } : {}),
        }),
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const at = (path: string) => (error instanceof ApiError ? error.at(`body.${path}`) : []);
  return (
    <>
      <PageHeader
        title="Create API"
        actions={
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy}
            onClick={mode === 'form' ? create : importDoc}
          >
            {busy ? 'Creating…' : mode === 'form' ? 'Create API' : 'Import'}
          </button>
        }
      >
        Nothing is served until you add a published plan and deploy.
      </PageHeader>
      <Tabs
        label="How to create"
        current={mode}
        onChange={setMode}
        tabs={[
          { id: 'form', label: 'From a form' },
          { id: 'import', label: 'Import OpenAPI' },
        ]}
      />
      <ErrorBanner error={error} />
      {mode === 'form' ? (
        <DefinitionForm
          draft={draft}
          onChange={setDraft}
          error={error}
          canWrite
          idField={{ value: id, onChange: setId }}
        />
      ) : (
        <div className="panel">
          <Field label="OpenAPI 3.x or Swagger 2 document (YAML or JSON)" errors={at('document')}>
            {(p) => <textarea {...p} rows={14} value={doc} onChange={(e) => setDoc(e.target.value)} />}
          </Field>
          <Field label="Or load a file">
            {(p) => (
              <input
                {...p}
                type="file"
                accept=".yaml,.yml,.json"
                onChange={async (e) => {
                  const file = e.target.files?.[0];
                  if (file) setDoc(await file.text());
                }}
              />
            )}
          </Field>
          <div className="grid grid-3">
            <Field label="API id" hint="Default: from info.title." errors={at('id')}>
              {(p) => <input {...p} value={importId} onChange={(e) => setImportId(e.target.value)} />}
            </Field>
            <Field label="Base path" hint="Default: /<id>." errors={at('basePath')}>
              {(p) => <input {...p} value={importBase} onChange={(e) => setImportBase(e.target.value)} />}
            </Field>
            <Field label="Upstream URL" hint="Default: the document's first server." errors={at('upstreamUrl')}>
              {(p) => <input {...p} value={upstreamUrl} onChange={(e) => setUpstreamUrl(e.target.value)} />}
            </Field>
          </div>
        </div>
      )}
    </>
  );
}
