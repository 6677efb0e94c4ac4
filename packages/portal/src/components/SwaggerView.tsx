/**
 * Swagger UI mounted on one OpenAPI document (docs/decisions/0009-portal-openapi-renderer.md). Its
 * own chunk (1.5 MB with its CSS): loaded by the Reference page, prefetched from the API page. Its
 * "Try it out" is off (the portal's Try it tab pre-fills the consumer's key and calls the gateway),
 * so is the remote validator badge and syntax highlighting (slow on big examples).
 */
import 'swagger-ui-dist/swagger-ui.css';
import './swagger-view.css';
import { useEffect, useRef } from 'react';
import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import type { OpenApiDocument } from '../api';

/**
 * `whole`: the complete document with its info block and Swagger UI's filter. Otherwise one tag's
 * part of a large document (the page lists the tags itself): operations listed, info hidden.
 */
export default function SwaggerView({ spec, whole }: { spec: OpenApiDocument; whole: boolean }) {
  const node = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!node.current) return;
    const target = node.current;
    SwaggerUIBundle({
      domNode: target,
      // An object, not a URL: nothing is fetched again (Swagger UI still re-parses it as text).
      spec,
      docExpansion: 'list',
      defaultModelsExpandDepth: -1,
      deepLinking: false,
      filter: whole,
      supportedSubmitMethods: [],
      validatorUrl: null,
      syntaxHighlight: { activated: false },
      tryItOutEnabled: false,
    });
    return () => {
      target.replaceChildren();
    };
  }, [spec, whole]);
  return <div ref={node} className={whole ? 'swagger-whole' : 'swagger-part'} />;
}
