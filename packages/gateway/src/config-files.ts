/**
 * What a file reload compares to decide "unchanged": the config text and the content of the files it
 * refers to (OpenAPI documents, JSON schemas), so SIGHUP after editing only `openapi.json` reloads.
 * Files are hashed as streams (64 KB chunks on the event loop, no whole-file buffer).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';

/** Document fields naming a file: an API's `openapi`, and policy configs' `document` / `schema`. */
export function referencedFiles(document: unknown, baseDir: string): string[] {
  const files = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === 'string' && value.trim() !== '') files.add(path.resolve(baseDir, value));
  };
  const addRefs = (refs: unknown) => {
    if (!Array.isArray(refs)) return;
    for (const ref of refs) {
      const config = (ref as { config?: Record<string, unknown> } | null)?.config;
      if (typeof config === 'object' && config !== null) {
        add(config.document);
        add(config.schema);
      }
    }
  };
  const doc = document as { policies?: unknown; apis?: unknown } | null;
  addRefs(doc?.policies);
  for (const api of Array.isArray(doc?.apis) ? doc.apis : []) {
    const a = api as { openapi?: unknown; policies?: unknown; plans?: unknown; routes?: unknown } | null;
    add(a?.openapi);
    addRefs(a?.policies);
    for (const nested of [a?.plans, a?.routes])
      for (const item of Array.isArray(nested) ? nested : [])
        addRefs((item as { policies?: unknown } | null)?.policies);
  }
  return [...files].sort();
}

/** A hash of the config text and of every referenced file's content (a missing file counts as missing). */
export async function configFingerprint(text: string, document: unknown, baseDir: string): Promise<string> {
  const hash = createHash('sha256').update(text);
  for (const file of referencedFiles(document, baseDir)) {
    hash.update(`\u0000${file}\u0000`);
    try {
      for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    } catch (error) {
      hash.update(`unreadable:${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  return hash.digest('hex');
}
