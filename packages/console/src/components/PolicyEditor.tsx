/**
 * Policies of one scope (API, plan or route): add from the catalog, order, enable/disable, and
 * configure with forms generated from each policy's JSON Schema. Saved as a whole list by the
 * caller (so a save carries If-Match for the object the list belongs to).
 */
import { useEffect, useId, useState } from 'react';
import { ApiError, api } from '../api';
import type { PolicyInfo, PolicyRef } from '../types';
import { usePolicyCatalog } from './policies';
import { checkAgainstSchema, SchemaForm } from './SchemaForm';
import { ErrorBanner, Field, Loading } from './ui';

interface Props {
  scope: 'api' | 'plan' | 'route';
  policies: PolicyRef[];
  canWrite: boolean;
  /** Where the list sits in the request body, e.g. `body.policies` (server errors are matched to it). */
  errorBase: string;
  onSave: (policies: PolicyRef[]) => Promise<void>;
}

export function PolicyEditor({ scope, policies, canWrite, errorBase, onSave }: Props) {
  const catalog = usePolicyCatalog();
  const [draft, setDraft] = useState<PolicyRef[]>(policies);
  const [open, setOpen] = useState<number | null>(null);
  const [adding, setAdding] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<{ path: string; message: string }[]>([]);
  const [saving, setSaving] = useState(false);
  const addId = useId();
  useEffect(() => setDraft(policies), [policies]);

  if (catalog.isPending) return <Loading label="Loading policies…" />;
  if (catalog.error) return <ErrorBanner error={catalog.error} />;
  const byName = new Map(catalog.data.map((p) => [p.name, p]));
  const available = catalog.data.filter(
    (p) => (p.kind ?? 'policy') === 'policy' && (!p.scopes || p.scopes.includes(scope)),
  );
  const dirty = JSON.stringify(draft) !== JSON.stringify(policies);

  const errorsAt = (index: number) => (path: string) => {
    const full = `[${index}].${path}`;
    const server =
      error instanceof ApiError
        ? (error.problem.errors ?? [])
            .filter(
              (e) => e.path.endsWith(`${errorBase.replace(/^body\./, '')}${full}`) || e.path === `${errorBase}${full}`,
            )
            .map((e) => e.message)
        : [];
    return [...server, ...local.filter((e) => e.path === full).map((e) => e.message)];
  };

  const update = (index: number, patch: Partial<PolicyRef>) =>
    setDraft((all) => all.map((p, i) => (i === index ? { ...p, ...patch } : p)));
  const move = (index: number, delta: number) =>
    setDraft((all) => {
      const copy = [...all];
      const [item] = copy.splice(index, 1);
      copy.splice(index + delta, 0, item!);
      return copy;
    });

  const save = async () => {
    const problems = draft.flatMap((p, i) => {
      const info = byName.get(p.policy);
      return info ? checkAgainstSchema(info.schema, p.config ?? {}, `[${i}].config`) : [];
    });
    // `when:` conditions are compiled by the server as the gateway would, before anything is saved.
    const whens = await Promise.all(
      draft.map(async (p, i) => {
        if (!p.when) return null;
        try {
          await api.post('/policies/check-expression', { expression: p.when });
          return null;
        } catch (e) {
          return {
            path: `[${i}].when`,
            message: e instanceof ApiError ? (e.at('body.expression')[0] ?? e.message) : String(e),
          };
        }
      }),
    );
    problems.push(...whens.filter((w): w is { path: string; message: string } => w !== null));
    setLocal(problems);
    if (problems.length) {
      setOpen(Number(/^\[(\d+)\]/.exec(problems[0]!.path)?.[1] ?? 0));
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await onSave(
        draft.map((p) => ({ ...p, config: p.config && Object.keys(p.config).length ? p.config : undefined })),
      );
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="policy-editor">
      {error instanceof ApiError && error.status !== 412 ? <ErrorBanner error={error} /> : null}
      {draft.length === 0 ? (
        <p className="muted">No policies at this scope.</p>
      ) : (
        <ol className="policy-list">
          {draft.map((p, i) => {
            const info = byName.get(p.policy);
            const hasErrors = errorsAt(i)('config').length > 0 || local.some((e) => e.path.startsWith(`[${i}]`));
            return (
              <li key={`${p.policy}-${i}`} className={`policy-item${p.enabled === false ? ' policy-disabled' : ''}`}>
                <div className="policy-item-head">
                  <span className="muted">{i + 1}.</span>
                  <span className="policy-name">{p.policy}</span>
                  {info && <span className="muted">{info.phases.join(', ')}</span>}
                  {p.when && <code className="muted">when {p.when}</code>}
                  {hasErrors && <span className="badge badge-bad">needs attention</span>}
                  <span className="spacer" />
                  <label className="check">
                    <input
                      type="checkbox"
                      disabled={!canWrite}
                      checked={p.enabled !== false}
                      onChange={(e) => update(i, { enabled: e.target.checked })}
                    />
                    Enabled
                  </label>
                  <button
                    type="button"
                    className="btn btn-small"
                    aria-expanded={open === i}
                    onClick={() => setOpen(open === i ? null : i)}
                  >
                    {open === i ? 'Close' : canWrite ? 'Configure' : 'View'}
                  </button>
                  {canWrite && (
                    <>
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-label={`Move ${p.policy} up`}
                        disabled={i === 0}
                        onClick={() => move(i, -1)}
                      >
                        ↑
                      </button>
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-label={`Move ${p.policy} down`}
                        disabled={i === draft.length - 1}
                        onClick={() => move(i, 1)}
                      >
                        ↓
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        aria-label={`Remove ${p.policy}`}
                        onClick={() => setDraft((all) => all.filter((_, j) => j !== i))}
                      >
                        Remove
                      </button>
                    </>
                  )}
                </div>
                {open === i && (
                  <div className="policy-item-body">
                    {info?.description && <p className="hint">{info.description}</p>}
                    {info ? (
                      <SchemaForm
                        schema={info.schema}
                        value={p.config ?? {}}
                        onChange={(config) => update(i, { config })}
                        errorsAt={(path) => errorsAt(i)(`config.${path}`)}
                        disabled={!canWrite}
                      />
                    ) : (
                      <p className="alert alert-warn">
                        Unknown policy "{p.policy}" (not in this control plane's catalog).
                      </p>
                    )}
                    <Field
                      label="Condition (when, CEL)"
                      hint='The policy is skipped when false, e.g. request.method == "POST". Checked before saving.'
                      errors={errorsAt(i)('when')}
                    >
                      {(props) => (
                        <input
                          {...props}
                          className="mono"
                          disabled={!canWrite}
                          value={p.when ?? ''}
                          onChange={(e) => update(i, { when: e.target.value || undefined })}
                        />
                      )}
                    </Field>
                    <Field
                      label="Instance id"
                      hint="Keeps counters (rate limits, quotas) across changes."
                      errors={errorsAt(i)('id')}
                    >
                      {(props) => (
                        <input
                          {...props}
                          disabled={!canWrite}
                          value={p.id ?? ''}
                          onChange={(e) => update(i, { id: e.target.value || undefined })}
                        />
                      )}
                    </Field>
                  </div>
                )}
              </li>
            );
          })}
        </ol>
      )}
      {canWrite && (
        <div className="row" style={{ marginTop: 12 }}>
          <label htmlFor={addId}>Add policy</label>
          <select id={addId} value={adding} onChange={(e) => setAdding(e.target.value)}>
            <option value="">Choose a policy…</option>
            {available.map((p: PolicyInfo) => (
              <option key={p.name} value={p.name}>
                {p.name} — {p.description.slice(0, 70)}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="btn"
            disabled={!adding}
            onClick={() => {
              setDraft((all) => [...all, { policy: adding, enabled: true, config: {} }]);
              setOpen(draft.length);
              setAdding('');
            }}
          >
            Add
          </button>
          <span className="spacer" />
          {dirty && <span className="muted">Unsaved changes</span>}
          <button type="button" className="btn btn-primary" disabled={!dirty || saving} onClick={save}>
            {saving ? 'Saving…' : 'Save policies'}
          </button>
        </div>
      )}
    </div>
  );
}
