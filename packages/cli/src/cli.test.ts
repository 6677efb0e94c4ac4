import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from '@gatehouse/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const cli = path.join(root, 'packages/cli/dist/main.js');

async function gatehouse(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('gatehouse validate', () => {
  it('accepts the quickstart and prints a summary', async () => {
    const result = await gatehouse(['validate', 'examples/quickstart.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('is valid: 2 API(s), 2 plan(s), 1 application(s), 1 subscription(s), 1 API key(s)');
  });

  it('prints every problem with its path and exits 1', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-validate-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(
      file,
      stringify({
        version: 1,
        apis: [
          {
            id: 'a',
            name: 'A',
            basePath: '/a',
            upstream: { targets: [{ url: 'ftp://x' }], timeouts: { connect: 'fast' } },
            plans: [
              {
                id: 'p',
                security: { type: 'keyless' },
                policies: [{ policy: 'rate-limit', config: { limit: -1, window: '1m' } }],
              },
            ],
          },
        ],
      }),
    );
    const structural = await gatehouse(['validate', file]);
    expect(structural.code).toBe(1);
    expect(structural.stderr).toContain('apis[0].upstream.targets[0].url: must be an http(s) URL');
    expect(structural.stderr).toContain('apis[0].upstream.timeouts.connect: must be a duration');

    writeFileSync(
      file,
      stringify({
        version: 1,
        apis: [
          {
            id: 'a',
            name: 'A',
            basePath: '/a',
            upstream: { targets: [{ url: 'http://127.0.0.1:1' }] },
            plans: [
              {
                id: 'p',
                security: { type: 'keyless' },
                policies: [{ policy: 'rate-limit', config: { limit: -1, window: '1m' } }, { policy: 'nope' }],
              },
            ],
          },
        ],
      }),
    );
    const policies = await gatehouse(['validate', file]);
    expect(policies.code).toBe(1);
    expect(policies.stderr).toContain('apis[0].plans[0].policies[0].config.limit');
    expect(policies.stderr).toContain('apis[0].plans[0].policies[1].policy: unknown policy "nope"');
  });
});

describe('gatehouse validate: one pass', () => {
  it('reports a schema error, a dangling reference and a bad policy config in the same run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-validate-'));
    const file = path.join(dir, 'three.yaml');
    writeFileSync(
      file,
      stringify({
        version: 1,
        apis: [
          {
            id: 'a',
            name: 'A',
            basePath: '/a',
            upstream: { targets: [{ url: 'http://127.0.0.1:1' }], timeouts: { connect: 'fast' } },
            plans: [
              {
                id: 'p',
                security: { type: 'api-key' },
                policies: [{ policy: 'rate-limit', config: { limit: 5, windw: '1m' } }],
              },
            ],
          },
        ],
        applications: [{ id: 'app', name: 'App', subscriptions: [{ api: 'a', plan: 'gold' }] }],
      }),
    );
    const result = await gatehouse(['validate', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('apis[0].upstream.timeouts.connect: must be a duration');
    expect(result.stderr).toContain('applications[0].subscriptions[0].plan: API "a" has no plan "gold"');
    expect(result.stderr).toContain(
      'apis[0].plans[0].policies[0].config.windw: is not a known field (did you mean "window"?)',
    );
    expect(result.stderr).toContain('problem(s) found');
  });

  it('shows a YAML syntax error with its line and a caret', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-validate-'));
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(file, 'version: 1\napis:\n  - id: a\n    name: A: B\n');
    const result = await gatehouse(['validate', file]);
    expect(result.code).toBe(1);
    const lines = result.stderr.split('\n');
    const head = lines.findIndex((l) => l.startsWith(`${file}:`));
    expect(lines[head]).toMatch(/^.*broken\.yaml:4:11: Nested mappings are not allowed/);
    expect(lines[head + 1]).toBe('4 |     name: A: B');
    expect(lines[head + 2]).toBe(`${' '.repeat('4 | '.length + 10)}^`);
  });
});

describe('gatehouse gateway (process)', () => {
  let upstream: http.Server;
  let upstreamPort: number;
  let gateway: ChildProcess;
  let port: number;
  let adminPort: number;
  let file: string;
  let output = '';

  const doc = (body: string) =>
    stringify({
      version: 1,
      apis: [
        {
          id: 'a',
          name: 'A',
          basePath: '/a',
          upstream: { targets: [{ url: `http://127.0.0.1:${upstreamPort}` }] },
          plans: [{ id: 'open', security: { type: 'keyless' } }],
          routes: [
            { path: '/hello', policies: [{ policy: 'mock-response', config: { status: 200, body } }] },
            { path: '/slow' },
          ],
        },
      ],
    });

  async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`condition not met in ${ms} ms; gateway output:\n${output}`);
  }

  const body = async (p: string) => (await fetch(`http://127.0.0.1:${port}${p}`)).text();

  beforeAll(async () => {
    upstream = http.createServer((_req, res) => setTimeout(() => res.end('slow done'), 500));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as net.AddressInfo).port;
    [port, adminPort] = (await freePorts(2)) as [number, number];
    file = path.join(mkdtempSync(path.join(tmpdir(), 'gatehouse-gw-')), 'gateway.yaml');
    writeFileSync(file, doc('v1'));
    gateway = spawn(
      process.execPath,
      [
        cli,
        'gateway',
        '--config',
        file,
        '--port',
        String(port),
        '--admin-port',
        String(adminPort),
        '--host',
        '127.0.0.1',
      ],
      { cwd: root },
    );
    gateway.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    gateway.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status === 200, 15_000);
  });

  afterAll(async () => {
    if (gateway.exitCode === null) gateway.kill('SIGKILL');
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });

  it('serves the file and logs one JSON access line per request', async () => {
    expect(await body('/a/hello')).toBe('v1');
    await waitFor(async () => output.includes('"kind":"access"'));
    const line = output.split('\n').find((l) => l.includes('"kind":"access"'))!;
    expect(JSON.parse(line)).toMatchObject({ api: 'a', plan: 'open', status: 200, path: '/a/hello' });
  });

  it('reloads on file change, and refuses an invalid edit while serving the last good config', async () => {
    writeFileSync(file, doc('v2'));
    await waitFor(async () => (await body('/a/hello')) === 'v2');
    writeFileSync(file, 'version: 1\napis: [ { id: broken } ]\n');
    await waitFor(async () => output.includes('config reload refused'));
    expect(await body('/a/hello')).toBe('v2');
  });

  it('reloads on SIGHUP', async () => {
    writeFileSync(file, doc('v3'));
    gateway.kill('SIGHUP');
    await waitFor(async () => (await body('/a/hello')) === 'v3');
  });

  it('drains in-flight requests on SIGTERM, then exits 0', async () => {
    const inflight = fetch(`http://127.0.0.1:${port}/a/slow`).then(async (r) => ({
      status: r.status,
      text: await r.text(),
    }));
    await new Promise((r) => setTimeout(r, 100));
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', (code) => resolve(code)));
    gateway.kill('SIGTERM');
    expect(await inflight).toEqual({ status: 200, text: 'slow done' });
    expect(await exited).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('v3');
  });
});
