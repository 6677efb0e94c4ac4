/** Server-side pagination (cursor based): keeps the cursors of the pages already seen to go back. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, type Page } from '../api';

export function usePaged<T>(key: unknown[], path: string, query: Record<string, string | number | undefined>) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const filterKey = JSON.stringify(query);
  // A new filter starts again at the first page.
  useEffect(() => setCursors([undefined]), [filterKey, path]);
  const cursor = cursors[cursors.length - 1];
  const result = useQuery({
    queryKey: [...key, path, query, cursor],
    queryFn: () => api.get<Page<T>>(path, { ...query, cursor }),
    placeholderData: keepPreviousData,
  });
  return {
    ...result,
    page: cursors.length,
    hasPrev: cursors.length > 1,
    hasNext: Boolean(result.data?.nextCursor),
    next: () => result.data?.nextCursor && setCursors((c) => [...c, result.data!.nextCursor!]),
    prev: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
  };
}

export function Pager({ paged }: { paged: ReturnType<typeof usePaged<unknown>> }) {
  return (
    <nav className="pager" aria-label="Pagination">
      <span className="muted">Page {paged.page}</span>
      <div className="row">
        <button type="button" className="btn btn-small" onClick={paged.prev} disabled={!paged.hasPrev}>
          Previous
        </button>
        <button type="button" className="btn btn-small" onClick={paged.next} disabled={!paged.hasNext}>
          Next
        </button>
      </div>
    </nav>
  );
}
