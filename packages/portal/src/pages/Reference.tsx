/**
 * The API reference, rendered by Swagger UI from the stored OpenAPI document (see
 * docs/decisions/0009-portal-openapi-renderer.md). Operations start collapsed and syntax
 * highlighting is off so hundreds of operations render fast; its own "Try it out" is off (the
 * portal's Try it tab pre-fills the consumer's key) and so is the remote validator badge.
 */
import 'swagger-ui-dist/swagger-ui.css';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import { portalApi } from '../api';
import { ApiFrame, usePortalApi } from '../components/ApiFrame';
import { ErrorBanner, Loading } from '../components/ui';

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
      docExpansion: 'none',
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
