/**
 * What the control plane put in index.html for this page (packages/control-plane/src/http/portal-static.ts):
 * the environment's public settings and, on the catalog, its first page, as a JSON data island
 * (`<script type="application/json">`, never executed, so the strict CSP holds). Seeding the query
 * cache with them lets the first screen render without waiting for the API; anything missing or
 * malformed is simply fetched as usual.
 */
import type { QueryClient } from '@tanstack/react-query';
import type { CatalogApi, Page, PortalSettings } from './api';
import { type CatalogFilters, catalogQuery } from './pages/catalog';

export interface BootData {
  env: string;
  settings: PortalSettings;
  catalog?: { filters: CatalogFilters; page: Page<CatalogApi> };
}

/** Puts the island's data in the cache under the keys the screens ask for; true when something was used. */
export function seedQueries(client: QueryClient, text: string | null | undefined): boolean {
  if (!text) return false;
  let data: BootData;
  try {
    data = JSON.parse(text) as BootData;
  } catch {
    return false;
  }
  if (typeof data?.env !== 'string' || !data.settings) return false;
  client.setQueryData(['portal', data.env, 'settings'], data.settings);
  if (data.catalog?.page) {
    client.setQueryData(catalogQuery(data.env, data.catalog.filters).queryKey, {
      pages: [data.catalog.page],
      pageParams: [null],
    });
  }
  return true;
}

export function seedFromDocument(client: QueryClient): boolean {
  return seedQueries(client, document.getElementById('boot-data')?.textContent);
}
