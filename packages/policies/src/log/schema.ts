// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import Type, { type Static } from 'typebox';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

export const LogConfigSchema = Type.Object(
  {
    level: Type.Optional(
      Type.Union(
        LOG_LEVELS.map((l) => Type.Literal(l)),
        { description: 'Level of the log line.', default: 'info' },
      ),
    ),
    message: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Message template with `${ cel }` placeholders, e.g. `${request.method} ${request.path} -> ${response.status}`.',
        default: 'request completed',
      }),
    ),
    fields: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' }), Type.String({ minLength: 1 }), {
        description:
          'Fields of the JSON line: name -> CEL expression over `request`, `context`, `attributes`, `claims`, `response` (`status`, `headers`) and `durationMs`. A field that fails to evaluate is null.',
        default: {},
      }),
    ),
    redactHeaders: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Headers whose values never reach the line: keys of that name are masked in rendered maps, and their values are masked wherever a field repeats them.',
        default: ['authorization', 'proxy-authorization', 'x-api-key', 'cookie', 'set-cookie'],
      }),
    ),
    redactQueryParameters: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Query parameters treated as credentials the same way (keys masked, values masked wherever they appear).',
        default: ['api_key', 'apikey', 'api-key', 'access_token', 'token'],
      }),
    ),
  },
  { additionalProperties: false },
);

export type LogConfig = Required<Static<typeof LogConfigSchema>>;
