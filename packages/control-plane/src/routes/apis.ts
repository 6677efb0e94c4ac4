import { PolicyRef, parseConfigText, Route, Upstream } from '@gatehouse/config';
import Type from 'typebox';
import { envScope } from '../auth/context.js';
import { ifMatchOf, setEtag } from '../http/etag.js';
import { apiBodyProblems, assertValidRequest } from '../http/policy-checks.js';
import {
  Description,
  EnvParams,
  errorResponses,
  Name,
  NoContent,
  Page,
  PageQueryFields,
  Slug,
  SortParam,
  StringEnum,
  Timestamp,
} from '../http/schemas.js';
import { invalid } from '../http/validation.js';
import {
  apiView,
  apiViewFor,
  createApi,
  deleteApi,
  deployedRevisions,
  findApi,
  LIFECYCLES,
  listApis,
  updateApi,
} from '../services/apis.js';
import { derivedRoutes, importOpenApi } from '../services/openapi-sync.js';
import { type App, type RouteDeps, typed } from './deps.js';

const Lifecycle = StringEnum(LIFECYCLES, {
  description:
    'draft -> published -> deprecated -> retired (forward only; deprecated -> published allowed, other moves 409). Drafts cannot be deployed; deprecated APIs take no new subscriptions; retired APIs leave the compiled configuration when deployed.',
});
const Visibility = Type.Union([Type.Literal('public'), Type.Literal('private')], {
  description: 'Public APIs appear in the consumer catalog.',
});
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const OpenApiDoc = Type.Record(Type.String(), Type.Unknown(), { description: 'OpenAPI 3.x document.' });

/** Editable fields: the gateway's own API entry (same validation) plus management metadata. */
const apiFields = {
  name: Name('Display name.'),
  description: Type.Optional(Nullable(Description)),
  version: Type.Optional(Nullable(Type.String({ maxLength: 100, description: 'Version label.' }))),
  basePath: Type.String({ pattern: '^/', maxLength: 512, description: 'Path prefix the API is served under.' }),
  stripBasePath: Type.Optional(
    Nullable(Type.Boolean({ description: 'Remove the basePath before forwarding (gateway default: true).' })),
  ),
  hosts: Type.Optional(
    Nullable(
      Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
        maxItems: 50,
        description: 'Host names the API answers on.',
      }),
    ),
  ),
  upstream: Upstream,
  policies: Type.Optional(Type.Array(PolicyRef, { maxItems: 100, description: 'API-level policies, in order.' })),
  routes: Type.Optional(
    Nullable(Type.Array(Route, { maxItems: 1000, description: 'Routes; every path under basePath when null.' })),
  ),
  tags: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      maxItems: 50,
      description: 'Labels for search and grouping.',
    }),
  ),
  categories: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      maxItems: 20,
      description: 'Developer portal categories (the catalog filters on them).',
    }),
  ),
  shardingTags: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      maxItems: 50,
      description: 'Gateways serve APIs whose sharding tags match theirs.',
    }),
  ),
  lifecycle: Type.Optional(Lifecycle),
  visibility: Type.Optional(Visibility),
  openapi: Type.Optional(Nullable(OpenApiDoc)),
};

const CreateApi = Type.Object(
  { id: Slug('API id, unique in the environment; immutable.'), ...apiFields },
  { additionalProperties: false },
);
const PatchApi = Type.Partial(Type.Object(apiFields), { additionalProperties: false });

const ApiView = Type.Object(
  {
    id: Slug('API id.'),
    name: Type.String(),
    description: Nullable(Type.String()),
    version: Nullable(Type.String()),
    basePath: Type.String(),
    stripBasePath: Nullable(Type.Boolean()),
    hosts: Nullable(Type.Array(Type.String())),
    // Absent in the consumer catalog view; secret fields show `********` in the staff view.
    upstream: Type.Optional(Upstream),
    policies: Type.Optional(Type.Array(PolicyRef)),
    routes: Type.Optional(Nullable(Type.Array(Route))),
    tags: Type.Array(Type.String()),
    categories: Type.Array(Type.String()),
    shardingTags: Type.Optional(Type.Array(Type.String())),
    lifecycle: Lifecycle,
    visibility: Visibility,
    openapi: Type.Optional(Nullable(OpenApiDoc)),
    hasOpenapi: Type.Boolean(),
    deployedRevision: Nullable(Type.Integer({ description: 'Revision gateways serve; null when never deployed.' })),
    createdAt: Timestamp('Creation time.'),
    updatedAt: Timestamp('Last change.'),
  },
  { additionalProperties: false },
);

