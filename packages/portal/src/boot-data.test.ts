import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { seedQueries } from './boot-data';
import { catalogQuery } from './pages/catalog';

const settings = {
  name: 'Portal',
  logo: null,
  primaryColor: '#1f5fbf',
  homeMarkdown: '',
  signup: 'open',
  tryItBaseUrl: null,
  emailConfigured: false,
};
const page = {
  items: [{ slug: 'a', name: 'A', description: '</script>', tags: [], categories: [] }],
  nextCursor: 'c1',
};

describe('seedQueries (the data island of index.html)', () => {
  it('puts the settings and the first catalog page under the keys the screens ask for', () => {
    const client = new QueryClient();
    const filters = { q: 'pay', category: '', tag: '' };
    expect(seedQueries(client, JSON.stringify({ env: 'default', settings, catalog: { filters, page } }))).toBe(true);
    expect(client.getQueryData(['portal', 'default', 'settings'])).toEqual(settings);
    expect(client.getQueryData(catalogQuery('default', filters).queryKey)).toEqual({
      pages: [page],
      pageParams: [null],
    });
    // Another search is not answered from the island.
    expect(client.getQueryData(catalogQuery('default', { ...filters, q: '' }).queryKey)).toBeUndefined();
  });

  it('ignores an empty, malformed or foreign island (the screens fetch as usual)', () => {
    for (const text of [null, '', '{', 'null', '[]', '{"env":1}', '{"env":"default"}']) {
      const client = new QueryClient();
      expect(seedQueries(client, text), String(text)).toBe(false);
      expect(client.getQueryCache().getAll()).toHaveLength(0);
    }
  });
});
