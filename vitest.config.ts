import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

// Tests import workspace packages from source, so `vitest` needs no build for unit tests;
// integration tests that spawn the CLI use the built dist (npm test builds first).
export default defineConfig({
  resolve: {
    alias: {
      '@gatehouse/core': pkg('core'),
      '@gatehouse/config': pkg('config'),
      '@gatehouse/policies': pkg('policies'),
      '@gatehouse/gateway': pkg('gateway'),
      '@gatehouse/control-plane': pkg('control-plane'),
      '@gatehouse/cli': pkg('cli'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
