/**
 * `gatehouse gateway --workers 2` as a process: serves on one port from two worker threads, reloads
 * every worker on SIGHUP, reports two running workers, refuses a bad --workers, drains on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '@gatehouse/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
const cli = path.join(root, 'packages/cli/dist/main.js');
const children: ChildProcess[] = [];
let dir: string;
let upstream: http.Server;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'gh-workers-cli-'));
  upstream = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
});
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(tag: string): string {
  const port = (upstream.address() as AddressInfo).port;
  return `version: 1
apis:
  - id: t
    name: T
    basePath: /t
    upstream: { targets: [{ url: "http://127.0.0.1:${port}" }] }
    policies:
      - policy: set-headers
        config: { response: { set: { x-config: ${tag} } } }
    plans: [{ id: open, security: { type: keyless } }]
`;
}

function get(port: number, p: string): Promise<{ status: number; tag: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, tag: res.headers['x-config'] as string }));
      })
      .on('error', reject);
  });
}

describe('gatehouse gateway --workers', () => {
  it('refuses a --workers that is neither auto nor a count', async () => {
    const child = spawn(process.execPath, [cli, 'gateway', '--config', 'x.yaml', '--workers', 'many'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toBe('--workers takes auto or a number from 1 to 9999\n');
  });

  it('serves from two workers, reloads both on SIGHUP and drains on SIGTERM', { timeout: 120_000 }, async () => {
    const file = path.join(dir, 'gatehouse.yaml');
    writeFileSync(file, config('v1'));
    const [port, adminPort] = await freePorts(2);
    const child = spawn(
      process.execPath,
      [
        cli,
        'gateway',
        '--config',
        file,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--admin-port',
        String(adminPort),
        '--access-log',
        'off',
        '--workers',
        '2',
      ],
      { env: { ...process.env, LOG_FORMAT: 'json', GATEHOUSE_WORKERS: 'auto' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await expect.poll(() => stdout.includes('"gateway listening"'), { timeout: 60_000 }).toBe(true);
    expect(JSON.parse(stdout.split('\n').find((l) => l.includes('"gateway listening"')) ?? '{}').workers).toBe(2);

    const status = (await (await fetch(`http://127.0.0.1:${adminPort}/status`)).json()) as {
      workers: { running: number };
    };
    expect(status.workers.running).toBe(2);
    const v1 = await Promise.all(Array.from({ length: 20 }, () => get(port!, '/t/')));
    expect(new Set(v1.map((a) => `${a.status} ${a.tag}`))).toEqual(new Set(['200 v1']));

    writeFileSync(file, config('v2'));
    child.kill('SIGHUP');
    await expect.poll(async () => (await get(port!, '/t/')).tag, { timeout: 20_000 }).toBe('v2');
    const v2 = await Promise.all(Array.from({ length: 20 }, () => get(port!, '/t/')));
    expect(new Set(v2.map((a) => `${a.status} ${a.tag}`))).toEqual(new Set(['200 v2']));

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(get(port!, '/t/')).rejects.toThrow(/ECONNREFUSED/);
  });
});
