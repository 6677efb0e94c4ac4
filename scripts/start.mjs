// `npm start`: build (incremental: seconds when nothing changed), then `gatehouse up` in this
// process, saying what it does from the first second: the first build takes a while.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const started = performance.now();
process.stderr.write('Starting Gatehouse\n  building (tsc -b) ...');
const build = spawnSync(process.execPath, [tsc, '-b', path.join(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
});
if (build.status !== 0) {
  process.stderr.write(` failed\n${build.stdout ?? ''}`);
  process.exit(build.status ?? 1);
}
process.stderr.write(` ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
process.argv = [process.argv[0], path.join(root, 'packages/cli/dist/main.js'), 'up', ...process.argv.slice(2)];
await import('../packages/cli/dist/main.js');
