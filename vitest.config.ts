import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));
const packages = ['core', 'config', 'policies', 'gateway', 'control-plane', 'cli'];
const withTesting = ['core', 'policies', 'gateway'];

// Tests import workspace packages from source, so `vitest` needs no build for unit tests;
// integration tests that spawn the CLI use the built dist (npm test builds first).
// Exact-match aliases: `@gatehouse/gateway/testing` must not resolve through `@gatehouse/gateway`.
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
    include: ['packages/*/src/**/*.test.ts', 'packages/console/e2e/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
