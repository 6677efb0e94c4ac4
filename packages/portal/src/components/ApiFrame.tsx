/** Title and tabs shared by the pages of one API (overview, documentation pages, reference, try it). */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect } from 'react';
import { NavLink, useParams } from 'react-router';
import { ApiError, type PortalApi, portalApi } from '../api';
import { useEnvSettings } from '../settings';
import { ErrorBanner, Loading } from './ui';

export function usePortalApi() {
  const { env } = useEnvSettings();
  const { api: slug = '' } = useParams();
  const query = useQuery({ queryKey: ['portal', env, 'api', slug], queryFn: () => portalApi.api(env, slug) });
  return { env, slug, query };
}

/**
 * Once an API with a reference is shown, fetch its OpenAPI document, the Reference page and the
 * renderer's chunk (Swagger UI, 1.5 MB) in the background, so Reference and Try it open without waiting for either.
 */
function usePrefetchReference(env: string, slug: string, hasOpenapi: boolean) {
  const client = useQueryClient();
  useEffect(() => {
    if (!hasOpenapi) return;
    const timer = setTimeout(() => {
      void client.prefetchQuery({
        queryKey: ['portal', env, 'api', slug, 'openapi'],
        queryFn: () => portalApi.openapi(env, slug),
        staleTime: 60_000,
      });
      void import('../pages/Reference');
      void import('./SwaggerView');
    }, 200);
    return () => clearTimeout(timer);
  }, [client, env, slug, hasOpenapi]);
}

export function ApiFrame({ children }: { children: (api: PortalApi) => ReactNode }) {
  const { env, slug, query } = usePortalApi();
  usePrefetchReference(env, slug, query.data?.hasOpenapi ?? false);
  if (query.isPending) return <Loading />;
  if (query.error) {
    if (query.error instanceof ApiError && query.error.status === 404) return <p>This API does not exist.</p>;
    return <ErrorBanner error={query.error} />;
  }
  const api = query.data;
  const base = `/${env}/apis/${encodeURIComponent(slug)}`;
  return (
    <article className="api-page">
      <header className="page-header">
        <h1>
          {api.name} {api.version ? <span className="muted version">v{api.version}</span> : null}
        </h1>
        {api.lifecycle === 'deprecated' ? (
          <p className="banner banner-warn">This API is deprecated: plan to move away from it.</p>
        ) : null}
      </header>
      <nav aria-label="API sections" className="tabs">
        <NavLink to={base} end>
          Overview
        </NavLink>
        {api.pages.map((p) => (
          <NavLink key={p.slug} to={`${base}/pages/${encodeURIComponent(p.slug)}`}>
            {p.title}
          </NavLink>
        ))}
        {api.hasOpenapi ? <NavLink to={`${base}/reference`}>Reference</NavLink> : null}
        {api.hasOpenapi ? <NavLink to={`${base}/try`}>Try it</NavLink> : null}
      </nav>
      {children(api)}
    </article>
  );
}
