import path from 'node:path';
import { type ConfigProblem, formatProblems, readConfigFile, validateDocument } from '@gatehouse/config';
import { silentLogger } from '@gatehouse/core';
import { compileConfig, PoolManager } from '@gatehouse/gateway';
import { ConfigError, createStores } from '@gatehouse/policies';

export interface ValidationReport {
  ok: boolean;
  problems: ConfigProblem[];
  summary?: string;
}

/** Structure, references, and every policy's own config: what the gateway would refuse at load. */
export async function validateConfigFile(file: string): Promise<ValidationReport> {
  const read = await readConfigFile(file);
  if (!read.ok) return { ok: false, problems: read.problems };
  const validated = validateDocument(read.value);
  if (!validated.ok) return { ok: false, problems: validated.problems };
  const doc = validated.value;
  const stores = createStores({ logger: silentLogger() });
  const pools = new PoolManager();
  try {
    const compiled = compileConfig(doc, {
      logger: silentLogger(),
      counters: stores.counters,
      responseCache: stores.responseCache,
      pools,
      baseDir: path.dirname(path.resolve(file)),
    });
    await compiled.close();
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, problems: error.problems };
    throw error;
  } finally {
    await pools.close();
    await stores.close();
  }
  const apps = doc.applications ?? [];
  const subscriptions = apps.reduce((n, a) => n + a.subscriptions.length, 0);
  const keys = apps.reduce((n, a) => n + a.subscriptions.reduce((m, s) => m + (s.apiKeys?.length ?? 0), 0), 0);
  const plans = doc.apis.reduce((n, a) => n + a.plans.length, 0);
  return {
    ok: true,
    problems: [],
    summary: `${file} is valid: ${doc.apis.length} API(s), ${plans} plan(s), ${apps.length} application(s), ${subscriptions} subscription(s), ${keys} API key(s)`,
  };
}

export function printReport(
  report: ValidationReport,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): number {
  if (report.ok) {
    out.write(`${report.summary}\n`);
    return 0;
  }
  err.write(`${formatProblems(report.problems)}\n`);
  err.write(`${report.problems.length} problem(s) found\n`);
  return 1;
}
