/**
 * A large JSON value (a 4 MB OpenAPI document inside a config) cut into small JSON texts, so that
 * serializing it, hashing it, and rebuilding it on another thread can each be done in slices of a
 * few milliseconds: a whole-value structuredClone, JSON.stringify or JSON.parse blocks an event
 * loop for hundreds of milliseconds. Containers down to SPLIT_DEPTH are taken apart (each becomes a
 * `{}`/`[]` marker, then its entries); deeper values travel as one JSON text each. The key (SHA-256
 * of the pieces) is the same whether computed at once (jsonKey) or in slices (jsonPiecesInSlices).
 */
import { createHash, type Hash } from 'node:crypto';

/** One entry: where it goes (keys from the root) and its JSON text (`{}`/`[]` for a container filled by later pieces). */
export type JsonPiece = [at: Array<string | number>, json: string];

const SPLIT_DEPTH = 5;
const SLICE_MS = 4;

function* walk(value: unknown, at: Array<string | number>): Generator<JsonPiece> {
  if (at.length < SPLIT_DEPTH && typeof value === 'object' && value !== null) {
    const isArray = Array.isArray(value);
    yield [at, isArray ? '[]' : '{}'];
    if (isArray) for (let i = 0; i < value.length; i++) yield* walk(value[i] ?? null, [...at, i]);
    else
      for (const [key, child] of Object.entries(value)) {
        // What JSON.stringify leaves out of an object.
        if (child === undefined || typeof child === 'function' || typeof child === 'symbol') continue;
        yield* walk(child, [...at, key]);
      }
    return;
  }
  yield [at, JSON.stringify(value) ?? 'null'];
}

function feed(hash: Hash, piece: JsonPiece): void {
  hash.update(JSON.stringify(piece[0])).update('\u0000').update(piece[1]).update('\u0000');
}

/**
 * Keys jsonPiecesInSlices() computed, by object: a config version's id asks again for the key of the
 * document its prepare step cut in slices. Config documents are not changed once applied (the paths
 * that rewrite an OpenAPI document rewrite their own copy), so such a key stays right.
 */
const known = new WeakMap<object, string>();

/** The value's key, computed now (the synchronous load path). */
export function jsonKey(value: unknown): string {
  const hash = createHash('sha256');
  for (const piece of walk(value, [])) feed(hash, piece);
  return hash.digest('hex');
}

/** jsonKey(), or the key jsonPiecesInSlices() last computed for this object. */
export function knownJsonKey(value: unknown): string {
  return (typeof value === 'object' && value !== null ? known.get(value) : undefined) ?? jsonKey(value);
}

/** The pieces and the key, yielding to the event loop every few milliseconds. */
export async function jsonPiecesInSlices(value: unknown): Promise<{ key: string; pieces: JsonPiece[] }> {
  const hash = createHash('sha256');
  const pieces: JsonPiece[] = [];
  let sliceStart = performance.now();
  for (const piece of walk(value, [])) {
    pieces.push(piece);
    feed(hash, piece);
    if (performance.now() - sliceStart > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
  const key = hash.digest('hex');
  if (typeof value === 'object' && value !== null) known.set(value, key);
  return { key, pieces };
}

/** Rebuilds a value from its pieces in order; call add() per piece, then value(). */
export class JsonAssembler {
  private root: unknown;

  add([at, json]: JsonPiece): void {
    const value = JSON.parse(json) as unknown;
    if (at.length === 0) {
      this.root = value;
      return;
    }
    let target = this.root as Record<string | number, unknown>;
    for (let i = 0; i < at.length - 1; i++) target = target[at[i]!] as Record<string | number, unknown>;
    const key = at.at(-1)!;
    // `__proto__` from JSON is an own key, not the prototype (as JSON.parse makes it).
    if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true });
    else target[key] = value;
  }

  value(): unknown {
    return this.root;
  }
}

/** Rebuilds a value from its pieces at once. */
export function assembleJson(pieces: readonly JsonPiece[]): unknown {
  const assembler = new JsonAssembler();
  for (const piece of pieces) assembler.add(piece);
  return assembler.value();
}

/** Rebuilds a value from its pieces, yielding to the event loop every few milliseconds. */
export async function assembleJsonInSlices(pieces: readonly JsonPiece[]): Promise<unknown> {
  const assembler = new JsonAssembler();
  let sliceStart = performance.now();
  for (const piece of pieces) {
    assembler.add(piece);
    if (performance.now() - sliceStart > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
  return assembler.value();
}
