/**
 * The developer portal's server side: its settings (environment admins) and its public reads
 * (no login; services/portal-catalog.ts decides what an anonymous visitor sees).
 */
import Type from 'typebox';
import { envScope } from '../auth/context.js';
import { ifMatchOf, setEtag } from '../http/etag.js';
import { EnvParams, errorResponses, Page, PageQueryFields, Slug, StringEnum } from '../http/schemas.js';
import { LIFECYCLES } from '../services/apis.js';
import {
  catalogApi,
  catalogOpenapi,
  catalogPage,
  findPortalEnv,
  listCatalog,
  portalEnvironments,
  publicSettings,
} from '../services/portal-catalog.js';
import {
  COLOR_PATTERN,
  getPortalSettingsRow,
  MAX_HOME_MARKDOWN,
  MAX_LOGO_CHARS,
  portalSettingsView,
  putPortalSettings,
  SIGNUP_MODES,
} from '../services/portal-settings.js';
import { type App, type RouteDeps, typed } from './deps.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()]);
const Signup = StringEnum(SIGNUP_MODES, {
  description:
    'open: active after e-mail verification; approval: an admin approves each sign-up; invitation: only with an invitation.',
});
const settingsFields = {
  name: Nullable(Type.String({ maxLength: 200, description: "Portal title; the environment's name when null." })),
  logo: Nullable(
    Type.String({
      maxLength: MAX_LOGO_CHARS,
      description:
        'A data:image/(png|jpeg|gif|webp);base64,... URL of at most 256 KB (SVG is refused: it can carry script).',
    }),
  ),
  primaryColor: Type.String({ pattern: COLOR_PATTERN, description: 'Accent colour, #rrggbb.' }),
  homeMarkdown: Type.String({ maxLength: MAX_HOME_MARKDOWN, description: 'Home page text (markdown).' }),
  signup: Signup,
  tryItBaseUrl: Nullable(
    Type.String({
      maxLength: 2048,
      description:
        "Gateway URL the portal's try-it console calls (http or https, no credentials, query or fragment); also allowed in the portal's CSP connect-src.",
    }),
  ),
};
const SettingsView = Type.Object(
  {
    enabled: Type.Boolean({ description: 'Whether the portal of this environment is public.' }),
    ...settingsFields,
    updatedAt: Nullable(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
const PutSettings = Type.Object(
  {
    enabled: Type.Boolean({ description: 'Publish the portal of this environment.' }),
    name: Type.Optional(settingsFields.name),
    logo: Type.Optional(settingsFields.logo),
    primaryColor: Type.Optional(settingsFields.primaryColor),
    homeMarkdown: Type.Optional(settingsFields.homeMarkdown),
    signup: Type.Optional(settingsFields.signup),
    tryItBaseUrl: Type.Optional(settingsFields.tryItBaseUrl),
  },
  { additionalProperties: false },
);

const PublicSettings = Type.Object(
  {
    name: Type.String(),
    logo: Nullable(Type.String()),
    primaryColor: Type.String(),
    homeMarkdown: Type.String(),
    signup: Signup,
    tryItBaseUrl: Nullable(Type.String()),
    emailConfigured: Type.Boolean({ description: 'Whether sign-up e-mails can be sent.' }),
  },
  { additionalProperties: false },
);
const CatalogItem = Type.Object(
  {
    slug: Type.String(),
    name: Type.String(),
    description: Nullable(Type.String()),
    version: Nullable(Type.String()),
    tags: Type.Array(Type.String()),
    categories: Type.Array(Type.String()),
    basePath: Type.String(),
    lifecycle: StringEnum(LIFECYCLES, { description: 'published, or deprecated (takes no new subscriptions).' }),
  },
  { additionalProperties: false },
);
const CatalogApi = Type.Object(
  {
    ...CatalogItem.properties,
    pages: Type.Array(Type.Object({ slug: Type.String(), title: Type.String() }, { additionalProperties: false }), {
      description: 'Documentation pages in reading order.',
    }),
    plans: Type.Array(
      Type.Object(
        {
          slug: Type.String(),
          name: Type.String(),
          description: Nullable(Type.String()),
          securityType: Type.String(),
          approval: StringEnum(['auto', 'manual'] as const),
          limits: Type.Array(Type.String(), {
            description: 'What the plan promises, in words ("100 requests per minute", "API key").',
          }),
        },
        { additionalProperties: false },
      ),
    ),
    hasOpenapi: Type.Boolean(),
  },
  { additionalProperties: false },
);
const PortalParams = Type.Object({ env: Slug('Environment slug.') }, { additionalProperties: false });
const PortalApiParams = Type.Object(
  { env: Slug('Environment slug.'), apiId: Slug('API id.') },
  { additionalProperties: false },
);
const PortalPageParams = Type.Object(
  { env: Slug('Environment slug.'), apiId: Slug('API id.'), pageId: Slug('Page slug.') },
  { additionalProperties: false },
);
const Tag = Type.String({ minLength: 1, maxLength: 64 });

export function portalRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  const admin = '/api/v1/environments/:env/portal';
  const pub = '/api/v1/portal';

  app.get(
    admin,
    {
      config: { action: 'portal:manage' },
      schema: {
        tags: ['portal'],
        summary: "The environment's developer portal settings",
        params: EnvParams,
        response: { 200: SettingsView, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const scope = envScope(request, deps.db);
      const row = await getPortalSettingsRow(deps.db, scope.env.id);
      setEtag(reply, scope.env.id, row?.rowVersion ?? 0);
      return portalSettingsView(row);
    },
  );

  app.put(
    admin,
    {
      config: { action: 'portal:manage' },
      schema: {
        tags: ['portal'],
        summary: "Replace the environment's developer portal settings (omitted fields take their defaults)",
        params: EnvParams,
        body: PutSettings,
        response: { 200: SettingsView, ...errorResponses(412) },
      },
    },
    async (request, reply) => {
      const scope = envScope(request, deps.db);
      const row = await putPortalSettings(scope, ifMatchOf(request), request.body);
      setEtag(reply, scope.env.id, row.rowVersion);
      return portalSettingsView(row);
    },
  );

  app.get(
    `${pub}/environments`,
    {
      config: { action: 'portal:read' },
      schema: {
        tags: ['portal'],
        summary: 'Environments with a public developer portal (the first is the default)',
        security: [],
        response: {
          200: Type.Object(
            {
              items: Type.Array(
                Type.Object({ slug: Type.String(), name: Type.String() }, { additionalProperties: false }),
              ),
            },
            { additionalProperties: false },
          ),
          ...errorResponses(),
        },
      },
    },
    async () => portalEnvironments(deps.db, deps.orgId),
  );

  app.get(
    `${pub}/:env/settings`,
    {
      config: { action: 'portal:read' },
      schema: {
        tags: ['portal'],
        summary: "A portal's public settings (404 when the portal is off)",
        security: [],
        params: PortalParams,
        response: { 200: PublicSettings, ...errorResponses() },
      },
    },
    async (request) => publicSettings(await findPortalEnv(deps.db, deps.orgId, request.params.env)),
  );

  app.get(
    `${pub}/:env/apis`,
    {
      config: { action: 'portal:read' },
      schema: {
        tags: ['portal'],
        summary: 'The public catalog: published (and deprecated) public APIs, by name',
        security: [],
        params: PortalParams,
        querystring: Type.Object(
          {
            ...PageQueryFields,
            q: Type.Optional(
              Type.String({
                maxLength: 200,
                description: 'Case-insensitive substring of the name, description or a tag (no wildcards).',
              }),
            ),
            tag: Type.Optional(Tag),
            category: Type.Optional(Tag),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(CatalogItem), ...errorResponses() },
      },
    },
    async (request) =>
      listCatalog(deps.db, await findPortalEnv(deps.db, deps.orgId, request.params.env), request.query),
  );

  app.get(
    `${pub}/:env/apis/:apiId`,
    {
      config: { action: 'portal:read' },
      schema: {
        tags: ['portal'],
        summary: "An API's portal page: documentation pages and plans with their limits",
        security: [],
        params: PortalApiParams,
        response: { 200: CatalogApi, ...errorResponses() },
      },
    },
    async (request) =>
      catalogApi(deps.db, await findPortalEnv(deps.db, deps.orgId, request.params.env), request.params.apiId),
  );

  app.get(
    `${pub}/:env/apis/:apiId/pages/:pageId`,
    {
      config: { action: 'portal:read' },
      schema: {
        tags: ['portal'],
        summary: 'A documentation page (markdown as written; render it sanitised)',
        security: [],
        params: PortalPageParams,
        response: {
          200: Type.Object(
            { slug: Type.String(), title: Type.String(), markdown: Type.String() },
            { additionalProperties: false },
          ),
          ...errorResponses(),
        },
      },
    },
    async (request) =>
      catalogPage(
        deps.db,
        await findPortalEnv(deps.db, deps.orgId, request.params.env),
        request.params.apiId,
        request.params.pageId,
      ),
  );

  app.get(
    `${pub}/:env/apis/:apiId/openapi`,
    {
      config: { action: 'portal:read' },
      schema: {
        tags: ['portal'],
        summary: "The API's OpenAPI document, its servers set to the portal's try-it base URL + basePath",
        security: [],
        params: PortalApiParams,
        response: {
          200: Type.Record(Type.String(), Type.Unknown(), { description: 'OpenAPI document.' }),
          ...errorResponses(),
        },
      },
    },
    async (request) =>
      catalogOpenapi(deps.db, await findPortalEnv(deps.db, deps.orgId, request.params.env), request.params.apiId),
  );
}
