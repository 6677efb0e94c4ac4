/**
 * compileEnvironmentConfig's two uses on the management API, off the event loop: the deploy-time
 * check (the whole document, a candidate revision in place, checked as gateways check it) and the
 * config export route (the same, then with secrets masked, as JSON bytes). At 100,000 keys both
 * assembled and validated the document on the control plane's one thread; now the document-build
 * worker does (document-build.ts).
 */
import type { Database } from '../db/connect.js';
import { type CompileOptions, InvalidCompiledDocument } from './compile.js';
import { buildFromDatabase } from './document-build.js';

/** Throws InvalidCompiledDocument when the environment's document (with `candidate`) would be invalid. */
export async function checkEnvironmentConfig(
  db: Database,
  envId: string,
  options: CompileOptions = {},
): Promise<{ configVersion: string; definitionVersion: string }> {
  const checked = await buildFromDatabase(db, envId, options, 'check');
  if (checked.problems.length > 0) throw new InvalidCompiledDocument(checked.problems);
  return { configVersion: checked.configVersion, definitionVersion: checked.definitionVersion };
}

/** The environment's document, checked, with every secret masked, as JSON bytes (the config export route). */
export async function exportEnvironmentConfig(
  db: Database,
  envId: string,
): Promise<{ configVersion: string; json: Buffer }> {
  const checked = await buildFromDatabase(db, envId, {}, 'export');
  if (checked.problems.length > 0 || !checked.masked) throw new InvalidCompiledDocument(checked.problems);
  const { masked } = checked;
  return {
    configVersion: checked.configVersion,
    json: Buffer.from(masked.buffer, masked.byteOffset, masked.byteLength),
  };
}
