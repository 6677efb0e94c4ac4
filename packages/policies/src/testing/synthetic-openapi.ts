/**
 * A Stripe-sized synthetic OpenAPI 3.0 document (no network needed): hundreds of paths, deep
 * component schemas that $ref each other (cycles included, as Stripe's do), long descriptions,
 * form-encoded bodies with nested objects and JSON bodies referencing the components. Deterministic.
 */
export interface SyntheticOpenApiOptions {
  /** Path templates (each with GET, POST and DELETE, half of them with a `{id}`). Default 420. */
  paths?: number;
  /** Component schemas. Default 700. */
  schemas?: number;
}

const WORDS =
  'the object represents a customer charge invoice payment intent with amount currency status metadata'.split(' ');

function text(seed: number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[(seed * 7 + i * 13) % WORDS.length]!);
  return out.join(' ');
}

/** Another schema of the same group of 12: references form cycles and chains a few dozen deep. */
function near(i: number, step: number, count: number): string {
  const group = i - (i % 12);
  return `#/components/schemas/object_${Math.min(group + ((i + step) % 12), count - 1)}`;
}

function componentSchema(i: number, count: number): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    id: { type: 'string', maxLength: 5000, description: text(i, 20) },
    object: { type: 'string', enum: [`object_${i}`], description: text(i + 1, 12) },
    created: { type: 'integer', format: 'int64', description: text(i + 2, 15) },
    amount: { type: 'integer', minimum: 0, description: text(i + 3, 30) },
    currency: { type: 'string', pattern: '^[a-z]{3}$', description: text(i + 4, 10) },
    livemode: { type: 'boolean', description: text(i + 5, 10) },
    metadata: {
      type: 'object',
      additionalProperties: { type: 'string', maxLength: 500 },
      nullable: true,
      description: text(i + 6, 40),
    },
    status: { type: 'string', enum: ['active', 'canceled', 'pending', 'failed'], 'x-stripeBypassValidation': true },
    // Deep references, with cycles (i -> i+1 -> ... -> i): Stripe's expansions look like this.
    parent: { anyOf: [{ type: 'string', maxLength: 5000 }, { $ref: near(i, 1, count) }], nullable: true },
    related: { type: 'array', items: { $ref: near(i, 7, count) } },
    details: {
      type: 'object',
      properties: {
        level1: {
          type: 'object',
          properties: {
            level2: {
              type: 'object',
              properties: {
                note: { type: 'string', maxLength: 5000, description: text(i + 8, 25) },
                ref: { $ref: near(i, 5, count) },
              },
            },
          },
        },
      },
      description: text(i + 9, 30),
    },
  };
  for (let f = 0; f < 6; f++) {
    properties[`field_${f}`] = { type: 'string', maxLength: 5000, nullable: true, description: text(i + f, 35) };
  }
  return {
    type: 'object',
    title: `Object${i}`,
    description: text(i, 60),
    required: ['id', 'object', 'created'],
    properties,
    'x-resourceId': `object_${i}`,
  };
}

function formBody(i: number): Record<string, unknown> {
  return {
    content: {
      'application/x-www-form-urlencoded': {
        encoding: { metadata: { explode: true, style: 'deepObject' }, items: { explode: true, style: 'deepObject' } },
        schema: {
          type: 'object',
          additionalProperties: false,
          properties: {
            amount: { type: 'integer', description: text(i, 20) },
            currency: { type: 'string', pattern: '^[a-z]{3}$' },
            description: { type: 'string', maxLength: 5000 },
            metadata: {
              anyOf: [
                { type: 'object', additionalProperties: { type: 'string' } },
                { type: 'string', enum: [''] },
              ],
            },
            items: {
              type: 'array',
              items: {
                type: 'object',
                required: ['price'],
                properties: { price: { type: 'string', maxLength: 5000 }, quantity: { type: 'integer', minimum: 1 } },
              },
            },
            expand: { type: 'array', items: { type: 'string', maxLength: 5000 } },
          },
        },
      },
    },
  };
}

export function syntheticOpenApi(options: SyntheticOpenApiOptions = {}): Record<string, unknown> {
  const pathCount = options.paths ?? 420;
  const schemaCount = options.schemas ?? 700;
  const schemas: Record<string, unknown> = {};
  for (let i = 0; i < schemaCount; i++) schemas[`object_${i}`] = componentSchema(i, schemaCount);
  const paths: Record<string, unknown> = {};
  for (let p = 0; p < pathCount; p++) {
    const target = `#/components/schemas/object_${p % schemaCount}`;
    const ok = { description: text(p, 8), content: { 'application/json': { schema: { $ref: target } } } };
    const listParams = [
      { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 }, description: text(p, 20) },
      { name: 'starting_after', in: 'query', schema: { type: 'string', maxLength: 5000 } },
      {
        name: 'expand',
        in: 'query',
        style: 'deepObject',
        explode: true,
        schema: { type: 'array', items: { type: 'string' } },
      },
      {
        name: 'created',
        in: 'query',
        style: 'deepObject',
        explode: true,
        schema: { properties: { gt: { type: 'integer' } } },
      },
    ];
    const base = `/v1/resource_${p}`;
    const item = p % 2 === 0 ? `${base}/{id}` : base;
    const idParam =
      p % 2 === 0 ? [{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 5000 } }] : [];
    paths[item] = {
      get: {
        operationId: `Get${p}`,
        description: text(p, 80),
        parameters: [...idParam, ...listParams],
        responses: { 200: ok },
      },
      post: {
        operationId: `Post${p}`,
        description: text(p + 1, 80),
        parameters: idParam,
        requestBody:
          p % 3 === 0 ? { required: true, content: { 'application/json': { schema: { $ref: target } } } } : formBody(p),
        responses: { 200: ok },
      },
      delete: { operationId: `Delete${p}`, parameters: idParam, responses: { 200: ok } },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Synthetic Stripe-sized API', version: '2026-01-01', description: text(0, 200) },
    servers: [{ url: 'https://api.example.test/' }],
    paths,
    components: { schemas },
  };
}
