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
  values: string[];
}

/** Adds one more value to a header (a list when it already has one). */
export function appendHeaderValue(headers: OutgoingHttpHeaders, name: string, value: string): void {
  const existing = headers[name];
  if (existing === undefined) headers[name] = value;
  else if (Array.isArray(existing)) headers[name] = [...existing, value];
  else headers[name] = [String(existing), value];
}

/** Records an edit, merged with an earlier one of the same header so the list stays one entry per name. */
export function recordHeaderEdit(
  edits: HeaderEdit[],
  name: string,
  replace: boolean,
  value: string | readonly string[] | undefined,
): void {
  let entry: HeaderEdit | undefined;
  for (const edit of edits) {
    if (edit.name === name) {
      entry = edit;
      break;
    }
  }
  if (replace) {
    const values = value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
    if (entry === undefined) edits.push({ name, replace: true, values });
    else {
      entry.replace = true;
      entry.values = values;
    }
  } else if (value !== undefined) {
    if (entry === undefined)
      edits.push({ name, replace: false, values: typeof value === 'string' ? [value] : [...value] });
    else entry.values.push(...(typeof value === 'string' ? [value] : value));
  }
}

/** Applies recorded edits to a headers object (unset, not deleted: `delete` makes the object a slow dictionary). */
export function applyHeaderEdits(headers: OutgoingHttpHeaders, edits: readonly HeaderEdit[]): void {
  for (const edit of edits) {
    if (edit.replace) {
      const { values } = edit;
      headers[edit.name] = values.length === 0 ? undefined : values.length === 1 ? values[0] : [...values];
    } else for (const value of edit.values) appendHeaderValue(headers, edit.name, value);
  }
}

/** Whether the upstream's own values of `name` are dropped by the edits. */
export function replacedByEdits(edits: readonly HeaderEdit[], name: string): boolean {
  for (const edit of edits) if (edit.replace && edit.name === name) return true;
  return false;
}
