/** An API's documentation pages (developer portal): publishers write, API readers read. */
import Type from 'typebox';
import { envScope } from '../auth/context.js';
import { ifMatchOf, setEtag } from '../http/etag.js';
import { errorResponses, NoContent, Slug, Timestamp } from '../http/schemas.js';
import {
  apiPageView,
  createPage,
  deletePage,
  getPage,
  listPages,
  MAX_PAGE_MARKDOWN,
  MAX_PAGES_PER_API,
  updatePage,
} from '../services/api-pages.js';
import { ApiParams } from './apis.js';
import { type App, type RouteDeps, typed } from './deps.js';

const pageFields = {
  title: Type.String({ minLength: 1, maxLength: 200, description: 'Page title.' }),
  markdown: Type.String({
    maxLength: MAX_PAGE_MARKDOWN,
    description: 'Page text in markdown, stored as written (the portal renders it sanitised).',
  }),
  position: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      description: 'Reading order (ascending, then slug); new pages go last by default.',
    }),
  ),
};
const PageView = Type.Object(
  {
    slug: Slug('Page slug, unique per API.'),
    title: Type.String(),
    markdown: Type.String(),
    position: Type.Integer(),
    createdAt: Timestamp('Creation time.'),
    updatedAt: Timestamp('Last change.'),
  },
  { additionalProperties: false },
);
const PageParams = Type.Object(
  { ...ApiParams.properties, pageId: Slug('Page slug.') },
  { additionalProperties: false },
);

export function apiPageRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  const base = '/api/v1/environments/:env/apis/:apiId/pages';

  app.get(
    base,
    {
      config: { action: 'apis:read' },
      schema: {
        tags: ['apis'],
        summary: "An API's documentation pages, in reading order",
        params: ApiParams,
        response: {
          200: Type.Object({ items: Type.Array(PageView) }, { additionalProperties: false }),
          ...errorResponses(),
        },
      },
    },
    async (request) => ({
      items: (await listPages(envScope(request, deps.db), request.params.apiId)).map(apiPageView),
    }),
  );

  app.post(
    base,
    {
      config: { action: 'apis:write' },
      schema: {
        tags: ['apis'],
        summary: `Add a documentation page (at most ${MAX_PAGES_PER_API} per API)`,
        params: ApiParams,
        body: Type.Object({ slug: Slug('Page slug, unique per API.'), ...pageFields }, { additionalProperties: false }),
        response: { 201: PageView, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const row = await createPage(envScope(request, deps.db), request.params.apiId, request.body);
      setEtag(reply, row.id, row.rowVersion);
      return reply.code(201).send(apiPageView(row));
    },
  );

  app.get(
    `${base}/:pageId`,
    {
      config: { action: 'apis:read' },
      schema: {
        tags: ['apis'],
        summary: 'A documentation page',
        params: PageParams,
        response: { 200: PageView, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const row = await getPage(envScope(request, deps.db), request.params.apiId, request.params.pageId);
      setEtag(reply, row.id, row.rowVersion);
      return apiPageView(row);
    },
  );

  app.put(
    `${base}/:pageId`,
    {
      config: { action: 'apis:write' },
      schema: {
        tags: ['apis'],
        summary: 'Replace a documentation page (position kept when omitted)',
        params: PageParams,
        body: Type.Object(pageFields, { additionalProperties: false }),
        response: { 200: PageView, ...errorResponses(412) },
      },
    },
    async (request, reply) => {
      const row = await updatePage(
        envScope(request, deps.db),
        request.params.apiId,
        request.params.pageId,
        ifMatchOf(request),
        request.body,
      );
      setEtag(reply, row.id, row.rowVersion);
      return apiPageView(row);
    },
  );

  app.delete(
    `${base}/:pageId`,
    {
      config: { action: 'apis:write' },
      schema: {
        tags: ['apis'],
        summary: 'Delete a documentation page',
        params: PageParams,
        response: { 204: NoContent, ...errorResponses(412) },
      },
    },
    async (request, reply) => {
      await deletePage(envScope(request, deps.db), request.params.apiId, request.params.pageId, ifMatchOf(request));
      return reply.code(204).send(null);
    },
  );
}
