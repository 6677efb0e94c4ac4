/**
 * The `unit` project's guard (vitest.unit-guard.ts): a unit test that opens a database or spawns a
 * process fails at once, naming the rule, so `npm run test:unit` stays fast.
 */
import { execFileSync, spawn } from 'node:child_process';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './connect.js';

describe('unit project guard', () => {
  it('refuses PGlite and PostgreSQL', async () => {
    await expect(openDatabase({})).rejects.toThrow(/PGlite in a unit test.*\*\.int\.test\.ts/);
    await expect(openDatabase({ databaseUrl: 'postgres://127.0.0.1:1/none' })).rejects.toThrow(
      /PostgreSQL connection in a unit test/,
    );
    expect(() => new pg.Client()).toThrow(/unit test/);
  });

  it('refuses spawning a process', () => {
    expect(() => spawn('node', ['--version'])).toThrow(/child_process.spawn in a unit test/);
    expect(() => execFileSync('node', ['--version'])).toThrow(/child_process.execFileSync in a unit test/);
  });
});
