/**
 * A credential delta applied to the config being served without compiling it again: the changed
 * applications are checked as a whole document's applications would be (schema, references to the
 * served APIs and plans, uniqueness against the applications left in place), then patched into the
 * compiled config's credential index. Cost: the applications named, not the document.
 */
import { Application, type ConfigProblem, validateAgainst } from '@gatehouse/config';
import type { CompiledConfig, ServedDocument } from './compile.js';
import type { CredentialPatch } from './credentials.js';

export type { CredentialPatch };

/** The patch with schema defaults filled, or every problem found (nothing is applied then). */
export function checkCredentialPatch(
  config: CompiledConfig,
  patch: CredentialPatch,
): { ok: true; patch: CredentialPatch } | { ok: false; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const plans = plansOf(config.document);
  const upsert: Application[] = [];
  const positions: number[] = [];
  patch.upsert.forEach((raw, i) => {
    const at = `applications.upsert[${i}]`;
    const checked = validateAgainst<Application>(Application, raw, at);
    if (!checked.ok) {
      problems.push(...checked.problems);
      return;
    }
    const app = checked.value;
    (app.subscriptions ?? []).forEach((sub, j) => {
      const served = plans.get(sub.api);
      if (!served) problems.push({ path: `${at}.subscriptions[${j}].api`, message: `no API with id "${sub.api}"` });
      else if (!served.has(sub.plan))
        problems.push({
          path: `${at}.subscriptions[${j}].plan`,
          message: `API "${sub.api}" has no plan "${sub.plan}"`,
        });
    });
    upsert.push(app);
    positions.push(i);
  });
  if (!Array.isArray(patch.delete) || patch.delete.some((id) => typeof id !== 'string'))
    return {
      ok: false,
      problems: [...problems, { path: 'applications.delete', message: 'must be a list of application ids' }],
    };
  // Every problem at once, as for a whole document: uniqueness is checked on the well-formed applications too.
  const checked = { upsert, delete: patch.delete };
  problems.push(...config.credentials.conflicts(checked, positions));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, patch: checked };
}

/** The document with the patch applied (what a worker started later must serve); O(document). */
export function patchDocument(document: unknown, patches: readonly CredentialPatch[]): unknown {
  if (patches.length === 0) return document;
  const doc = document as { applications?: Array<{ id: string }> };
  const byId = new Map((doc.applications ?? []).map((app) => [app.id, app]));
  for (const patch of patches) {
    for (const id of patch.delete) byId.delete(id);
    for (const app of patch.upsert) {
      // Re-inserted at the end when new, kept in place when replaced (Map order), as the control plane does.
      byId.set(app.id, app);
    }
  }
  return { ...doc, applications: [...byId.values()] };
}

function plansOf(document: ServedDocument): Map<string, Set<string>> {
  return new Map(document.apis.map((api) => [api.id, new Set(api.plans.map((p) => p.id))]));
}
