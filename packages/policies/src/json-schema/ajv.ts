/**
 * Ajv set-up shared by the body and OpenAPI validators: one Ajv per policy instance (compiled at load),
 * the draft picked from `$schema`, standard formats plus the OpenAPI numeric ones, and errors turned
 * into `{ path, message }` entries a client can act on.
 */
import type { InvalidParam } from '@gatehouse/core';
import { Ajv, type ErrorObject, type Options } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { re2RegExp } from './re2-engine.js';

export type AnyAjv = Ajv | Ajv2019 | Ajv2020;

// ajv-formats is CommonJS: depending on the loader the plugin is the module itself or its `default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: AnyAjv,
) => void;

const INT32 = 2 ** 31;

export type SchemaDialect = 'draft-07' | '2019-09' | '2020-12';

/** Picks the dialect from a schema's `$schema`; draft-07 when absent. */
export function dialectOf(schema: unknown): SchemaDialect {
  const declared =
    typeof schema === 'object' && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined;
  if (typeof declared !== 'string') return 'draft-07';
  if (declared.includes('2020-12')) return '2020-12';
  if (declared.includes('2019-09')) return '2019-09';
  return 'draft-07';
}

export function createAjv(dialect: SchemaDialect, options: Options = {}): AnyAjv {
  const base: Options = {
    allErrors: true,
    // Unknown keywords are refused by checkSchema (schema-check.ts), with their path. Ajv's own strict
    // mode also refuses valid schemas (`additionalItems` beside a single `items`), so it stays off.
    strictSchema: false,
    strictNumbers: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    // `required: ["constructor"]` must not be met by Object.prototype.
    ownProperties: true,
    code: { regExp: re2RegExp },
    logger: false,
    ...options,
  };
  const ajv = dialect === '2020-12' ? new Ajv2020(base) : dialect === '2019-09' ? new Ajv2019(base) : new Ajv(base);
  addFormats(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -INT32 && n < INT32 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  ajv.addFormat('binary', true);
  ajv.addFormat('password', true);
  return ajv;
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function describe(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `must be ${String(p.type).replaceAll(',', ' or ')}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'format':
      return `must be a valid ${String(p.format)}`;
    default:
      return error.message ?? 'is invalid';
  }
}

/**
 * One entry per Ajv error, with the JSON pointer of the offending value (missing and unexpected
 * properties point at the property itself). Stops after `max` entries so a huge invalid array
 * cannot produce a huge problem document.
 */
export function ajvErrorsToPointers(errors: ErrorObject[] | null | undefined, max: number): InvalidParam[] {
  const out: InvalidParam[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    let path = error.instancePath;
    let message: string;
    if (error.keyword === 'required') {
      path += `/${escapePointer(String((error.params as { missingProperty: string }).missingProperty))}`;
      message = 'is required';
    } else if (error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties') {
      const params = error.params as { additionalProperty?: string; unevaluatedProperty?: string };
      path += `/${escapePointer(String(params.additionalProperty ?? params.unevaluatedProperty))}`;
      message = 'is not allowed';
    } else if (error.keyword === 'if') {
      continue; // the failing then/else branch reports the actual problem
    } else {
      message = describe(error);
    }
    const line = `${path}\u0000${message}`;
    if (seen.has(line)) continue;
    seen.add(line);
    out.push({ path, message });
    if (out.length >= max) break;
  }
  return out;
}
