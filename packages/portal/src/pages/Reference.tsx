/**
 * The API reference, rendered by Swagger UI from the stored OpenAPI document (see
 * docs/decisions/0009-portal-openapi-renderer.md). Operations start collapsed (large
 * documents: tags too) and syntax highlighting is off so hundreds of operations render fast; its own "Try it out" is off (the
 * portal's Try it tab pre-fills the consumer's key) and so is the remote validator badge.
 */
import 'swagger-ui-dist/swagger-ui.css';
import './reference.css';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import { type OpenApiDocument, portalApi } from '../api';
import { ApiFrame, usePortalApi } from '../components/ApiFrame';
import { ErrorBanner, Loading } from '../components/ui';
import { METHODS } from './try-request';

const LIST_LIMIT = 150;

function operationCount(doc: OpenApiDocument): number {
  let n = 0;
  for (const item of Object.values(doc.paths ?? {}))
    n += Object.keys(item ?? {}).filter((k) => METHODS.includes(k as never)).length;
  return n;
}

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
  const node = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!doc.data || !node.current) return;
    const target = node.current;
    SwaggerUIBundle({
      domNode: target,
      spec: doc.data,
      // Operations listed under open tags for ordinary documents; for large ones only the tags,
      // each opening on demand, so the page is usable at once (see packages/portal/bench).
      docExpansion: operationCount(doc.data) > LIST_LIMIT ? 'none' : 'list',
      defaultModelsExpandDepth: -1,
      deepLinking: false,
      filter: true,
      supportedSubmitMethods: [],
      validatorUrl: null,
      syntaxHighlight: { activated: false },
      tryItOutEnabled: false,
    });
    return () => {
      target.replaceChildren();
    };
  }, [doc.data]);
  if (doc.isPending) return <Loading label="Loading the reference…" />;
  if (doc.error) return <ErrorBanner error={doc.error} />;
  return <section aria-label="API reference" className="reference" ref={node} />;
}
