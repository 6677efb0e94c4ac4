import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import type { RequestContext } from './types.js';

export interface CompiledExpression {
  readonly source: string;
  /** Evaluates over the request's CEL activation; throws ExpressionError on evaluation errors. */
  evaluate(ctx: RequestContext): unknown;
  /** Evaluates over an explicit activation (tests, templates). */
  evaluateWith(activation: Record<string, unknown>): unknown;
  /** `true` only for the boolean true; a missing field or an error counts as false. */
  test(ctx: RequestContext): boolean;
}

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

const env = celEnv({ funcs: strings });

/** Converts CEL output to plain JS (bigint -> number, CEL maps/lists -> objects/arrays). */
export function celToJs(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString();
  const v = value as { [Symbol.iterator]?: unknown; entries?: () => Iterable<[unknown, unknown]>; get?: unknown };
  if (Array.isArray(value)) return value.map(celToJs);
  if (typeof v.entries === 'function' && typeof v.get === 'function' && !(value instanceof Map)) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of v.entries()) out[String(celToJs(k))] = celToJs(val);
    return out;
  }
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of value) out[String(k)] = celToJs(val);
    return out;
  }
  if (typeof v[Symbol.iterator] === 'function') return Array.from(value as Iterable<unknown>, celToJs);
  return value;
}

/** Parses and plans a CEL expression once; evaluation is then a plain function call. */
export function compileExpression(source: string): CompiledExpression {
  let run: (activation: Record<string, unknown>) => unknown;
  try {
    run = plan(env, parse(source)) as unknown as (activation: Record<string, unknown>) => unknown;
  } catch (error) {
    throw new ExpressionError(`invalid CEL expression "${source}": ${(error as Error).message}`, source);
  }
  const evaluateWith = (activation: Record<string, unknown>): unknown => {
    const result = run(activation);
    if (isCelError(result))
      throw new ExpressionError(`CEL evaluation failed for "${source}": ${result.message}`, source);
    return celToJs(result);
  };
  return {
    source,
    evaluateWith,
    evaluate: (ctx) => evaluateWith(ctx.celActivation()),
    test(ctx) {
      const result = run(ctx.celActivation());
      return result === true;
    },
  };
}

/**
 * Compiles a template with `${ expr }` placeholders (CEL inside) into a renderer. Text outside
 * placeholders is kept as is. Used by set-body, return-response, log and header values.
 */
export function compileTemplate(template: string): {
  render(ctx: RequestContext): string;
  renderWith(activation: Record<string, unknown>): string;
  dynamic: boolean;
} {
  const parts: Array<string | CompiledExpression> = [];
  const re = /\$\{([^}]*)\}/g;
  let last = 0;
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    parts.push(compileExpression(m[1]!.trim()));
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  const dynamic = parts.some((p) => typeof p !== 'string');
  const renderWith = (activation: Record<string, unknown>): string => {
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') out += part;
      else {
        const value = part.evaluateWith(activation);
        out += typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
      }
    }
    return out;
  };
  return { dynamic, renderWith, render: (ctx) => (dynamic ? renderWith(ctx.celActivation()) : template) };
}
