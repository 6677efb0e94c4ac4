/**
 * Setup file of the `unit` vitest project: a unit test needs nothing outside its own process, so
 * opening a database (PGlite, PostgreSQL or Redis) or spawning a process there fails at once, naming the
 * rule, instead of quietly making `npm run test:unit` slow again. Such a test belongs in
 * `*.int.test.ts` (database, no processes) or the `system` project (processes, browsers); see
 * docs/decisions/0008-test-layout.md.
 */
import { vi } from 'vitest';

function refuse(what: string): never {
  throw new Error(
    `${what} in a unit test: unit tests need no database and spawn no process. ` +
      'Name the file *.int.test.ts (integration project) or add it to SYSTEM in vitest.config.ts ' +
      '(docs/decisions/0008-test-layout.md).',
  );
}

// Classes and functions are replaced, not the modules: importing code that could open a database
// (the control plane's app, the CLI) stays fine; only starting one is refused.
vi.mock('@electric-sql/pglite', async (importOriginal) => {
  const real = await importOriginal<typeof import('@electric-sql/pglite')>();
  class PGlite {
    static create(): never {
      return refuse('PGlite');
    }
    constructor() {
      refuse('PGlite');
    }
  }
  return { ...real, PGlite };
});

vi.mock('pg', async (importOriginal) => {
  const real = await importOriginal<{ default: Record<string, unknown> }>();
  class Refused {
    constructor() {
      refuse('A PostgreSQL connection');
    }
  }
  const pg = { ...real.default, Pool: Refused, Client: Refused };
  return { ...real, ...pg, default: pg };
});

// ioredis connects from its constructor (or from the first command with lazyConnect): refusing
// connect() refuses both, for a single node, a Sentinel-managed master and a Cluster alike. A closed
// port counts too: a fail-fast test against one exercises ioredis's networking, so it is integration.
vi.mock('ioredis', async (importOriginal) => {
  const real = await importOriginal<typeof import('ioredis')>();
  class Redis extends real.Redis {
    override connect(): never {
      return refuse('A Redis connection');
    }
  }
  class Cluster extends real.Cluster {
    override connect(): never {
      return refuse('A Redis Cluster connection');
    }
  }
  return { ...real, Redis, Cluster, default: Redis };
});

vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:child_process')>();
  const spawning = ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync'] as const;
  const refused = Object.fromEntries(spawning.map((name) => [name, () => refuse(`child_process.${name}`)]));
  return { ...real, ...refused, default: { ...real, ...refused } };
});
