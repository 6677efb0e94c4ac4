import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { configReference, jsonSchemaText, policyReference } from './generate.js';

function repoRoot(): string {
  return process.env.GATEHOUSE_REPO_ROOT ?? process.cwd();
}

export function generatedFiles(): Record<string, string> {
  return {
    'docs/config-reference.md': configReference(),
    'docs/policies.md': policyReference(),
    'schema/gatehouse.schema.json': jsonSchemaText(),
  };
}

/** `docs --write` regenerates; `docs --check` exits 1 when a committed file differs from what the schemas produce. */
export async function runDocs(args: string[]): Promise<number> {
  const write = args.includes('--write');
  const check = args.includes('--check');
  if (write === check) {
    process.stderr.write('usage: gatehouse docs --write | --check\n');
    return 2;
  }
  const root = repoRoot();
  const stale: string[] = [];
  for (const [file, content] of Object.entries(generatedFiles())) {
    const target = path.join(root, file);
    if (write) {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
      process.stdout.write(`wrote ${file}\n`);
    } else {
      const current = await readFile(target, 'utf8').catch(() => '');
      if (current !== content) stale.push(file);
    }
  }
  if (check && stale.length > 0) {
    process.stderr.write(
      `generated docs are out of date: ${stale.join(', ')}\nrun \`npm run docs\` and commit the result\n`,
    );
    return 1;
  }
  if (check) process.stdout.write('generated docs are up to date\n');
  return 0;
}
