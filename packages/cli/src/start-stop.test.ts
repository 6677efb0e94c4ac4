/**
 * Starting and stopping the real CLI process as a first user does: --version and --help, a port
 * already taken (one line naming the port and how to change it, exit 1, nothing left listening),
 * Ctrl-C during a slow start, and a lost admin password.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts, serviceUrl } from '@gatehouse/core/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
const cli = path.join(root, 'packages/cli/dist/main.js');
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; ms: number }>;
}

function start(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {}): Run {
  const began = Date.now();
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, LOG_FORMAT: 'json', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdin!.end(options.stdin ?? '');
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, ms: Date.now() - began })),
  );
  return { child, output: () => ({ stdout, stderr }), exited };
}

async function runToEnd(args: string[], options: Parameters<typeof start>[1] = {}) {
  const run = start(args, options);
  const { code, ms } = await run.exited;
  return { code, ms, ...run.output() };
}

function occupy(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject).listen(port, '127.0.0.1', () => resolve(server));
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const STACK_LINE = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

describe('gatehouse --version and --help', () => {
  it('prints the version', { timeout: 30_000 }, async () => {
    const result = await runToEnd(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^gatehouse \d+\.\d+\.\d+\n$/);
  });

  it('runs as `npx gatehouse` from the repository (the linked bin is executable before any build)', {
    timeout: 60_000,
  }, async () => {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('npx', ['--no-install', 'gatehouse', '--version'], { cwd: root }, (error, out) =>
        error ? reject(error) : resolve(out),
      ),
    );
    expect(stdout).toMatch(/^gatehouse \d+\.\d+\.\d+\n$/);
  });

  it('answers --help for every command without a stack trace, and a wrong flag with one line and the help', async () => {
    for (const command of ['up', 'gateway', 'control-plane', 'validate', 'quickstart', 'docs']) {
      const result = await runToEnd([command, '--help']);
      expect(result.code, `${command} --help: ${result.stderr}`).toBe(0);
      expect(result.stdout).toContain(`gatehouse ${command}`);
      expect(result.stdout + result.stderr).not.toMatch(STACK_LINE);
    }
    const admin = await runToEnd(['admin', 'reset-password', '--help']);
    expect(admin.code).toBe(0);
    expect(admin.stdout).toContain('gatehouse admin reset-password --email');

    const wrong = await runToEnd(['up', '--prot', '9000']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.split('\n')[0]).toBe("gatehouse: Unknown option '--prot'");
    expect(wrong.stderr).toContain('gatehouse up [--port 8080]');
    expect(wrong.stderr).not.toMatch(STACK_LINE);
  }, 120_000);
});

describe('a port already taken', () => {
  it('gateway: one line naming the port and the flag, exit 1, the admin port released', async () => {
    const [port, adminPort] = (await freePorts(2)) as [number, number];
    const taken = await occupy(adminPort);
    try {
      const result = await runToEnd([
        'gateway',
        '--config',
        'examples/quickstart.yaml',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--admin-port',
        String(adminPort),
      ]);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toBe(
        `gatehouse: port ${adminPort} (gateway admin) is already in use; choose another with --admin-port or GATEHOUSE_ADMIN_PORT\n`,
      );
      expect(await portIsFree(port)).toBe(true);
    } finally {
      taken.close();
    }
  });

  it('control-plane: fails before opening the database', async () => {
    const [port] = (await freePorts(1)) as [number];
    const taken = await occupy(port);
    const cwd = mkdtempSync(path.join(tmpdir(), 'gh-cp-port-'));
    dirs.push(cwd);
    try {
      const result = await runToEnd(['control-plane', '--port', String(port)], { cwd });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toBe(
        `gatehouse: port ${port} (control plane) is already in use; choose another with --port or GATEHOUSE_CP_PORT\n`,
      );
    } finally {
      taken.close();
    }
  });

  it('up: one line, exit 1, and nothing it started keeps running (demo upstreams, control plane)', async () => {
    const ports = await freePorts(6);
    const [gw, admin, cp, ...upstreams] = ports as [number, number, number, number, number, number];
    const taken = await occupy(gw);
    const cwd = mkdtempSync(path.join(tmpdir(), 'gh-up-port-'));
    dirs.push(cwd);
    try {
      const result = await runToEnd(
        [
          'up',
          '--port',
          String(gw),
          '--admin-port',
          String(admin),
          '--cp-port',
          String(cp),
          '--upstream-ports',
          upstreams.join(','),
        ],
        { cwd },
      );
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toBe(
        `gatehouse: port ${gw} (gateway) is already in use; choose another with --port or GATEHOUSE_PORT\n`,
      );
      for (const port of [admin, cp, ...upstreams]) expect(await portIsFree(port), `port ${port}`).toBe(true);
    } finally {
      taken.close();
    }
  }, 30_000);
});

describe('Ctrl-C', () => {
  it('stops `up` promptly in the middle of its start, showing progress until then', async () => {
    const ports = await freePorts(6);
    const [gw, admin, cp, ...upstreams] = ports as [number, number, number, number, number, number];
    const cwd = mkdtempSync(path.join(tmpdir(), 'gh-up-sigint-'));
    dirs.push(cwd);
    const run = start(
      [
        'up',
        '--port',
        String(gw),
        '--admin-port',
        String(admin),
        '--cp-port',
        String(cp),
        '--upstream-ports',
        upstreams.join(','),
      ],
      { cwd },
    );
    const deadline = Date.now() + 30_000;
    // The first start is slow (the embedded database is created): interrupt it there.
    while (!run.output().stderr.includes('creating the embedded database')) {
      if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(JSON.stringify(run.output()));
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(run.output().stderr).toMatch(/starting the demo upstreams \.\.\. \d+\.\d s/);
    const signalled = Date.now();
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(Date.now() - signalled).toBeLessThan(6_000);
    expect(code).toBe(0);
    for (const port of upstreams) expect(await portIsFree(port), `port ${port}`).toBe(true);
  }, 40_000);
});

const postgres = serviceUrl('DATABASE_URL');

describe.skipIf(postgres.skipReason)('gatehouse admin reset-password', () => {
  it('sets a new password, ends the sessions and records it in the audit trail', async () => {
    const { openDatabase, migrate } = await import('@gatehouse/control-plane');
    const { sql } = await import('drizzle-orm');
    const handle = await openDatabase({ databaseUrl: postgres.url });
    try {
      await migrate(handle.db);
      // The handle's database is a union of the two drivers: its execute() rows are untyped.
      const rowsOf = async <Row>(query: Parameters<typeof handle.db.execute>[0]) =>
        ((await handle.db.execute(query)) as unknown as { rows: Row[] }).rows;
      const email = `lost-${Date.now()}@example.test`;
      const userId = crypto.randomUUID();
      const [org] = await rowsOf<{ id: string }>(sql`SELECT id FROM organizations ORDER BY created_at LIMIT 1`);
      const orgId = org?.id ?? crypto.randomUUID();
      if (!org)
        await handle.db.execute(
          sql`INSERT INTO organizations (id, slug, name) VALUES (${orgId}, 'default', 'Default')`,
        );
      const { createUser } = await import('../../control-plane/src/services/users.js');
      await createUser(handle.db, orgId, null, { email, name: 'Lost', password: 'the-old-password-1', isAdmin: true });
      const [user] = await rowsOf<{ id: string }>(sql`SELECT id FROM users WHERE email = ${email}`);
      await handle.db.execute(
        sql`INSERT INTO auth_tokens (id, user_id, kind, token_hash, prefix, expires_at)
            VALUES (${userId}, ${user!.id}, 'session', ${`hash-${userId}`}, 'ghs_', now() + interval '1 hour')`,
      );

      const result = await runToEnd(['admin', 'reset-password', '--email', email.toUpperCase()], {
        env: { DATABASE_URL: postgres.url },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`Password reset for ${email}; 1 session(s) and token(s) ended`);
      const password = /New password \(shown once\):\n\n {4}(\S+)/.exec(result.stdout)?.[1];
      expect(password).toBeDefined();

      const { verifyPassword } = await import('../../control-plane/src/auth/passwords.js');
      const [after] = await rowsOf<{ password_hash: string }>(
        sql`SELECT password_hash FROM users WHERE email = ${email}`,
      );
      expect(await verifyPassword(after!.password_hash, password!)).toBe(true);
      const [token] = await rowsOf<{ revoked_at: Date | null }>(
        sql`SELECT revoked_at FROM auth_tokens WHERE id = ${userId}`,
      );
      expect(token!.revoked_at).not.toBeNull();
      const audit = await rowsOf<{ action: string }>(
        sql`SELECT action FROM audit_events WHERE entity_id = ${user!.id} AND action = 'user.password_reset'`,
      );
      expect(audit).toHaveLength(1);

      const unknown = await runToEnd(['admin', 'reset-password', '--email', 'nobody@example.test'], {
        env: { DATABASE_URL: postgres.url },
      });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe('gatehouse: no user with e-mail nobody@example.test\n');
    } finally {
      await handle.close();
    }
  }, 180_000);
});
