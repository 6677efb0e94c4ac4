#!/usr/bin/env node
// The `gatehouse` command. A committed, executable file (npm links and chmods it at install, before
// anything is built), which runs the compiled CLI.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('gatehouse: the CLI is not built yet: run `npm run build` in the repository\n');
  process.exit(1);
}
await import(main.href);
