import { PolicyRef } from '@gatehouse/config';
import { SECURITY_TYPE_NAMES } from '@gatehouse/policies/catalog';
import Type from 'typebox';
import { envScope } from '../auth/context.js';
import { ifMatchOf, setEtag } from '../http/etag.js';
import { assertValidRequest, planBodyProblems } from '../http/policy-checks.js';
import {
  Description,
  errorResponses,
  Name,
  NoContent,
  Page,
  PageQueryFields,
  Slug,
  StringEnum,
  Timestamp,
} from '../http/schemas.js';
import { findApi } from '../services/apis.js';
import {
  createPlan,
  deletePlan,
  findPlan,
  listPlans,
  PLAN_STATUSES,
  planView,
  planViewFor,
  updatePlan,
} from '../services/plans.js';
import { ApiParams } from './apis.js';
import { type App, type RouteDeps, typed } from './deps.js';

const Security = Type.Object(
  {
    // The security types gateways serve, from the policy catalog (GET /api/v1/policies has their schemas).
    type: StringEnum(SECURITY_TYPE_NAMES, { description: 'How consumers authenticate.' }),
    config: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: "Settings of the security type, checked against the type's schema (see GET /api/v1/policies).",
      }),
    ),
  },
  { additionalProperties: false },
);
const Status = StringEnum(PLAN_STATUSES, {
  description:
    'staging: not served, not subscribable; published; deprecated: served, no new subscriptions; closed: not served.',
});
const Approval = Type.Union([Type.Literal('auto'), Type.Literal('manual')], {
  description: 'auto: subscriptions are accepted at once.',
});

const planFields = {
  name: Type.Optional(Name('Display name.')),
  description: Type.Optional(Type.Union([Description, Type.Null()])),
  security: Security,
  policies: Type.Optional(Type.Array(PolicyRef, { maxItems: 100 })),
  approval: Type.Optional(Approval),
  status: Type.Optional(Status),
};

const PlanView = Type.Object(
  {
    id: Slug('Plan id.'),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    security: Type.Object(
      {
        type: Type.String(),
        config: Type.Optional(
          Type.Record(Type.String(), Type.Unknown(), {
            description: 'Absent in the consumer catalog; secret fields show `********`.',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    policies: Type.Optional(Type.Array(PolicyRef, { description: 'Absent in the consumer catalog.' })),
    approval: Approval,
    status: Status,
    createdAt: Timestamp('Creation time.'),
    updatedAt: Timestamp('Last change.'),
  },
  { additionalProperties: false },
);
const PlanParams = Type.Object({ ...ApiParams.properties, planId: Slug('Plan id.') }, { additionalProperties: false });

export function planRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  const base = '/api/v1/environments/:env/apis/:apiId/plans';

  app.get(
    base,
    {
      config: { action: 'apis:read' },
      schema: {
        tags: ['plans'],
        summary: "List an API's plans (consumers see published ones)",
        params: ApiParams,
        querystring: Type.Object(
          { ...PageQueryFields, status: Type.Optional(Status) },
          { additionalProperties: false },
        ),
        response: { 200: Page(PlanView), ...errorResponses() },
      },
    },
    async (request) => listPlans(envScope(request, deps.db), request.params.apiId, request.query),
  );

  app.post(
    base,
    {
      attachValidation: true,
      config: { action: 'apis:write' },
      schema: {
        tags: ['plans'],
        summary: 'Create a plan',
        params: ApiParams,
        body: Type.Object({ id: Slug('Plan id, unique in the API.'), ...planFields }, { additionalProperties: false }),
        response: { 201: PlanView, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      assertValidRequest(request, planBodyProblems(request.body));
      const row = await createPlan(envScope(request, deps.db), request.params.apiId, request.body);
      setEtag(reply, row.pk, row.rowVersion);
      return reply.code(201).send(planView(row));
    },
  );

  app.get(
    `${base}/:planId`,
    {
      config: { action: 'apis:read' },
      schema: {
        tags: ['plans'],
        summary: 'Get a plan',
        params: PlanParams,
        response: { 200: PlanView, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const scope = envScope(request, deps.db);
      const row = await findPlan(scope, await findApi(scope, request.params.apiId), request.params.planId);
      setEtag(reply, row.pk, row.rowVersion);
      return planViewFor(scope, row);
    },
  );

  app.patch(
    `${base}/:planId`,
    {
      attachValidation: true,
      config: { action: 'apis:write' },
      schema: {
        tags: ['plans'],
        summary: 'Change a plan (served definition changes on the next deployment)',
        params: PlanParams,
        body: Type.Partial(Type.Object(planFields), { additionalProperties: false }),
        response: { 200: PlanView, ...errorResponses(412) },
      },
    },
    async (request, reply) => {
      assertValidRequest(request, planBodyProblems(request.body));
      const row = await updatePlan(
        envScope(request, deps.db),
        request.params.apiId,
        request.params.planId,
        ifMatchOf(request),
        request.body,
      );
      setEtag(reply, row.pk, row.rowVersion);
      return planView(row);
    },
  );

  app.delete(
    `${base}/:planId`,
    {
      config: { action: 'apis:write' },
      schema: {
        tags: ['plans'],
        summary: 'Delete a plan without open subscriptions',
        params: PlanParams,
        response: { 204: NoContent, ...errorResponses(409, 412) },
      },
    },
    async (request, reply) => {
      await deletePlan(envScope(request, deps.db), request.params.apiId, request.params.planId, ifMatchOf(request));
      return reply.code(204).send(null);
    },
  );
}
