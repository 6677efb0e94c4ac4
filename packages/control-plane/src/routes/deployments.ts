import Type from 'typebox';
import { envScope } from '../auth/context.js';
import { errorResponses, Page, PageQueryFields, Timestamp, Uuid } from '../http/schemas.js';
import { deploy, deploymentView, getDeployment, listDeployments, withRollouts } from '../services/deployments.js';
import { ApiParams } from './apis.js';
import { type App, type RouteDeps, typed } from './deps.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()]);
const deploymentFields = {
  revision: Type.Integer({ minimum: 1, description: 'Revision number, increasing per API.' }),
  author: Type.Object(
    { id: Nullable(Uuid('User id.')), email: Nullable(Type.String()) },
    { additionalProperties: false },
  ),
  message: Nullable(Type.String()),
  rollbackOf: Nullable(Type.Integer({ description: 'For a rollback: the revision redeployed.' })),
  current: Type.Boolean({ description: 'This is the revision gateways serve.' }),
  rollout: Type.Object(
    {
      applied: Type.Integer({ description: 'Gateways serving the API that report this revision applied.' }),
      total: Type.Integer({ description: 'Registered, non-revoked gateways serving the API (by sharding tags).' }),
      gateways: Type.Array(
        Type.Object(
          { id: Uuid('Gateway id.'), name: Type.String(), appliedAt: Timestamp('First heartbeat reporting it.') },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false, description: 'Where this revision runs, from gateway heartbeats.' },
  ),
  createdAt: Timestamp('When it was deployed.'),
};
const DeploymentView = Type.Object(deploymentFields, { additionalProperties: false });
const DeploymentDetail = Type.Object(
  {
    ...deploymentFields,
    definition: Type.Record(Type.String(), Type.Unknown(), { description: 'The deployed definition (API and plans).' }),
  },
  { additionalProperties: false },
);

export function deploymentRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  const base = '/api/v1/environments/:env/apis/:apiId/deployments';

  app.post(
    base,
    {
      config: { action: 'deployments:write' },
      schema: {
        tags: ['deployments'],
        summary: "Deploy the API's current definition, or with `revision` redeploy an older one (rollback)",
        description:
          'Each deployment is a new numbered revision. The environment configuration is compiled with it first; a deployment that would make it invalid, or that uses a policy or security type a gateway serving the API has not reported, answers 409 `not_deployable` with the problems.',
        params: ApiParams,
        body: Type.Object(
          {
            revision: Type.Optional(
              Type.Integer({
                minimum: 1,
                description:
                  "Redeploy this earlier revision (keeping the API's current lifecycle and visibility) and restore the editable definition to it.",
              }),
            ),
            message: Type.Optional(Type.String({ maxLength: 500, description: 'Why (shown in the history).' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: DeploymentView, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const scope = envScope(request, deps.db);
      const row = await deploy(scope, request.params.apiId, request.body ?? {});
      const rollouts = await withRollouts(scope, request.params.apiId, [row]);
      return reply.code(201).send(deploymentView(row, row.revision, rollouts.get(row.revision)));
    },
  );

  app.get(
    base,
    {
      config: { action: 'deployments:read' },
      schema: {
        tags: ['deployments'],
        summary: 'Deployment history, newest first, with author and time',
        params: ApiParams,
        querystring: Type.Object(PageQueryFields, { additionalProperties: false }),
        response: { 200: Page(DeploymentView), ...errorResponses() },
      },
    },
    async (request) => listDeployments(envScope(request, deps.db), request.params.apiId, request.query),
  );

  app.get(
    `${base}/:revision`,
    {
      config: { action: 'deployments:read' },
      schema: {
        tags: ['deployments'],
        summary: 'One revision with its deployed definition',
        params: Type.Object(
          { ...ApiParams.properties, revision: Type.Integer({ minimum: 1 }) },
          { additionalProperties: false },
        ),
        response: { 200: DeploymentDetail, ...errorResponses() },
      },
    },
    async (request) => getDeployment(envScope(request, deps.db), request.params.apiId, request.params.revision),
  );
}
