import { ConfigDocument } from '@gatehouse/config';
import Type from 'typebox';
import { envScope } from '../auth/context.js';
import { exportEnvironmentConfig } from '../compiler/config-check.js';
import { EnvParams, errorResponses } from '../http/schemas.js';
import { type App, type RouteDeps, typed } from './deps.js';

// The gateway schema minus its $id, so it can be embedded in this route's response schema.
const { $id: _id, ...documentSchema } = ConfigDocument as typeof ConfigDocument & { $id?: string };
const CompiledDocument = Type.Unsafe<ConfigDocument>({ ...documentSchema, title: 'Compiled gateway configuration' });

export function configRoutes(root: App, deps: RouteDeps): void {
  typed(root).get(
    '/api/v1/environments/:env/config',
    {
      config: { action: 'config:read' },
      schema: {
        tags: ['config'],
        summary: "The environment's deployed state as a gateway config document",
        description:
          'Deployed revisions only; API keys as `sha256:` hashes. Valid against the gateway schema. ETag is the `configVersion`.',
        params: EnvParams,
        response: { 200: CompiledDocument, ...errorResponses() },
      },
    },
    async (request, reply) => {
      // Built, checked and masked off the event loop (gateways receive the secrets through
      // /api/v1/gateway/*; people read their masks), sent as those bytes: serialising a 100,000-key
      // document against the response schema here would block the loop for seconds.
      const { json, configVersion } = await exportEnvironmentConfig(deps.db, envScope(request, deps.db).env.id);
      reply.header('etag', `"${configVersion}"`).type('application/json; charset=utf-8');
      // A Buffer is sent as is: the schema documents the body, the worker made it.
      return reply.send(json as unknown as ConfigDocument);
    },
  );
}
