/** One API: definition (form and YAML, same draft), policies, plans, documentation pages, deployments. */
import { lazy, Suspense, useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { parse, stringify } from 'yaml';
import { enc } from '../api';
import { PolicyEditor } from '../components/PolicyEditor';
import { useResource } from '../components/resource';
import { useToast } from '../components/toast';
import { Badge, ErrorBanner, Loading, PageHeader, Tabs } from '../components/ui';
import { useCan, useEnv } from '../session';
import type { Api } from '../types';
import { DefinitionForm } from './api/DefinitionForm';
import { DeployTab } from './api/DeployTab';
import { DocsTab } from './api/DocsTab';
import { type Definition, definitionOf } from './api/definition';
import { PlansTab } from './api/PlansTab';

const CodeEditor = lazy(() => import('../components/CodeEditor'));

type Tab = 'definition' | 'yaml' | 'policies' | 'plans' | 'docs' | 'deploy';

export default function ApiDetail() {
  const { env } = useEnv();
  const { apiId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const tab = (params.get('tab') as Tab) ?? 'definition';
  const canWrite = useCan('apis:write');
  const canDeployRead = useCan('deployments:read');
  const toast = useToast();
  const resource = useResource<Api>(['api', env, apiId], `/environments/${enc(env)}/apis/${enc(apiId)}`);
  const [draft, setDraft] = useState<Definition | null>(null);
  const [yamlText, setYamlText] = useState('');
  const [yamlError, setYamlError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);

  // Opened on the YAML tab (deep link): show the definition once it is loaded.
  useEffect(() => {
    if (tab === 'yaml' && draft && yamlText === '') setYamlText(stringify(draft));
  }, [draft === null, tab]);
  useEffect(() => {
    if (resource.value) {
      setDraft(definitionOf(resource.value));
      setError(null);
    }
  }, [resource.value]);

  if (resource.isPending) return <Loading />;
  if (resource.error) return <ErrorBanner error={resource.error} />;
  const current = resource.value!;
  if (!draft) return <Loading />;
  const dirty = JSON.stringify(draft) !== JSON.stringify(definitionOf(current));

  const save = async (body: Partial<Definition>) => {
    setSaving(true);
    setError(null);
    try {
      await resource.save('PATCH', body);
      toast.ok('API saved. Deploy to send it to gateways.');
    } catch (e) {
      setError(e);
      throw e;
    } finally {
      setSaving(false);
    }
  };

  const switchTab = (next: Tab) => {
    if (next === 'yaml') {
      setYamlText(stringify(draft));
      setYamlError(null);
    }
    setParams({ tab: next }, { replace: true });
  };

  const tabs: { id: Tab; label: string }[] = [
    { id: 'definition', label: 'Definition' },
    { id: 'yaml', label: 'YAML' },
    { id: 'policies', label: `Policies (${current.policies.length})` },
    { id: 'plans', label: 'Plans' },
    { id: 'docs', label: 'Documentation' },
    ...(canDeployRead ? [{ id: 'deploy' as const, label: 'Deploy' }] : []),
  ];

  const saveBar = canWrite && (tab === 'definition' || tab === 'yaml') && (
    <div className="row save-bar">
      {dirty && <span className="muted">Unsaved changes</span>}
      <button type="button" className="btn" disabled={!dirty || saving} onClick={() => setDraft(definitionOf(current))}>
        Discard
      </button>
      <button
        type="button"
        className="btn btn-primary"
        disabled={!dirty || saving || Boolean(yamlError && tab === 'yaml')}
        onClick={() => save(draft).catch(() => {})}
      >
        {saving ? 'Saving…' : 'Save'}
      </button>
    </div>
  );

  return (
    <>
      {resource.conflictDialog}
      <PageHeader
        title={
          <>
            {current.name} <Badge value={current.lifecycle} />
          </>
        }
        actions={saveBar}
      >
        <span className="mono">{current.basePath}</span> · id <span className="mono">{current.id}</span> ·{' '}
        {current.deployedRevision ? `revision ${current.deployedRevision} deployed` : 'never deployed'} ·{' '}
        <Link to={`/e/${env}/apis`}>all APIs</Link>
      </PageHeader>
      <Tabs label="API sections" tabs={tabs} current={tab} onChange={switchTab} />
      {(tab === 'definition' || tab === 'yaml') && error ? <ErrorBanner error={error} /> : null}
      {tab === 'definition' && <DefinitionForm draft={draft} onChange={setDraft} error={error} canWrite={canWrite} />}
      {tab === 'yaml' && (
        <div className="panel">
          <p className="hint">
            The same definition as the form: edits here show there, and Save sends it with the same validation.
          </p>
          {yamlError && (
            <div className="alert alert-error" role="alert">
              {yamlError}
            </div>
          )}
          <Suspense fallback={<Loading label="Loading editor…" />}>
            <CodeEditor
              language="yaml"
              label="API definition (YAML)"
              value={yamlText}
              readOnly={!canWrite}
              onChange={(text) => {
                setYamlText(text);
                try {
                  const value = parse(text) as Definition;
                  if (!value || typeof value !== 'object') throw new Error('The document must be a mapping.');
                  setDraft(value);
                  setYamlError(null);
                } catch (e) {
                  setYamlError(`YAML: ${(e as Error).message}`);
                }
              }}
            />
          </Suspense>
        </div>
      )}
      {tab === 'policies' && (
        <div className="panel">
          <h2>API policies</h2>
          <p className="hint">Run for every request of this API, in order, after the plan's security.</p>
          <PolicyEditor
            scope="api"
            canWrite={canWrite}
            errorBase="body.policies"
            policies={current.policies}
            onSave={(policies) => save({ policies })}
          />
        </div>
      )}
      {tab === 'plans' && <PlansTab env={env} api={current} />}
      {tab === 'docs' && <DocsTab env={env} api={current} />}
      {tab === 'deploy' && <DeployTab env={env} api={current} />}
    </>
  );
}
