/** TypeBox building blocks shared by every route: ids, problems, pages, timestamps. */
import { SLUG_PATTERN } from '@gatehouse/config';
import Type, { type TSchema } from 'typebox';

export const Slug = (description: string) =>
  Type.String({ pattern: SLUG_PATTERN, minLength: 1, maxLength: 64, description });
export const Uuid = (description: string) => Type.String({ format: 'uuid', description });
export const Timestamp = (description: string) => Type.String({ format: 'date-time', description });
export const NullableTimestamp = (description: string) =>
  Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description });
export const Name = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });
export const Description = Type.String({ maxLength: 4000, description: 'Free text.' });
export const Email = Type.String({
  format: 'email',
  maxLength: 254,
  description: 'E-mail address (case-insensitive).',
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    code: Type.String({ description: 'Stable machine-readable error code from the Gatehouse catalog.' }),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details.' },
);

/** Error answers every authenticated route may give; added to each route's documented responses. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  const all = new Set([400, 401, 403, 404, 429, ...statuses]);
  return Object.fromEntries([...all].map((s) => [s, Problem]));
}

export const EnvParams = Type.Object({ env: Slug('Environment slug.') }, { additionalProperties: false });

export const PageQueryFields = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size (1-100).' })),
  cursor: Type.Optional(
    Type.String({ maxLength: 512, description: 'Opaque cursor from the `nextCursor` of the previous page.' }),
  ),
};

export function SortParam<const K extends string>(keys: readonly K[], defaultSort: string) {
  const values = keys.flatMap((k) => [k, `-${k}`]) as (K | `-${K}`)[];
  return Type.Optional(
    Type.Unsafe<K | `-${K}`>({
      type: 'string',
      enum: values,
      default: defaultSort,
      description: 'Sort field; prefix with `-` for descending order.',
    }),
  );
}

export function Page<T extends TSchema>(item: T) {
  return Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Type.Union([Type.String(), Type.Null()], {
        description: 'Pass as `cursor` to get the next page; null on the last page.',
      }),
    },
    { additionalProperties: false },
  );
}

export const NoContent = Type.Null({ description: 'No content.' });

export function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

/** A string enum (`enum` in JSON Schema), typed as the union of its values. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string; default?: T[number] } = {},
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