const RouteChangesView = Type.Object(
  {
    added: Type.Array(Type.String(), { description: 'Paths of new routes.' }),
    removed: Type.Array(Type.String(), { description: 'Paths of routes no longer in the document.' }),
    changed: Type.Array(
      Type.Object(
        { path: Type.String(), methodsAdded: Type.Array(Type.String()), methodsRemoved: Type.Array(Type.String()) },
        { additionalProperties: false },
      ),
      { description: 'Routes whose methods changed.' },
    ),
  },
  { additionalProperties: false },
);
const ImportView = Type.Object(
  {
    ...ApiView.properties,
    changes: Type.Object(
      {
        routes: RouteChangesView,
        plansAdded: Type.Array(Type.String(), { description: 'Plans made from new security schemes.' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const ApiParams = Type.Object(
  { env: EnvParams.properties.env, apiId: Slug('API id.') },
  { additionalProperties: false },
);

export function apiRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  const base = '/api/v1/environments/:env/apis';

  app.get(
    base,
    {
      config: { action: 'apis:read' },
      schema: {
        tags: ['apis'],
        summary: 'List APIs (consumers see the published public catalog)',
        params: EnvParams,
        querystring: Type.Object(
          {
            ...PageQueryFields,
            sort: SortParam(['name', 'id', 'createdAt', 'updatedAt'], 'name'),
            q: Type.Optional(Type.String({ maxLength: 200, description: 'Substring of name, id or basePath.' })),
            lifecycle: Type.Optional(Lifecycle),
            tag: Type.Optional(Type.String({ maxLength: 64, description: 'Only APIs with this label.' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(ApiView), ...errorResponses() },
      },
    },
    async (request) => listApis(envScope(request, deps.db), request.query),
  );

  app.post(
    base,
    {
      attachValidation: true,
      config: { action: 'apis:write' },
      schema: {
        tags: ['apis'],
        summary: 'Create an API (not served until deployed)',
        params: EnvParams,
        body: CreateApi,
        response: { 201: ApiView, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      assertValidRequest(request, apiBodyProblems(request.body));
      const row = await createApi(envScope(request, deps.db), request.body);
      setEtag(reply, row.pk, row.rowVersion);
      return reply.code(201).send(apiView(row, null, { withOpenapi: true }));
    },
  );

  app.post(
    `${base}/import`,
    {
      config: { action: 'apis:write' },
      schema: {
        tags: ['apis'],
        summary: 'Create an API from an OpenAPI 3.x or Swagger 2 document, or update it from a newer version',
        description:
          'Routes come from the operations; name, version and description from `info`; the upstream from the first server (variables take their defaults) unless `upstreamUrl` is given. `document` is an object, or YAML/JSON text. Security schemes become plans: `apiKey` a published `api-key` plan reading its header or query parameter; http bearer a `jwt` plan and oauth2 / openIdConnect an `oauth2` plan, both in `staging` to complete. When the API exists (same `id`), it is updated instead (200): name, version, description, document and routes follow the document (routes kept keep their policies); basePath and upstream change only when given; `changes` lists the routes added, removed and changed and the plans added.',
        params: EnvParams,
        body: Type.Object(
          {
            document: Type.Union([OpenApiDoc, Type.String({ maxLength: 5_000_000 })]),
            id: Type.Optional(Slug('API id; default: slug of info.title.')),
            basePath: Type.Optional(Type.String({ pattern: '^/', maxLength: 512, description: 'Default: `/<id>`.' })),
            upstreamUrl: Type.Optional(
              Type.String({ format: 'http-url', description: 'Overrides the server URL of the document.' }),
            ),
            mock: Type.Optional(
              Type.Boolean({
                description:
                  "Serve the API from the document's examples (`upstream.mock`); `false` switches an existing API back to its upstream. Without a server URL, the upstream is the placeholder `http://backend.invalid`.",
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: ImportView, 201: ImportView, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      let document = request.body.document;
      if (typeof document === 'string') {
        const parsed = parseConfigText(document, 'document');
        if (!parsed.ok || !parsed.value || typeof parsed.value !== 'object')
          throw invalid('body.document', 'is not valid YAML or JSON');
        document = parsed.value as Record<string, unknown>;
      }
      const scope = envScope(request, deps.db);
      const { row, created, changes } = await importOpenApi(scope, document, request.body);
      const revisions = await deployedRevisions(deps.db, [row.pk]);
      setEtag(reply, row.pk, row.rowVersion);
      return reply
        .code(created ? 201 : 200)
        .send({ ...apiView(row, revisions.get(row.pk) ?? null, { withOpenapi: true }), changes });
    },
  );

  app.get(
    `${base}/:apiId`,
    {
      config: { action: 'apis:read' },
      schema: {
        tags: ['apis'],
        summary: 'Get an API',
        params: ApiParams,
        response: { 200: ApiView, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const scope = envScope(request, deps.db);
      const row = await findApi(scope, request.params.apiId);
      const revisions = await deployedRevisions(deps.db, [row.pk]);
      setEtag(reply, row.pk, row.rowVersion);
      return apiViewFor(scope, row, revisions.get(row.pk) ?? null, { withOpenapi: true });
    },
  );

  app.patch(
    `${base}/:apiId`,
    {
      attachValidation: true,
      config: { action: 'apis:write' },
      schema: {
        tags: ['apis'],
        summary: 'Change an API (gateways see it after the next deployment)',
        description:
          'With `deriveRoutes=true`, the routes are derived again from the OpenAPI document sent (or the stored one): routes kept keep their policies.',
        params: ApiParams,
        querystring: Type.Object(
          {
            deriveRoutes: Type.Optional(
              Type.Boolean({ description: "Re-derive the routes from the API's OpenAPI document." }),
            ),
          },
          { additionalProperties: false },
        ),
        body: PatchApi,
        response: { 200: ApiView, ...errorResponses(409, 412) },
      },
    },
    async (request, reply) => {
      assertValidRequest(request, apiBodyProblems(request.body));
      const scope = envScope(request, deps.db);
      const patch: Parameters<typeof updateApi>[3] = { ...request.body };
      if (request.query.deriveRoutes) {
        if (patch.routes !== undefined) throw invalid('body.routes', 'must be left out with deriveRoutes=true');
        const current = await findApi(scope, request.params.apiId);
        patch.routes = derivedRoutes(current, patch.openapi).routes;
      }
      const { row, deployedRevision } = await updateApi(scope, request.params.apiId, ifMatchOf(request), patch);
      setEtag(reply, row.pk, row.rowVersion);
      return apiView(row, deployedRevision, { withOpenapi: true });
    },
  );

  app.put(
    `${base}/:apiId`,
    {
      attachValidation: true,
      config: { action: 'apis:write' },
      schema: {
        tags: ['apis'],
        summary: 'Replace an API definition (omitted optional fields are cleared)',
        params: ApiParams,
        body: Type.Object(apiFields, { additionalProperties: false }),
        response: { 200: ApiView, ...errorResponses(409, 412) },
      },
    },
    async (request, reply) => {
      assertValidRequest(request, apiBodyProblems(request.body));
      const b = request.body;
      const full = {
        ...b,
        description: b.description ?? null,
        version: b.version ?? null,
        stripBasePath: b.stripBasePath ?? null,
        hosts: b.hosts ?? null,
        policies: b.policies ?? [],
        routes: b.routes ?? null,
        tags: b.tags ?? [],
        categories: b.categories ?? [],
        shardingTags: b.shardingTags ?? [],
        openapi: b.openapi ?? null,
      };
      const { row, deployedRevision } = await updateApi(
        envScope(request, deps.db),
        request.params.apiId,
        ifMatchOf(request),
        full,
      );
      setEtag(reply, row.pk, row.rowVersion);
      return apiView(row, deployedRevision, { withOpenapi: true });
    },
  );

  app.delete(
    `${base}/:apiId`,
    {
      config: { action: 'apis:write' },
      schema: {
        tags: ['apis'],
        summary: 'Delete an API (refused while it has open subscriptions)',
        params: ApiParams,
        response: { 204: NoContent, ...errorResponses(409, 412) },
      },
    },
    async (request, reply) => {
      await deleteApi(envScope(request, deps.db), request.params.apiId, ifMatchOf(request));
      return reply.code(204).send(null);
    },
  );
}
