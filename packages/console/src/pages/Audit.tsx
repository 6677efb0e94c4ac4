/** The audit trail: who changed what, with field diffs; filters by entity, action, actor. */
import { useState } from 'react';
import { enc } from '../api';
import { Pager, usePaged } from '../components/paged';
import { Empty, ErrorBanner, Loading, PageHeader, Time } from '../components/ui';
import { useEnv } from '../session';
import type { AuditEntry } from '../types';

const show = (v: unknown) => (v === undefined ? '∅' : JSON.stringify(v));

export default function Audit() {
  const { env } = useEnv();
  const [entityType, setEntityType] = useState('');
  const [entityId, setEntityId] = useState('');
  const [action, setAction] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const paged = usePaged<AuditEntry>(['audit', env], `/environments/${enc(env)}/audit`, {
    entityType: entityType || undefined,
    entityId: entityId || undefined,
    action: action || undefined,
    limit: 50,
  });
  const items = paged.data?.items ?? [];
  return (
    <>
      <PageHeader title="Audit trail">Every change in this environment, newest first.</PageHeader>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="au-type">Entity type</label>
          <select id="au-type" value={entityType} onChange={(e) => setEntityType(e.target.value)}>
            <option value="">Any</option>
            {[
              'api',
              'plan',
              'deployment',
              'application',
              'subscription',
              'api_key',
              'gateway',
              'membership',
              'environment',
            ].map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="au-id">Entity id</label>
          <input id="au-id" value={entityId} onChange={(e) => setEntityId(e.target.value.trim())} />
        </div>
        <div className="field">
          <label htmlFor="au-action">Action</label>
          <input
            id="au-action"
            placeholder="e.g. api.update"
            value={action}
            onChange={(e) => setAction(e.target.value.trim())}
          />
        </div>
      </div>
      <ErrorBanner error={paged.error} />
      <div className="panel panel-flush">
        {paged.isPending ? (
          <Loading />
        ) : items.length === 0 ? (
          <Empty title="No entries" />
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>When</th>
                  <th>Actor</th>
                  <th>Action</th>
                  <th>Entity</th>
                  <th>Changes</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => {
                  const fields = Object.entries(e.diff ?? {});
                  return (
                    <tr key={e.id}>
                      <td>
                        <Time iso={e.createdAt} />
                      </td>
                      <td>{e.actor.email ?? '—'}</td>
                      <td className="mono">{e.action}</td>
                      <td>
                        {e.entityType} <span className="mono">{e.entityId}</span>
                      </td>
                      <td>
                        {fields.length === 0 ? (
                          <span className="muted">—</span>
                        ) : (
                          <>
                            <button
                              type="button"
                              className="btn-link"
                              aria-expanded={open === e.id}
                              onClick={() => setOpen(open === e.id ? null : e.id)}
                            >
                              {fields.length} field{fields.length > 1 ? 's' : ''}:{' '}
                              {fields
                                .slice(0, 3)
                                .map(([k]) => k)
                                .join(', ')}
                              {fields.length > 3 ? '…' : ''}
                            </button>
                            {open === e.id && (
                              <dl className="kv" style={{ marginTop: 6 }}>
                                {fields.map(([k, d]) => (
                                  <div key={k} style={{ display: 'contents' }}>
                                    <dt className="mono">{k}</dt>
                                    <dd className="mono">
                                      <span className="diff-inline del">{show(d.from)}</span> →{' '}
                                      <span className="diff-inline add">{show(d.to)}</span>
                                    </dd>
                                  </div>
                                ))}
                              </dl>
                            )}
                          </>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <Pager paged={paged as never} />
      </div>
    </>
  );
}
