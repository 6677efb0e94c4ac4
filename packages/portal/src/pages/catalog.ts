/**
 * The catalog query, shared by the Home page and the route's loader: the loader starts it with the
 * page's own chunk and the portal settings, so a cold load of the catalog is one round of requests
 * after the entry script rather than three in a row (settings, then Home's chunk, then the catalog).
 */
import { infiniteQueryOptions } from '@tanstack/react-query';
import { portalApi } from '../api';

/** Cards per request; "Show more" fetches the next page. */
export const CATALOG_PAGE = 24;

export interface CatalogFilters {
  q: string;
  category: string;
  tag: string;
}

export const catalogFilters = (params: URLSearchParams): CatalogFilters => ({
  q: (params.get('q') ?? '').trim(),
  category: params.get('category') ?? '',
  tag: params.get('tag') ?? '',
});

export const catalogQuery = (env: string, { q, category, tag }: CatalogFilters) =>
  infiniteQueryOptions({
    queryKey: ['portal', env, 'catalog', { q, category, tag }],
    queryFn: ({ pageParam }) =>
      portalApi.catalog(env, { q, category, tag, cursor: pageParam ?? undefined, limit: CATALOG_PAGE }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });

/**
 * The text of a Markdown description for a card. Cards render it as text (React escapes it), so no
 * HTML is produced and nothing needs sanitising: this only drops the Markdown punctuation, without
 * loading the Markdown renderer (marked + DOMPurify stay out of the catalog's critical path).
 */
export function markdownPlainText(markdown: string | null | undefined): string {
  if (!markdown) return '';
  return (
    markdown
      .replace(/```[^\n]*\n?|~~~[^\n]*\n?/g, ' ')
      // Raw HTML: elements whose content is not text go with it (as a sanitiser drops them), other tags go.
      .replace(/<(script|style|template|textarea|title|iframe|noscript|xmp)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)/gm, '')
      .replace(/(\*\*|__|\*|_|~~|`)(?=\S)([^\n]*?\S)\1/g, '$2')
      .replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!)
      .replace(/\s+/g, ' ')
      .trim()
  );
}
