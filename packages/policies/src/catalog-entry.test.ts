/**
 * The catalog entry point as the control plane and the CLI load it: a fresh Node process on the
 * built package (so a system test: it needs `npm run build` and spawns a process).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('policy catalog entry point', () => {
  it('is a light entry point: importing it loads neither Redis, argon2 nor undici', async () => {
    // A fresh process on the built package, as the control plane and the CLI import it.
    const probe = `
      await import('@gatehouse/policies/catalog');
      const { createRequire } = await import('node:module');
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      const heavy = ['ioredis', 'argon2', 'undici'].filter((name) => loaded.some((file) => file.includes('/node_modules/' + name + '/')));
      console.log(JSON.stringify(heavy));
    `;
    const cwd = path.resolve(import.meta.dirname, '..');
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd });
    expect(JSON.parse(stdout)).toEqual([]);
    // The probe sees them when they are loaded: the full entry point does load them.
    const { stdout: full } = await run(process.execPath, ['--input-type=module', '-e', probe.replace('/catalog', '')], {
      cwd,
    });
    expect(JSON.parse(full)).toEqual(expect.arrayContaining(['ioredis', 'argon2', 'undici']));
  });
});
