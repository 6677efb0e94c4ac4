/** The built admin console (packages/console/dist) at /console/; see static-app.ts for how. */
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { appCsp, registerStaticApp } from './static-app.js';

export const CONSOLE_PREFIX = '/console/';

/** `styleNonce`: the code editor injects its theme as <style> elements carrying this nonce. */
export const consoleCsp = (styleNonce?: string) => appCsp({ styleNonce });
export const CONSOLE_CSP = consoleCsp();

/** packages/console/dist, from src/http or dist/http alike; GATEHOUSE_CONSOLE_DIR overrides. */
export function defaultConsoleDir(): string {
  return process.env.GATEHOUSE_CONSOLE_DIR ?? fileURLToPath(new URL('../../../console/dist/', import.meta.url));
}

export function registerConsole(app: FastifyInstance, dir: string = defaultConsoleDir()): void {
  app.get('/', { config: { action: 'public' }, schema: { hide: true } }, (_request, reply) =>
    reply.redirect(CONSOLE_PREFIX, 302),
  );
  registerStaticApp(app, { prefix: CONSOLE_PREFIX, dir, label: 'The console' });
}
