/**
 * Home: the portal's own Markdown, then the catalog. Search and filters run on the server (name,
 * description, tag; category), debounced, 24 at a time with "Show more", so 500 APIs cost no more
 * than 24 to render. The first page is requested by the route's loader (./catalog.ts), and cards
 * show their description as text without the Markdown renderer, so they do not wait for it.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { CatalogApi } from '../api';
import { ErrorBanner, Loading, Markdown, useDebounced } from '../components/ui';
import { useEnvSettings } from '../settings';
import { catalogQuery, markdownPlainText } from './catalog';

export default function Home() {
  const { env, settings } = useEnvSettings();
  const [params, setParams] = useSearchParams();
  const [text, setText] = useState(params.get('q') ?? '');
  const q = useDebounced(text.trim(), 250);
  const category = params.get('category') ?? '';
  const tag = params.get('tag') ?? '';
  const setParam = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };

  const query = useInfiniteQuery({
    ...catalogQuery(env, { q, category, tag }),
    placeholderData: (previous) => previous,
  });
  const items = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data]);

  // Categories seen in the unfiltered catalog (the API offers no facet list): kept across filtering.
  const seen = useRef(new Set<string>());
  for (const api of items) for (const c of api.categories ?? []) seen.current.add(c);
  if (category) seen.current.add(category);
  const categories = [...seen.current].sort((a, b) => a.localeCompare(b));

  return (
    <>
      {settings.homeMarkdown ? (
        <Markdown source={settings.homeMarkdown} className="prose home-intro" />
      ) : (
        <h1>{settings.name}</h1>
      )}
      <section aria-labelledby="catalog-title" className="catalog">
        <h2 id="catalog-title">APIs</h2>
        <search className="filters">
          <div className="field">
            <label htmlFor="catalog-search">Search APIs</label>
            <input
              id="catalog-search"
              type="search"
              placeholder="Name, description or tag"
              value={text}
              onChange={(e) => {
                setText(e.target.value);
                setParam('q', e.target.value.trim());
              }}
            />
          </div>
          <div className="field">
            <label htmlFor="catalog-category">Category</label>
            <select id="catalog-category" value={category} onChange={(e) => setParam('category', e.target.value)}>
              <option value="">All categories</option>
              {categories.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </div>
          {tag ? (
            <button type="button" className="chip chip-active" onClick={() => setParam('tag', '')}>
              Tag: {tag} <span aria-hidden="true">×</span>
              <span className="sr-only"> (remove filter)</span>
            </button>
          ) : null}
        </search>
        {query.error ? <ErrorBanner error={query.error} /> : null}
        {query.isPending ? (
          <Loading />
        ) : (
          <>
            <p className="muted" role="status" aria-live="polite">
              {items.length === 0
                ? 'No APIs match.'
                : `${items.length}${query.hasNextPage ? '+' : ''} API${items.length === 1 ? '' : 's'}`}
            </p>
            <ul className="cards" aria-label="API catalog">
              {items.map((api) => (
                <ApiCard key={api.slug} env={env} api={api} onTag={(t) => setParam('tag', t)} />
              ))}
            </ul>
            {query.hasNextPage ? (
              <button
                type="button"
                className="btn"
                disabled={query.isFetchingNextPage}
                onClick={() => query.fetchNextPage()}
              >
                {query.isFetchingNextPage ? 'Loading…' : 'Show more'}
              </button>
            ) : null}
          </>
        )}
      </section>
    </>
  );
}

function ApiCard({ env, api, onTag }: { env: string; api: CatalogApi; onTag: (tag: string) => void }) {
  // Descriptions are Markdown: the card shows their text (as text: React escapes it).
  const description = useMemo(() => markdownPlainText(api.description), [api.description]);
  return (
    <li className="card">
      <h3>
        <Link to={`/${env}/apis/${encodeURIComponent(api.slug)}`}>{api.name}</Link>
        {api.version ? <span className="muted version"> v{api.version}</span> : null}
        {api.lifecycle === 'deprecated' ? <span className="badge badge-warn">deprecated</span> : null}
      </h3>
      {description ? <p className="card-text">{description}</p> : null}
      {api.tags.length || api.categories?.length ? (
        <div className="chips">
          {(api.categories ?? []).map((c) => (
            <span key={`c-${c}`} className="chip chip-category">
              {c}
            </span>
          ))}
          {api.tags.map((t) => (
            <button key={t} type="button" className="chip" onClick={() => onTag(t)}>
              <span className="sr-only">Filter by tag </span>#{t}
            </button>
          ))}
        </div>
      ) : null}
    </li>
  );
}
