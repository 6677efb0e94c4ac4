import { useState } from 'react';
import { Link } from 'react-router';
import { enc } from '../api';
import { Pager, usePaged } from '../components/paged';
import { Badge, Empty, ErrorBanner, Loading, PageHeader, Time } from '../components/ui';
import { useCan, useEnv } from '../session';
import type { Api } from '../types';

export default function ApiList() {
  const { env } = useEnv();
  const canWrite = useCan('apis:write');
  const [q, setQ] = useState('');
  const [lifecycle, setLifecycle] = useState('');
  const [tag, setTag] = useState('');
  const [sort, setSort] = useState('name');
  const paged = usePaged<Api>(['apis', env], `/environments/${enc(env)}/apis`, {
    q: q || undefined,
    lifecycle: lifecycle || undefined,
    tag: tag || undefined,
    sort,
    limit: 50,
  });
  const items = paged.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="APIs"
        actions={
          canWrite && (
            <Link className="btn btn-primary" to={`/e/${env}/apis/new`}>
              Create API
            </Link>
          )
        }
      >
        APIs of this environment. Changes reach gateways when deployed.
      </PageHeader>
      <search className="toolbar">
        <div className="field">
          <label htmlFor="api-q">Search</label>
          <input
            id="api-q"
            type="search"
            placeholder="Name, id or base path"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="api-lifecycle">Lifecycle</label>
          <select id="api-lifecycle" value={lifecycle} onChange={(e) => setLifecycle(e.target.value)}>
            <option value="">Any</option>
            {['draft', 'published', 'deprecated', 'retired'].map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="api-tag">Tag</label>
          <input id="api-tag" value={tag} onChange={(e) => setTag(e.target.value.trim())} placeholder="any" />
        </div>
        <div className="field">
          <label htmlFor="api-sort">Sort</label>
          <select id="api-sort" value={sort} onChange={(e) => setSort(e.target.value)}>
            <option value="name">Name</option>
            <option value="-updatedAt">Recently changed</option>
            <option value="-createdAt">Newest</option>
            <option value="id">Id</option>
          </select>
        </div>
      </search>
      <ErrorBanner error={paged.error} />
      <div className="panel panel-flush">
        {paged.isPending ? (
          <Loading />
        ) : items.length === 0 ? (
          <Empty title={q || lifecycle || tag ? 'No API matches these filters' : 'No APIs yet'}>
            {canWrite && !q && <p>Create one from a form or import an OpenAPI document.</p>}
          </Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Base path</th>
                  <th>Lifecycle</th>
                  <th>Visibility</th>
                  <th>Tags</th>
                  <th className="num">Deployed</th>
                  <th>Changed</th>
                </tr>
              </thead>
              <tbody>
                {items.map((a) => (
                  <tr key={a.id}>
                    <td>
                      <Link to={`/e/${env}/apis/${enc(a.id)}`}>{a.name}</Link>
                      <div className="muted mono">{a.id}</div>
                    </td>
                    <td className="mono">{a.basePath}</td>
                    <td>
                      <Badge value={a.lifecycle} />
                    </td>
                    <td>{a.visibility}</td>
                    <td>
                      {a.tags.map((t) => (
                        <span key={t} className="badge badge-muted">
                          {t}
                        </span>
                      ))}
                    </td>
                    <td className="num">
                      {a.deployedRevision ? `rev ${a.deployedRevision}` : <span className="muted">never</span>}
                    </td>
                    <td>
                      <Time iso={a.updatedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager paged={paged as never} />
      </div>
    </>
  );
}
