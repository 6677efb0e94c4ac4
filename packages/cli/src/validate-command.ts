import path from 'node:path';
import { type ConfigProblem, formatProblems, readConfigFile } from '@gatehouse/config';
import { checkConfigDocument } from '@gatehouse/policies/catalog';

export interface ValidationReport {
  ok: boolean;
  problems: ConfigProblem[];
  summary?: string;
}

/**
 * Structure, references, and every policy's and security type's config, in one pass: what a gateway
 * would refuse at load, without building stores or connection pools. Only what depends on the
 * gateway's environment (files, environment variables, JWKS) is left to the gateway.
 */
export async function validateConfigFile(file: string): Promise<ValidationReport> {
  const read = await readConfigFile(file);
  if (!read.ok) return { ok: false, problems: read.problems };
  const dir = path.dirname(path.resolve(file));
  const validated = checkConfigDocument(read.value, { resolvePath: (p) => path.resolve(dir, p) });
  if (!validated.ok) return { ok: false, problems: validated.problems };
  const doc = validated.value;
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
