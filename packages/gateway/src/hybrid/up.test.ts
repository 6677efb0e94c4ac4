/**
 * `gatehouse up` as a user runs it (the built CLI, in a fresh directory): everything starts, the
 * printed key works through the hybrid gateway, and a second `up` on the same data reuses it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from '@gatehouse/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, CLI } from './test-support/processes.js';

let cwd: string | undefined;
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

async function up(dir: string, ports: number[]): Promise<{ summary: string; stop: () => Promise<number | null> }> {
  const [gw, admin, cpPort, ...upstreams] = ports;
  const child = spawn(
    process.execPath,
    [
      CLI,
      'up',
      '--port',
      String(gw),
      '--admin-port',
      String(admin),
      '--cp-port',
      String(cpPort),
      '--upstream-ports',
      upstreams.join(','),
    ],
    { cwd: dir, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 120_000;
  while (!out.includes('curl http')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`gatehouse up did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    summary: out,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('gatehouse up', () => {
  it('starts the control plane and a hybrid gateway serving the demo API; a second run reuses the data', {
    timeout: 300_000,
  }, async () => {
    assertCliBuilt();
    cwd = await mkdtemp(path.join(os.tmpdir(), 'gh-up-'));
    const ports = await freePorts(6);
    let previousKey: string | undefined;
    for (const run of [1, 2]) {
      const started = await up(cwd, ports);
      const key = /X-Api-Key: ([^']+)'/.exec(started.summary)?.[1];
      const gatewayUrl = /gateway: +(http:\/\/\S+)/.exec(started.summary)?.[1];
      expect(key, started.summary).toBeDefined();
      expect(started.summary).toMatch(/admin login: +admin@gatehouse\.local/);
      if (run === 1) expect(started.summary).toMatch(/password: \S+/);
      const withKey = await fetch(`${gatewayUrl}/orders/`, { headers: { 'x-api-key': key! } });
      expect(withKey.status).toBe(200);
      expect(((await withKey.json()) as { server: string }).server).toMatch(/^orders-/);
      expect((await fetch(`${gatewayUrl}/orders/`)).status).toBe(401);
      // One valid demo key at a time: a new start replaces (revokes) the previous one.
      if (previousKey) {
        expect(key).not.toBe(previousKey);
        expect((await fetch(`${gatewayUrl}/orders/`, { headers: { 'x-api-key': previousKey } })).status).toBe(401);
      }
      previousKey = key;
      // The status API has its own upstream (the third demo port).
      expect(((await (await fetch(`${gatewayUrl}/status/`)).json()) as { service: string }).service).toBe('status');
      expect(await started.stop()).toBe(0);
    }
  });
});
