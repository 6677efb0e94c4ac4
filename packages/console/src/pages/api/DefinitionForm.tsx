/** General settings, upstream (targets, load balancing, timeouts) and routes of an API. */
import { useState } from 'react';
import { ApiError } from '../../api';
import { PolicyEditor } from '../../components/PolicyEditor';
import { Field, Modal } from '../../components/ui';
import type { Route } from '../../types';
import type { Definition } from './definition';

interface Props {
  draft: Definition;
  onChange: (draft: Definition) => void;
  error: unknown;
  canWrite: boolean;
  /** With an id field (create) or without (edit). */
  idField?: { value: string; onChange: (id: string) => void };
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export function DefinitionForm({ draft, onChange, error, canWrite, idField }: Props) {
  const at = (path: string) => (error instanceof ApiError ? error.at(`body.${path}`) : []);
  const set = <K extends keyof Definition>(key: K, value: Definition[K]) => onChange({ ...draft, [key]: value });
  const upstream = draft.upstream;
  const setUpstream = (patch: Partial<Definition['upstream']>) => set('upstream', { ...upstream, ...patch });
  // upstream.mock (docs/mock-mode.md): on when present and not `enabled: false`.
  const mock = (upstream.mock ?? {}) as { enabled?: boolean };
  const mockOn = upstream.mock !== undefined && mock.enabled !== false;
  const [routePolicies, setRoutePolicies] = useState<number | null>(null);
  const routes = draft.routes ?? [];
  const setRoute = (i: number, patch: Partial<Route>) =>
    set(
      'routes',
      routes.map((r, j) => (j === i ? { ...r, ...patch } : r)),
    );
  const ro = !canWrite;

  return (
    <fieldset disabled={ro} className="plain-fieldset">
      <div className="panel">
        <h2>General</h2>
        <div className="grid grid-2">
          {idField && (
            <Field
              label="Id *"
              hint="Unique in the environment; lowercase letters, digits and dashes. Cannot change."
              errors={at('id')}
            >
              {(p) => (
                <input {...p} required value={idField.value} onChange={(e) => idField.onChange(e.target.value)} />
              )}
            </Field>
          )}
          <Field label="Name *" errors={at('name')}>
            {(p) => <input {...p} required value={draft.name} onChange={(e) => set('name', e.target.value)} />}
          </Field>
          <Field label="Base path *" hint="Path prefix the API is served under, e.g. /orders." errors={at('basePath')}>
            {(p) => (
              <input
                {...p}
                required
                className="mono"
                value={draft.basePath}
                onChange={(e) => set('basePath', e.target.value)}
              />
            )}
          </Field>
          <Field label="Version" errors={at('version')}>
            {(p) => (
              <input {...p} value={draft.version ?? ''} onChange={(e) => set('version', e.target.value || null)} />
            )}
          </Field>
          <Field label="Lifecycle" errors={at('lifecycle')}>
            {(p) => (
              <select
                {...p}
                value={draft.lifecycle}
                onChange={(e) => set('lifecycle', e.target.value as Definition['lifecycle'])}
              >
                {['draft', 'published', 'deprecated', 'retired'].map((l) => (
                  <option key={l}>{l}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Visibility" hint="Public APIs appear in the consumer catalog." errors={at('visibility')}>
            {(p) => (
              <select
                {...p}
                value={draft.visibility}
                onChange={(e) => set('visibility', e.target.value as Definition['visibility'])}
              >
                <option>private</option>
                <option>public</option>
              </select>
            )}
          </Field>
          <Field label="Tags" hint="Comma separated." errors={at('tags')}>
            {(p) => (
              <input
                {...p}
                value={draft.tags.join(', ')}
                onChange={(e) =>
                  set(
                    'tags',
                    e.target.value
                      .split(',')
                      .map((t) => t.trim())
                      .filter(Boolean),
                  )
                }
              />
            )}
          </Field>
          <Field
            label="Portal categories"
            hint="Comma separated; the developer portal filters on them."
            errors={at('categories')}
          >
            {(p) => (
              <input
                {...p}
                value={(draft.categories ?? []).join(', ')}
                onChange={(e) =>
                  set(
                    'categories',
                    e.target.value
                      .split(',')
                      .map((t) => t.trim())
                      .filter(Boolean),
                  )
                }
              />
            )}
          </Field>
          <Field label="Hosts" hint="Comma separated; empty answers on every host." errors={at('hosts')}>
            {(p) => (
              <input
                {...p}
                value={(draft.hosts ?? []).join(', ')}
                onChange={(e) => {
                  const hosts = e.target.value
                    .split(',')
                    .map((t) => t.trim())
                    .filter(Boolean);
                  set('hosts', hosts.length ? hosts : null);
                }}
              />
            )}
          </Field>
        </div>
        <Field label="Description" errors={at('description')}>
          {(p) => (
            <textarea
              {...p}
              rows={2}
              value={draft.description ?? ''}
              onChange={(e) => set('description', e.target.value || null)}
            />
          )}
        </Field>
      </div>

      <div className="panel">
        <h2>Upstream</h2>
        {upstream.targets.map((t, i) => (
          <div className="grid grid-3" key={`target-${i}`}>
            <Field label={`Target ${i + 1} URL *`} errors={at(`upstream.targets[${i}].url`)}>
              {(p) => (
                <input
                  {...p}
                  className="mono"
                  value={t.url}
                  onChange={(e) =>
                    setUpstream({
                      targets: upstream.targets.map((x, j) => (j === i ? { ...x, url: e.target.value } : x)),
                    })
                  }
                />
              )}
            </Field>
            <Field label="Weight" errors={at(`upstream.targets[${i}].weight`)}>
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={1}
                  value={t.weight ?? 1}
                  onChange={(e) =>
                    setUpstream({
                      targets: upstream.targets.map((x, j) => (j === i ? { ...x, weight: Number(e.target.value) } : x)),
                    })
                  }
                />
              )}
            </Field>
            <div className="row">
              {canWrite && upstream.targets.length > 1 && (
                <button
                  type="button"
                  className="btn btn-small btn-danger"
                  onClick={() => setUpstream({ targets: upstream.targets.filter((_, j) => j !== i) })}
                >
                  Remove target
                </button>
              )}
            </div>
          </div>
        ))}
        {canWrite && (
          <button
            type="button"
            className="btn btn-small"
            onClick={() => setUpstream({ targets: [...upstream.targets, { url: 'http://', weight: 1 }] })}
          >
            Add target
          </button>
        )}
        <div className="grid grid-4" style={{ marginTop: 12 }}>
          <Field label="Load balancing" errors={at('upstream.loadBalancing')}>
            {(p) => (
              <select
                {...p}
                value={upstream.loadBalancing ?? 'round-robin'}
                onChange={(e) => setUpstream({ loadBalancing: e.target.value })}
              >
                {['round-robin', 'weighted', 'least-connections'].map((l) => (
                  <option key={l}>{l}</option>
                ))}
              </select>
            )}
          </Field>
          {(['connect', 'response', 'idle'] as const).map((k) => (
            <Field key={k} label={`${k[0]!.toUpperCase()}${k.slice(1)} timeout`} errors={at(`upstream.timeouts.${k}`)}>
              {(p) => (
                <input
                  {...p}
                  placeholder="e.g. 5s"
                  value={upstream.timeouts?.[k] ?? ''}
                  onChange={(e) =>
                    setUpstream({ timeouts: { ...upstream.timeouts, [k]: e.target.value || undefined } })
                  }
                />
              )}
            </Field>
          ))}
        </div>
        <label className="check" style={{ marginTop: 12 }}>
          <input
            type="checkbox"
            disabled={!canWrite}
            checked={mockOn}
            onChange={(e) => setUpstream({ mock: { ...mock, enabled: e.target.checked } })}
          />{' '}
          Mock mode: answer from the OpenAPI document&apos;s examples instead of the targets (after the next deploy)
        </label>
      </div>

      <div className="panel">
        <h2>Routes</h2>
        <p className="hint">Without routes every path under the base path is served.</p>
        {routes.length > 0 && (
          <table>
            <thead>
              <tr>
                <th>Path</th>
                <th>Methods</th>
                <th>Policies</th>
                <th>
                  <span className="skip">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {routes.map((r, i) => (
                <tr key={`route-${i}`}>
                  <td>
                    <input
                      aria-label={`Route ${i + 1} path`}
                      className="mono"
                      value={r.path}
                      onChange={(e) => setRoute(i, { path: e.target.value })}
                    />
                    {at(`routes[${i}].path`).map((m) => (
                      <div key={m} className="field-error">
                        {m}
                      </div>
                    ))}
                  </td>
                  <td>
                    <input
                      aria-label={`Route ${i + 1} methods`}
                      placeholder="all"
                      value={(r.methods ?? []).join(' ')}
                      onChange={(e) => {
                        const methods = e.target.value
                          .toUpperCase()
                          .split(/[\s,]+/)
                          .filter(Boolean);
                        setRoute(i, { methods: methods.length ? methods : undefined });
                      }}
                    />
                  </td>
                  <td>
                    <button type="button" className="btn btn-small" onClick={() => setRoutePolicies(i)}>
                      {(r.policies ?? []).length} {(r.policies ?? []).length === 1 ? 'policy' : 'policies'}
                    </button>
                  </td>
                  <td>
                    {canWrite && (
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        onClick={() =>
                          set(
                            'routes',
                            routes.filter((_, j) => j !== i).length ? routes.filter((_, j) => j !== i) : null,
                          )
                        }
                      >
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {canWrite && (
          <button
            type="button"
            className="btn btn-small"
            style={{ marginTop: 8 }}
            onClick={() => set('routes', [...routes, { path: '/', methods: METHODS.slice(0, 1) }])}
          >
            Add route
          </button>
        )}
      </div>
      {routePolicies !== null && routes[routePolicies] && (
        <Modal wide title={`Policies of route ${routes[routePolicies]!.path}`} onClose={() => setRoutePolicies(null)}>
          <PolicyEditor
            scope="route"
            canWrite={canWrite}
            errorBase={`body.routes[${routePolicies}].policies`}
            policies={routes[routePolicies]!.policies ?? []}
            onSave={async (policies) => {
              setRoute(routePolicies, { policies });
              setRoutePolicies(null);
            }}
          />
          <p className="hint">Applied to the form; save the API to keep it.</p>
        </Modal>
      )}
    </fieldset>
  );
}
