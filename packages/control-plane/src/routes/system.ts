import Type from 'typebox';
import { type App, type RouteDeps, typed } from './deps.js';

export function systemRoutes(root: App, _deps: RouteDeps): void {
  const app = typed(root);
  app.get('/api/v1/openapi.json', { config: { action: 'public' }, schema: { hide: true } }, async () => root.swagger());
  app.get(
    '/api/v1/health',
    {
      config: { action: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Liveness',
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
}
