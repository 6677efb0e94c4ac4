/**
 * `npm run bench:gateway-memory [-- --keys 100000]`: a standalone gateway's resident memory idle,
 * without keys and with `--keys` API keys (10 per application, as hashes, like a control plane's
 * document), each in a fresh process; and, with keys, the CPU time of a credential delta (one
 * application's keys revoked: `applyCredentials`) against applying the whole document again; and
 * a deploy as a definition delta (protocol 4: `applyDefinition`, a new revision compiled around the
 * kept credential index, one key revoked in the same delta) against the same deploy as a snapshot
 * (parse and digest the message's document, then apply it whole, slow parts off the event loop).
 * RSS is read after a forced GC and a few seconds idle.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const KEYS_PER_APPLICATION = 10;

interface ChildFigures {
  keys: number;
  startMs: number;
  rssMiB: number;
  heapMiB: number;
  deltaCpuMs?: number;
  fullApplyCpuMs?: number;
  deltaRevoked?: boolean;
  definitionCpuMs?: number;
  definitionKeys?: number;
  snapshotParseCpuMs?: number;
  snapshotApplyCpuMs?: number;
}

function document(keys: number): Record<string, unknown> {
  const applications = [];
  for (let a = 0; a * KEYS_PER_APPLICATION < keys; a++) {
    const apiKeys = [];
    for (let k = 0; k < KEYS_PER_APPLICATION && a * KEYS_PER_APPLICATION + k < keys; k++)
      apiKeys.push({
        id: `k${a}-${k}`,
        keyHash: `sha256:${createHash('sha256').update(`key-${a}-${k}`).digest('hex')}`,
      });
    applications.push({ id: `app-${a}`, name: `App ${a}`, subscriptions: [{ api: 'orders', plan: 'gold', apiKeys }] });
  }
  return {
    version: 1,
    metadata: { configVersion: `bench-${keys}` },
    apis: [
      {
        id: 'orders',
        name: 'Orders',
        basePath: '/orders',
        upstream: { targets: [{ url: 'http://127.0.0.1:9' }] },
        plans: [
          {
            id: 'gold',
            security: { type: 'api-key' },
            policies: [{ policy: 'rate-limit', config: { limit: 100, window: '1m' } }],
          },
        ],
      },
    ],
    applications,
  };
}

const cpuMsAsync = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
};

const cpuMs = (fn: () => unknown): number => {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
};

async function child(file: string): Promise<void> {
  const { startGateway } = await import('@gatehouse/gateway');
  const { silentLogger } = await import('@gatehouse/core');
  const doc = JSON.parse(await readFile(file, 'utf8')) as ReturnType<typeof document>;
  const keys = Number(process.env.BENCH_KEYS ?? 0);
  const t0 = performance.now();
  const gateway = await startGateway({
    document: doc,
    host: '127.0.0.1',
    port: 0,
    admin: false,
    logger: silentLogger(),
    accessLog: 'off',
  });
  const startMs = performance.now() - t0;
  const figures: ChildFigures = { keys, startMs, rssMiB: 0, heapMiB: 0 };
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((r) => setTimeout(r, 3000));
  gc?.();
  const usage = process.memoryUsage();
  figures.rssMiB = usage.rss / 2 ** 20;
  figures.heapMiB = usage.heapUsed / 2 ** 20;
  if (keys > 0) {
    const apps = doc.applications as Array<{ id: string; name: string; subscriptions: Array<{ apiKeys: unknown[] }> }>;
    const revoke = (app: (typeof apps)[number]) => ({
      ...app,
      subscriptions: [{ ...app.subscriptions[0]!, apiKeys: app.subscriptions[0]!.apiKeys.slice(1) }],
    });
    // The first delta also compiles the application validator: the second is measured.
    gateway.applyCredentials({ upsert: [revoke(apps[1]!) as never], delete: [] });
    const revoked = revoke(apps[0]!);
    const before = gateway.current()!.keyCount;
    figures.deltaCpuMs = cpuMs(() => gateway.applyCredentials({ upsert: [revoked as never], delete: [] }));
    figures.deltaRevoked = gateway.current()!.keyCount === before - 1;
    const whole = { ...doc, applications: [revoked, revoke(apps[1]!), ...apps.slice(2)] };
    figures.fullApplyCpuMs = cpuMs(() => gateway.apply(whole));

    // A deploy: revision 2 of the API (another rate limit), two keys of another application revoked with it.
    const { applications: _apps, ...definition } = whole as {
      applications: unknown;
      apis: Array<{ plans: Array<Record<string, unknown>> } & Record<string, unknown>>;
    } & Record<string, unknown>;
    const apis = definition.apis.map((api) => ({
      ...api,
      revision: 2,
      plans: api.plans.map((plan) => ({
        ...plan,
        policies: [{ policy: 'rate-limit', config: { limit: 200, window: '1m' } }],
      })),
    }));
    const deployed = { ...definition, apis, metadata: { configVersion: `bench-${keys}-r2` } };
    const revokedAgain = revoke(revoke(apps[2]!) as never);
    // Warm-up of the path (validators), then measured.
    await gateway.applyDefinition({ ...deployed, metadata: { configVersion: 'warm' } }, { upsert: [], delete: [] });
    const keysBefore = gateway.current()!.keyCount;
    figures.definitionCpuMs = await cpuMsAsync(() =>
      gateway.applyDefinition(deployed, { upsert: [revokedAgain as never], delete: [] }),
    );
    figures.definitionKeys = keysBefore - gateway.current()!.keyCount;
    // The same deploy as a snapshot: the gateway parses the message and hashes its document (digest),
    // then applies the whole document.
    const snapshotText = JSON.stringify({ document: { ...deployed, applications: whole.applications } });
    const { canonicalJson } = await import('@gatehouse/core');
    let parsed: { document: Record<string, unknown> } | undefined;
    figures.snapshotParseCpuMs = cpuMs(() => {
      parsed = JSON.parse(snapshotText) as { document: Record<string, unknown> };
      createHash('sha256').update(canonicalJson(parsed.document)).digest('hex');
    });
    figures.snapshotApplyCpuMs = await cpuMsAsync(() =>
      gateway.applyAsync({ ...parsed!.document, metadata: { configVersion: `bench-${keys}-r3` } }),
    );
  }
  await gateway.close();
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

async function measure(dir: string, keys: number): Promise<ChildFigures> {
  const file = path.join(dir, `doc-${keys}.json`);
  await writeFile(file, JSON.stringify(document(keys)));
  const self = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, ['--expose-gc', self, '--child', file], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_KEYS: String(keys) },
  });
  let out = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    out += chunk;
  });
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  if (code !== 0) throw new Error(`gateway child exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as ChildFigures;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { keys: { type: 'string', default: '100000' }, child: { type: 'string' } } });
  if (values.child) return child(values.child);
  const dir = await mkdtemp(path.join(tmpdir(), 'gh-gw-memory-'));
  try {
    for (const keys of [0, Number(values.keys)]) {
      const f = await measure(dir, keys);
      const delta =
        f.deltaCpuMs === undefined
          ? ''
          : `; one application's key revoked: credential delta ${f.deltaCpuMs.toFixed(2)} ms CPU (took effect: ${f.deltaRevoked}), whole document applied again ${f.fullApplyCpuMs!.toFixed(0)} ms CPU` +
            `; a deploy: definition delta ${f.definitionCpuMs!.toFixed(1)} ms CPU (keys revoked with it: ${f.definitionKeys}), as a snapshot ${f.snapshotParseCpuMs!.toFixed(0)} ms to parse and digest + ${f.snapshotApplyCpuMs!.toFixed(0)} ms to apply`;
      console.log(
        `${String(keys).padStart(7)} keys: RSS ${f.rssMiB.toFixed(1)} MiB (heap used ${f.heapMiB.toFixed(1)} MiB), start ${f.startMs.toFixed(0)} ms${delta}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
