/// <reference lib="dom" />
/**
 * The console's developer-portal screens in a real browser: an admin turns the portal on (a
 * javascript: try-it URL is refused at its field), a publisher writes an API's documentation pages,
 * and the public portal endpoints show exactly that. Pages are checked with axe-core. Try it: the
 * portal's OpenAPI servers point at the real gateway, which answers the portal origin's CORS
 * preflight when the API has the cors policy docs/portal.md describes.
 */
import { serviceUrl } from '@gatehouse/core/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, type BrowserHandle, chromiumPath, launchBrowser, screenshot } from './browser.js';
import { ADMIN, eventually, type Stack, startStack } from './stack.js';

const database = serviceUrl('DATABASE_URL');
const TEST_MS = 240_000;

describe.skipIf(Boolean(database.skipReason) || !chromiumPath())('console: developer portal screens', () => {
  let stack: Stack;
  let browser: BrowserHandle;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(database.url!), launchBrowser()]);
    await stack.api('POST', '/environments/default/apis', {
      id: 'orders',
      name: 'Orders',
      basePath: '/orders',
      upstream: { targets: [{ url: stack.upstream.url }] },
      lifecycle: 'published',
      visibility: 'public',
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function signIn(): Promise<Page> {
    const context = await browser.browser.newContext({ viewport: { width: 1360, height: 860 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => {
      throw error;
    });
    await page.goto(`${stack.cp.url}/console/`);
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/e\/default\//);
    return page;
  }

  const publicRead = async (path: string) => (await fetch(`${stack.cp.url}/api/v1/portal/default${path}`)).json();

  it(
    'an admin enables the portal; a publisher documents an API; the portal shows it',
    async () => {
      const page = await signIn();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Portal', exact: true }).click();
      await page.getByRole('heading', { name: 'Developer portal' }).waitFor();
      await page.getByLabel(/Portal enabled/).check();
      await page.getByLabel('Title').fill('Acme developers');
      await page.getByLabel('Try-it gateway URL').fill('javascript:alert(1)');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('must be an http or https URL').first().waitFor();
      await page.getByLabel('Try-it gateway URL').fill('https://gw.example.com');
      await page.getByLabel('Home page (markdown)').fill('# Welcome');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('link', { name: 'Open the portal' }).waitFor();
      expect(await publicRead('/settings')).toMatchObject({
        name: 'Acme developers',
        tryItBaseUrl: 'https://gw.example.com',
        homeMarkdown: '# Welcome',
      });
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'console-portal-settings');

      await page.goto(`${stack.cp.url}/console/e/default/apis/orders?tab=docs`);
      await page.getByRole('heading', { name: 'Documentation' }).waitFor();
      await page.getByRole('button', { name: 'Add page' }).click();
      await page.getByLabel('Slug').fill('getting-started');
      await page.getByLabel('Title').fill('Getting started');
      await page.getByLabel('Markdown').fill('# Getting started\n\nCall `GET /orders`.');
      await page.getByRole('button', { name: 'Save page' }).click();
      await page.getByRole('cell', { name: 'getting-started' }).waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'console-api-documentation');

      const detail = await publicRead('/apis/orders');
      expect(detail.pages).toEqual([{ slug: 'getting-started', title: 'Getting started' }]);
      expect(await publicRead('/apis/orders/pages/getting-started')).toEqual({
        slug: 'getting-started',
        title: 'Getting started',
        markdown: '# Getting started\n\nCall `GET /orders`.',
      });
    },
    TEST_MS,
  );

  it(
    'try it: the OpenAPI server is the gateway, and the gateway allows the portal origin by CORS',
    async () => {
      const portalOrigin = new URL(stack.cp.url).origin;
      await stack.api('PUT', '/environments/default/portal', { enabled: true, tryItBaseUrl: stack.gatewayUrl });
      await stack.api('POST', '/environments/default/apis', {
        id: 'tryit',
        name: 'Try it',
        basePath: '/tryit',
        upstream: { targets: [{ url: stack.upstream.url }] },
        lifecycle: 'published',
        visibility: 'public',
        policies: [
          { policy: 'cors', config: { origins: [portalOrigin], allowHeaders: ['content-type', 'x-api-key'] } },
        ],
        openapi: { openapi: '3.0.3', info: { title: 'Try it', version: '1' }, paths: { '/echo': { get: {} } } },
      });
      await stack.api('POST', '/environments/default/apis/tryit/plans', {
        id: 'open',
        security: { type: 'keyless' },
        status: 'published',
      });
      await stack.api('POST', '/environments/default/apis/tryit/deployments', {});
      const doc = await publicRead('/apis/tryit/openapi');
      expect(doc.servers).toEqual([{ url: `${stack.gatewayUrl}/tryit` }]);
      const target = `${doc.servers[0].url}/echo`;
      const preflight = await eventually(
        async () => {
          const res = await fetch(target, {
            method: 'OPTIONS',
            headers: {
              origin: portalOrigin,
              'access-control-request-method': 'GET',
              'access-control-request-headers': 'x-api-key',
            },
          });
          return res.headers.get('access-control-allow-origin') ? res : undefined;
        },
        30_000,
        'the deployment to reach the gateway',
      );
      expect(preflight.headers.get('access-control-allow-origin')).toBe(portalOrigin);
      const call = await fetch(target, { headers: { origin: portalOrigin } });
      expect(call.status).toBe(200);
      expect(call.headers.get('access-control-allow-origin')).toBe(portalOrigin);
      // Another site gets no CORS grant.
      const foreign = await fetch(target, { headers: { origin: 'https://evil.example.com' } });
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    },
    TEST_MS,
  );
});
