/**
 * The API reference (docs/decisions/0009-portal-openapi-renderer.md). Ordinary documents go to
 * Swagger UI whole. Large ones (over LIST_LIMIT operations) are listed by tag from a light index of
 * the JSON, at once and filterable; opening a tag mounts Swagger UI on that tag's operations only,
 * so the page never waits for Swagger UI to take in hundreds of operations.
 */
import './reference.css';
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useId, useMemo, useState } from 'react';
import { type OpenApiDocument, portalApi } from '../api';
import { ApiFrame, usePortalApi } from '../components/ApiFrame';
import { ErrorBanner, Loading, Markdown, useDebounced } from '../components/ui';
import { type IndexedTag, indexDocument, matching, operationCount, tagDocument } from './reference-index';

const SwaggerView = lazy(() => import('../components/SwaggerView'));

/** Above this many operations the page lists tags itself and renders them one at a time. */
export const LIST_LIMIT = 150;

export default function Reference() {
  return <ApiFrame>{() => <ReferenceBody />}</ApiFrame>;
}

function ReferenceBody() {
  const { env, slug } = usePortalApi();
  const doc = useQuery({
    queryKey: ['portal', env, 'api', slug, 'openapi'],
    queryFn: () => portalApi.openapi(env, slug),
    staleTime: 60_000,
  });
  const large = useMemo(() => (doc.data ? operationCount(doc.data) > LIST_LIMIT : false), [doc.data]);
  if (doc.isPending) return <Loading label="Loading the reference…" />;
  if (doc.error) return <ErrorBanner error={doc.error} />;
  if (large) return <TagIndex doc={doc.data} />;
  return (
    <section aria-label="API reference" className="reference">
      <Suspense fallback={<Loading label="Loading the reference…" />}>
        <SwaggerView spec={doc.data} whole />
      </Suspense>
    </section>
  );
}

function TagIndex({ doc }: { doc: OpenApiDocument }) {
  const tags = useMemo(() => indexDocument(doc), [doc]);
  const [text, setText] = useState('');
  const filter = useDebounced(text, 200);
  const filterId = useId();
  // Start fetching Swagger UI now: the first tag opened should not wait for the 1.5 MB chunk.
  useEffect(() => void import('../components/SwaggerView'), []);
  const info = (doc.info ?? {}) as { title?: unknown; version?: unknown; description?: unknown };
  // Memoised on the debounced filter: an opened tag re-renders Swagger UI only when its operations change.
  const shown = useMemo(
    () => tags.map((tag) => ({ tag, operations: matching(tag, filter) })).filter((t) => t.operations.length),
    [tags, filter],
  );
  const total = shown.reduce((n, t) => n + t.operations.length, 0);
  return (
    <section aria-label="API reference" className="reference reference-index">
      <header className="reference-head">
        <h2>
          {typeof info.title === 'string' ? info.title : 'Reference'}{' '}
          {typeof info.version === 'string' ? <span className="muted version">v{info.version}</span> : null}
        </h2>
        {typeof info.description === 'string' ? <Markdown source={info.description} /> : null}
        <div className="field">
          <label htmlFor={filterId}>Filter operations</label>
          <input
            id={filterId}
            type="search"
            placeholder="Path, method, summary, operation id or tag"
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <p className="muted" role="status" aria-live="polite">
          {total} operation{total === 1 ? '' : 's'} in {shown.length} tag{shown.length === 1 ? '' : 's'}
        </p>
      </header>
      {shown.map(({ tag, operations }) => (
        <TagSection key={tag.name} doc={doc} tag={tag} operations={operations} filtered={Boolean(filter.trim())} />
      ))}
    </section>
  );
}

function TagSection({
  doc,
  tag,
  operations,
  filtered,
}: {
  doc: OpenApiDocument;
  tag: IndexedTag;
  operations: IndexedTag['operations'];
  filtered: boolean;
}) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const spec = useMemo(
    () => (open ? tagDocument(doc, tag.name, filtered ? operations : undefined) : null),
    [open, doc, tag.name, operations, filtered],
  );
  return (
    <section className="reference-tag">
      <h3>
        <button
          type="button"
          className="reference-tag-toggle"
          aria-expanded={open}
          aria-controls={panelId}
          onClick={() => setOpen(!open)}
        >
          <span className="reference-tag-name">{tag.name}</span>
          <span className="muted">
            {operations.length} operation{operations.length === 1 ? '' : 's'}
          </span>
        </button>
      </h3>
      {tag.description ? <Markdown source={tag.description} className="prose reference-tag-text" /> : null}
      <div id={panelId}>
        {spec ? (
          <Suspense fallback={<OperationLines operations={operations} />}>
            <SwaggerView spec={spec} whole={false} />
          </Suspense>
        ) : null}
      </div>
    </section>
  );
}

/** The tag's operations from the index while Swagger UI's chunk is still loading (they open once it is there). */
function OperationLines({ operations }: { operations: IndexedTag['operations'] }) {
  return (
    <>
      <Loading label="Loading the operation details…" />
      <ul className="reference-lines">
        {operations.map((op) => (
          <li key={`${op.method} ${op.path}`}>
            <span className={`reference-method reference-method-${op.method.toLowerCase()}`}>{op.method}</span>{' '}
            <code>{op.path}</code> <span className="muted">{op.summary}</span>
          </li>
        ))}
      </ul>
    </>
  );
}
