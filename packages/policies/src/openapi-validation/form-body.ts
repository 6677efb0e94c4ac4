/**
 * `application/x-www-form-urlencoded` bodies as APIs like Stripe's write them: bracket names build
 * nested values (`metadata[key]=v` -> `{ metadata: { key: 'v' } }`, `items[]=x` -> `{ items: ['x'] }`,
 * `items[0][price]=p` -> `{ items: [{ price: 'p' }] }`); a repeated plain name becomes an array.
 * Objects have no prototype, so no name (`__proto__`, `constructor`) reaches Object.prototype.
 */

type FormValue = string | FormValue[] | FormObject;
interface FormObject {
  [key: string]: FormValue;
}

/** Deeper bracket paths keep their remaining brackets in the last name, as qs does. */
const MAX_DEPTH = 20;

function splitName(name: string): string[] {
  const open = name.indexOf('[');
  if (open <= 0 || !name.endsWith(']')) return [name];
  const segments = [name.slice(0, open)];
  let rest = name.slice(open);
  while (rest.length > 0 && segments.length <= MAX_DEPTH) {
    const match = /^\[([^[\]]*)\]/.exec(rest);
    if (!match) return [name]; // `a[b]c]`: not a bracket path
    segments.push(match[1]!);
    rest = rest.slice(match[0].length);
  }
  if (rest.length > 0) segments[segments.length - 1] += rest;
  return segments;
}

function isObject(value: FormValue | undefined): value is FormObject {
  return typeof value === 'object' && !Array.isArray(value);
}

/** Arrays written with indexes (`items[0]`, `items[1]`) are objects until here; dense ones become arrays. */
function densify(value: FormValue): FormValue {
  if (Array.isArray(value)) return value.map(densify);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  for (const key of keys) value[key] = densify(value[key]!);
  const indexed = keys.length > 0 && keys.every((k, i) => k === String(i));
  return indexed ? keys.map((k) => value[k]!) : value;
}

function assign(root: FormObject, segments: string[], value: string): void {
  let container: FormObject | FormValue[] = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    const nextIsAppend = !last && segments[i + 1] === '';
    if (Array.isArray(container)) {
      // Only `name[]` leads here: the segment is the empty append marker.
      if (last) {
        container.push(value);
        return;
      }
      const child: FormObject = Object.create(null);
      container.push(child);
      container = child;
      continue;
    }
    const existing: FormValue | undefined = container[segment];
    if (last) {
      container[segment] =
        existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing as string, value];
      return;
    }
    if (nextIsAppend) {
      if (existing === undefined) container[segment] = [];
      else if (!Array.isArray(existing)) container[segment] = [existing];
      container = container[segment] as FormValue[];
      i++; // the `[]` is consumed here
      if (i === segments.length - 1) {
        container.push(value);
        return;
      }
      const child: FormObject = Object.create(null);
      container.push(child);
      container = child;
      continue;
    }
    if (!isObject(existing)) {
      if (existing !== undefined) return; // `a=1&a[b]=2`: the scalar stays, the schema judges it
      container[segment] = Object.create(null) as FormObject;
    }
    container = container[segment] as FormObject;
  }
}

export function parseFormBody(text: string): Record<string, unknown> {
  const root: FormObject = Object.create(null);
  for (const [name, value] of new URLSearchParams(text)) assign(root, splitName(name), value);
  for (const key of Object.keys(root)) root[key] = densify(root[key]!);
  return root as Record<string, unknown>;
}
