import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));
const packages = ['core', 'config', 'policies', 'gateway', 'control-plane', 'cli'];
const withTesting = ['core', 'policies', 'gateway', 'control-plane'];

// Three projects, chosen by what a test file needs (docs/decisions/0008-test-layout.md):
// - unit: nothing outside its own process: no database (PGlite or PostgreSQL), no spawned process,
//   no browser. Loopback sockets in the same process are fine. vitest.unit-guard.ts refuses the rest.
// - integration, `*.int.test.ts`: a database (PGlite; PostgreSQL, Redis when DATABASE_URL, REDIS_URL
//   are set) or a control plane in this process, or a helper process (openssl, redis-server); still no
//   product process (gateway, control plane, CLI), no browser, no build.
// - system, listed here: the product as processes, the built dist, browsers (below).
const INTEGRATION = ['packages/*/src/**/*.int.test.ts'];

// Whole-system tests: a real control plane with spawned gateways, `gatehouse up`, worker threads,
// the CLI as a process, the built catalog in a fresh process, the console and portal in a browser
// and the hostile-input suite.
const SYSTEM = [
  'packages/gateway/src/hybrid/control-plane.test.ts',
  'packages/gateway/src/hybrid/up.test.ts',
  'packages/gateway/src/workers/*.test.ts',
  'packages/control-plane/src/compiler/document-build.test.ts',
  'packages/policies/src/catalog-entry.test.ts',
  'packages/cli/src/*.test.ts',
  'packages/console/e2e/**/*.test.ts',
  'packages/portal/e2e/**/*.test.ts',
  'packages/hostile/src/**/*.test.ts',
];

// Tests import workspace packages from source, so unit and integration tests need no build;
// system tests that spawn the CLI use the built dist (npm test builds first).
// Exact-match aliases: `@gatehouse/gateway/testing` must not resolve through `@gatehouse/gateway`.
// Node 24 is the supported runtime (reusePort, crypto, the native add-ons' ABI): under an older `node` on the PATH
// tests fail in confusing ways (EADDRINUSE from workers, crashing forks), so say it once, plainly.
const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < 24)
  throw new Error(
    `Node ${process.versions.node} is too old for the tests: run \`. scripts/ensure-node.sh\` first (Node 24)`,
  );

export default defineConfig({
  resolve: {
    alias: [
      ...withTesting.map((name) => ({
        find: new RegExp(`^@gatehouse/${name}/testing$`),
        replacement: src(`${name}/src/testing/index.ts`),
      })),
      ...packages.map((name) => ({
        find: new RegExp(`^@gatehouse/${name}$`),
        replacement: src(`${name}/src/index.ts`),
      })),
    ],
  },
  test: {
    // `npm test` runs all three; `npm run test:unit` / `test:integration` one each (`--project`).
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...INTEGRATION, ...SYSTEM],
          setupFiles: ['./vitest.unit-guard.ts'],
          // Unit files share worker threads and their module graph: loading the workspace's modules
          // afresh per file was ~75 % of the unit run (137 s -> 37 s quiet). The price is that a unit
          // test must leave no global state behind (env, timers, module-level settings): restore it.
          pool: 'threads',
          isolate: false,
        },
      },
      {
        extends: true,
        test: { name: 'integration', include: INTEGRATION, exclude: [...configDefaults.exclude, ...SYSTEM] },
      },
      { extends: true, test: { name: 'system', include: SYSTEM } },
    ],
    // Spawned gateways serve in one process unless a test asks for workers (packages/gateway/src/workers):
    // `auto` would start one worker thread per CPU in every gateway the suite spawns.
    env: { GATEHOUSE_WORKERS: '1' },
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time: most system tests wait on spawned processes, browsers and sockets, not on CPU.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
