/**
 * Response header changes that don't read the headers (set, append, remove). The gateway records them while the
 * upstream's headers are still its raw list and applies them as that list is forwarded, so a response policy
 * that only adds or drops headers costs no headers object. Names are lower-case.
 */
import type { OutgoingHttpHeaders } from 'node:http';

export interface HeaderEdit {
  readonly name: string;
  /** True: the upstream's values of this header are dropped; false: `values` come after them. */
  replace: boolean;
  /**
   * The values: one string (most edits: a header set to one value, with no array per edit), several, or none (a
   * removal). Read them with `editValueCount` / `editValueAt`.
   */
  values: string | string[] | undefined;
}

/** How many values an edit carries. */
export function editValueCount(edit: HeaderEdit): number {
  const { values } = edit;
  return values === undefined ? 0 : typeof values === 'string' ? 1 : values.length;
}

/** The edit's `index`th value (index < editValueCount(edit)). */
export function editValueAt(edit: HeaderEdit, index: number): string {
  const { values } = edit;
  return typeof values === 'string' ? values : values![index]!;
}

/** Adds one more value to a header (a list when it already has one). */
export function appendHeaderValue(headers: OutgoingHttpHeaders, name: string, value: string): void {
  const existing = headers[name];
  if (existing === undefined) headers[name] = value;
  else if (Array.isArray(existing)) headers[name] = [...existing, value];
  else headers[name] = [String(existing), value];
}

/** A copy of a value given to an edit (a list is copied: the caller may change its array afterwards). */
function ownValues(value: string | readonly string[] | undefined): string | string[] | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return value.length === 0 ? undefined : [...value];
}

/** Records an edit, merged with an earlier one of the same header so the list stays one entry per name. */
export function recordHeaderEdit(
  edits: HeaderEdit[],
  name: string,
  replace: boolean,
  value: string | readonly string[] | undefined,
): void {
  let entry: HeaderEdit | undefined;
  for (let i = 0; i < edits.length; i++) {
    if (edits[i]!.name === name) {
      entry = edits[i];
      break;
    }
  }
  if (replace) {
    const values = ownValues(value);
    if (entry === undefined) edits.push({ name, replace: true, values });
    else {
      entry.replace = true;
      entry.values = values;
    }
  } else if (value !== undefined) {
    if (entry === undefined) edits.push({ name, replace: false, values: ownValues(value) });
    else {
      const added = typeof value === 'string' ? [value] : value;
      const before = entry.values;
      entry.values =
        before === undefined ? [...added] : typeof before === 'string' ? [before, ...added] : [...before, ...added];
    }
  }
}

/** Applies recorded edits to a headers object (unset, not deleted: `delete` makes the object a slow dictionary). */
export function applyHeaderEdits(headers: OutgoingHttpHeaders, edits: readonly HeaderEdit[]): void {
  for (const edit of edits) {
    const { values } = edit;
    if (edit.replace) {
      headers[edit.name] =
        values === undefined || typeof values === 'string'
          ? values
          : values.length === 0
            ? undefined
            : values.length === 1
              ? values[0]
              : [...values];
    } else if (typeof values === 'string') appendHeaderValue(headers, edit.name, values);
    else if (values !== undefined) for (const value of values) appendHeaderValue(headers, edit.name, value);
  }
}

/** Whether the upstream's own values of `name` are dropped by the edits. */
export function replacedByEdits(edits: readonly HeaderEdit[], name: string): boolean {
  for (let i = 0; i < edits.length; i++) {
    const edit = edits[i]!;
    if (edit.replace && edit.name === name) return true;
  }
  return false;
}
