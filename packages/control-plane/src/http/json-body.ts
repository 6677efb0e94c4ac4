/**
 * JSON bodies: an empty (or blank) body sent with `content-type: application/json` is no body, as
 * most APIs treat it: `curl -H 'content-type: application/json' -X POST ...` on a bodiless action
 * must not answer "not valid JSON". Anything else goes through Fastify's own parser, which keeps
 * refusing `__proto__` and `constructor` keys.
 */
import type { FastifyInstance } from 'fastify';

export function registerJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
}
