import Type from 'typebox';
import { envScope } from '../auth/context.js';
import { EnvParams, errorResponses, Page, PageQueryFields, SortParam, Timestamp, Uuid } from '../http/schemas.js';
import { listAudit } from '../services/audit-query.js';
import { type App, type RouteDeps, typed } from './deps.js';

const AuditView = Type.Object(
  {
    id: Uuid('Event id.'),
    actor: Type.Object(
      { id: Type.Union([Type.String(), Type.Null()]), email: Type.Union([Type.String(), Type.Null()]) },
      { additionalProperties: false },
    ),
    action: Type.String({ description: 'e.g. `api.update`, `subscription.approve`.' }),
    entityType: Type.String(),
    entityId: Type.String(),
    diff: Type.Record(Type.String(), Type.Unknown(), {
      description: 'Changed fields: `{ field: { from, to } }`; secrets redacted.',
    }),
    requestId: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp('When.'),
  },
  { additionalProperties: false },
);

export function auditRoutes(root: App, deps: RouteDeps): void {
  typed(root).get(
    '/api/v1/environments/:env/audit',
    {
      config: { action: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'The audit trail of the environment, newest first',
        params: EnvParams,
        querystring: Type.Object(
          {
            ...PageQueryFields,
            sort: SortParam(['seq'], '-seq'),
            entityType: Type.Optional(Type.String({ maxLength: 64 })),
            entityId: Type.Optional(Type.String({ maxLength: 200 })),
            actorId: Type.Optional(Uuid('Filter by actor.')),
            action: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(AuditView), ...errorResponses() },
      },
    },
    async (request) => listAudit(envScope(request, deps.db), request.query),
  );
}
