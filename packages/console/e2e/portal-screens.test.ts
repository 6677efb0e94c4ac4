/// <reference lib="dom" />
/**
 * The console's developer-portal screens in a real browser: an admin turns the portal on (a
 * javascript: try-it URL is refused at its field), a publisher writes an API's documentation pages,
 * and the public portal endpoints show exactly that. Pages are checked with axe-core.
 */
import { serviceUrl } from '@gatehouse/core/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, type BrowserHandle, chromiumPath, launchBrowser, screenshot } from './browser.js';
import { ADMIN, type Stack, startStack } from './stack.js';

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
});
