/** An API's documentation pages for the developer portal: list in reading order, edit markdown, add, delete. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, enc, send } from '../../api';
import { useToast } from '../../components/toast';
import { Empty, ErrorBanner, Field, Loading } from '../../components/ui';
import { useCan } from '../../session';
import type { Api, ApiPage } from '../../types';

interface Draft {
  slug: string;
  title: string;
  markdown: string;
  position: number | undefined;
}

const SLUG_HINT = 'Lower-case letters, digits and dashes; part of the page URL; fixed once created.';

export function DocsTab({ env, api: current }: { env: string; api: Api }) {
  const canWrite = useCan('apis:write');
  const client = useQueryClient();
  const toast = useToast();
  const base = `/environments/${enc(env)}/apis/${enc(current.id)}/pages`;
  const key = ['api-pages', env, current.id];
  const pages = useQuery({ queryKey: key, queryFn: () => api.get<{ items: ApiPage[] }>(base) });
  const [editing, setEditing] = useState<{ draft: Draft; isNew: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const refresh = () => client.invalidateQueries({ queryKey: key });
  const at = (field: string) => (error instanceof ApiError ? error.at(`body.${field}`) : []);

  const open = (page: ApiPage | null) => {
    setError(null);
    setEditing(
      page
        ? {
            draft: { slug: page.slug, title: page.title, markdown: page.markdown, position: page.position },
            isNew: false,
          }
        : { draft: { slug: '', title: '', markdown: '', position: undefined }, isNew: true },
    );
  };

  const save = async () => {
    if (!editing) return;
    const { draft, isNew } = editing;
    setSaving(true);
    setError(null);
    try {
      const body = { title: draft.title, markdown: draft.markdown, position: draft.position };
      if (isNew) await send('POST', base, { body: { slug: draft.slug, ...body } });
      else {
        // If-Match: refused (412) if someone changed the page since it was read.
        const { etag } = await send<ApiPage>('GET', `${base}/${enc(draft.slug)}`);
        await send('PUT', `${base}/${enc(draft.slug)}`, { body, ifMatch: etag });
      }
      toast.ok(`Page "${draft.title}" saved.`);
      setEditing(null);
      refresh();
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  const remove = async (page: ApiPage) => {
    if (!window.confirm(`Delete the page "${page.title}"?`)) return;
    try {
      await send('DELETE', `${base}/${enc(page.slug)}`);
      toast.ok(`Page "${page.title}" deleted.`);
      if (editing?.draft.slug === page.slug) setEditing(null);
      refresh();
    } catch (e) {
      toast.error(e);
    }
  };

  const set = <K extends keyof Draft>(field: K, value: Draft[K]) =>
    setEditing((e) => e && { ...e, draft: { ...e.draft, [field]: value } });

  return (
    <div className="panel panel-flush">
      <div className="row" style={{ padding: 12 }}>
        <h2 style={{ margin: 0 }}>Documentation</h2>
        <span className="spacer" />
        {canWrite && (
          <button type="button" className="btn btn-primary" onClick={() => open(null)}>
            Add page
          </button>
        )}
      </div>
      <p className="hint" style={{ padding: '0 12px' }}>
        Pages shown on this API's developer portal page, in order of position. Markdown is rendered sanitised (no
        scripts, no inline HTML handlers); images must be data: URLs or served by this control plane.
        {current.visibility !== 'public' || (current.lifecycle !== 'published' && current.lifecycle !== 'deprecated')
          ? ' This API is not in the portal yet: it must be public and published.'
          : ''}
      </p>
      <ErrorBanner error={pages.error} />
      {pages.isPending ? (
        <Loading />
      ) : pages.data!.items.length === 0 ? (
        <Empty title="No documentation pages">Add a getting-started page so developers know where to begin.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Position</th>
              <th>Title</th>
              <th>Slug</th>
              <th>
                <span className="skip">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {pages.data!.items.map((page) => (
              <tr key={page.slug}>
                <td>{page.position}</td>
                <td>{page.title}</td>
                <td className="mono">{page.slug}</td>
                <td className="row">
                  <button type="button" className="btn" onClick={() => open(page)}>
                    {canWrite ? 'Edit' : 'View'}
                  </button>
                  {canWrite && (
                    <button type="button" className="btn btn-danger" onClick={() => remove(page)}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <section className="panel" aria-label={editing.isNew ? 'New page' : `Page ${editing.draft.slug}`}>
          <h3>{editing.isNew ? 'New page' : `Edit “${editing.draft.title}”`}</h3>
          {error ? <ErrorBanner error={error} /> : null}
          {editing.isNew && (
            <Field label="Slug" hint={SLUG_HINT} errors={at('slug')}>
              {(p) => <input {...p} value={editing.draft.slug} onChange={(e) => set('slug', e.target.value)} />}
            </Field>
          )}
          <Field label="Title" errors={at('title')}>
            {(p) => (
              <input
                {...p}
                readOnly={!canWrite}
                value={editing.draft.title}
                onChange={(e) => set('title', e.target.value)}
              />
            )}
          </Field>
          <Field label="Position" hint="Ascending; empty puts a new page last." errors={at('position')}>
            {(p) => (
              <input
                {...p}
                type="number"
                min={0}
                readOnly={!canWrite}
                value={editing.draft.position ?? ''}
                onChange={(e) => set('position', e.target.value === '' ? undefined : Number(e.target.value))}
              />
            )}
          </Field>
          <Field label="Markdown" errors={at('markdown')}>
            {(p) => (
              <textarea
                {...p}
                rows={16}
                className="mono"
                readOnly={!canWrite}
                value={editing.draft.markdown}
                onChange={(e) => set('markdown', e.target.value)}
              />
            )}
          </Field>
          <div className="row">
            <button type="button" className="btn" onClick={() => setEditing(null)}>
              {canWrite ? 'Cancel' : 'Close'}
            </button>
            {canWrite && (
              <button type="button" className="btn btn-primary" disabled={saving} onClick={save}>
                {saving ? 'Saving…' : 'Save page'}
              </button>
            )}
          </div>
        </section>
      )}
    </div>
  );
}
