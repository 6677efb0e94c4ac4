/// <reference lib="dom" />
/**
 * The developer portal in a real browser (system Chromium via playwright-core) against a real
 * control plane, a real hybrid gateway and a real upstream on loopback, with mail going over SMTP
 * to a sink: a visitor browses the catalog, signs up, verifies through the captured mail, creates
 * an application, subscribes, gets a key, calls the API through the gateway from Try it and sees
 * the call in Usage. Hostile Markdown stays inert; a private API never shows. Every page visited
 * is checked with axe-core (no serious or critical violations), one journey runs at 375 px wide.
 */
import { serviceUrl } from '@gatehouse/core/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AxeViolation,
  axeViolations,
  chromiumPath,
  launchBrowser,
  screenshot,
} from '../../console/e2e/browser.js';
import { eventually, type Stack, startStack } from '../../console/e2e/stack.js';
import { decodeMail, type SmtpSink, startSmtpSink } from './smtp-sink.js';

const database = serviceUrl('DATABASE_URL');
const haveChromium = Boolean(chromiumPath());
if (!haveChromium && process.env.CI === 'true')
  throw new Error('Chromium is required in CI (apt-get install chromium)');

const JOURNEY_MS = 240_000;
const HOSTILE = '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2"> **bold**';

const OPENAPI = {
  openapi: '3.0.3',
  info: { title: 'Weather', version: '1.0.0' },
  paths: {
    '/forecast/{city}': {
      get: {
        operationId: 'forecast',
        summary: 'Forecast for a city',
        parameters: [
          { name: 'city', in: 'path', required: true, schema: { type: 'string', example: 'paris' } },
          { name: 'days', in: 'query', schema: { type: 'integer' } },
        ],
        responses: { '200': { description: 'The forecast' } },
      },
    },
  },
};

/** Over the 150 operations a Swagger UI shows whole: the portal lists its tags and renders one at a time. */
function largeOpenApi() {
  const paths: Record<string, unknown> = {};
  for (let i = 0; i < 40; i++) {
    const op = (verb: string) => ({
      operationId: `${verb}Place${i}`,
      summary: `${verb} place ${i}`,
      tags: [`region-${i % 4}`],
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'OK' } },
    });
    paths[`/places-${i}/{id}`] = { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Atlas', version: '2.0.0', description: `Every place. ${HOSTILE}` },
    tags: [{ name: 'region-0', description: `The first region. ${HOSTILE}` }],
    paths,
  };
}

describe.skipIf(Boolean(database.skipReason) || !haveChromium)('developer portal in a browser', () => {
  let stack: Stack;
  let smtp: SmtpSink;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  const violations: { page: string; violations: AxeViolation[] }[] = [];
  const cspViolations: { url: string; text: string }[] = [];
  // axe-core is injected by an inline <script> first (refused by the CSP, as it should be) and then
  // evaluated: CSP reports while it audits are the test tool's, not the portal's.
  let auditing = false;
  let previousSmtp: string | undefined;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    // The control plane reads its SMTP settings from the environment at start.
    previousSmtp = process.env.GATEHOUSE_SMTP_URL;
    process.env.GATEHOUSE_SMTP_URL = smtp.url;
    process.env.GATEHOUSE_SMTP_FROM ??= 'portal@example.test';
    [stack, browser] = await Promise.all([startStack(database.url!), launchBrowser()]);
    await seed();
  }, 180_000);

  afterAll(async () => {
    if (previousSmtp === undefined) delete process.env.GATEHOUSE_SMTP_URL;
    else process.env.GATEHOUSE_SMTP_URL = previousSmtp;
    await browser?.close();
    await stack?.close();
    await smtp?.close();
  });

  async function seed() {
    const origin = new URL(stack.cp.url).origin;
    await stack.api('PUT', '/environments/default/portal', {
      enabled: true,
      name: 'Acme developers',
      logo: null,
      primaryColor: '#0b5e3c',
      homeMarkdown: `# Welcome to Acme\n\nBuild with our APIs. ${HOSTILE}`,
      signup: 'open',
      tryItBaseUrl: stack.gatewayUrl,
    });
    await stack.api('POST', '/environments/default/apis', {
      id: 'weather',
      name: 'Weather',
      description: `Forecasts for every city. ${HOSTILE}`,
      version: '1.0.0',
      basePath: '/weather',
      tags: ['forecast'],
      categories: ['Data'],
      lifecycle: 'published',
      visibility: 'public',
      upstream: { targets: [{ url: stack.upstream.url }] },
      // The portal calls the gateway from the browser: the API allows the portal's origin.
      policies: [{ policy: 'cors', config: { origins: [origin], exposeHeaders: ['x-request-id'] } }],
      openapi: OPENAPI,
    });
    await stack.api('POST', '/environments/default/apis/weather/plans', {
      id: 'free',
      name: 'Free',
      description: 'For trying things out',
      security: { type: 'api-key' },
      policies: [{ policy: 'rate-limit', config: { limit: 100, window: '1m' } }],
      approval: 'auto',
      status: 'published',
    });
    await stack.api('POST', '/environments/default/apis/weather/pages', {
      slug: 'getting-started',
      title: 'Getting started',
      markdown: `## First call\n\nSend your key in \`X-Api-Key\`. ${HOSTILE}`,
      position: 1,
    });
    await stack.api('POST', '/environments/default/apis/weather/deployments', { message: 'portal e2e' });
    await stack.api('POST', '/environments/default/apis', {
      id: 'atlas',
      name: 'Atlas',
      basePath: '/atlas',
      lifecycle: 'published',
      visibility: 'public',
      upstream: { targets: [{ url: stack.upstream.url }] },
      openapi: largeOpenApi(),
    });
    await stack.api('POST', '/environments/default/apis', {
      id: 'secret-ledger',
      name: 'Secret ledger',
      description: 'Internal only',
      basePath: '/ledger',
      tags: ['forecast'],
      lifecycle: 'published',
      visibility: 'private',
      upstream: { targets: [{ url: stack.upstream.url }] },
    });
  }

  async function newPage(width = 1280): Promise<Page> {
    const context = await browser.browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => {
      throw error;
    });
    page.on('console', (message) => {
      // Chromium reports a blocked inline handler even when one is only parsed in DOMPurify's inert
      // DOMParser document (checked with a bare page: no insertion into the live page needed); the
      // hostile <img onerror> causes that. That nothing runs and no handler reaches the page is
      // checked by inert(); every other CSP report (inline script, style, connection) fails the test.
      if (!auditing && /Content Security Policy/i.test(message.text()) && !/inline event handler/.test(message.text()))
        cspViolations.push({ url: page.url(), text: message.text().slice(0, 120) });
    });
    return page;
  }

  async function check(page: Page, name: string) {
    await page.waitForLoadState('networkidle');
    auditing = true;
    try {
      violations.push({ page: name, violations: await axeViolations(page) });
    } finally {
      auditing = false;
    }
    await screenshot(page, `portal-${name}`);
  }

  async function inert(page: Page) {
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('.prose script, .prose [onerror]').count()).toBe(0);
  }

  it(
    'journey: browse, sign up, verify by mail, create an app, subscribe, get a key, try it through the gateway, see usage',
    async () => {
      const page = await newPage();
      const base = `${stack.cp.url}/portal/`;
      await page.goto(base); // /portal/ goes to the default environment
      await page.waitForURL(/\/portal\/default\/$/);
      await page.getByRole('heading', { name: 'Welcome to Acme' }).waitFor();
      await inert(page);
      // The primary colour is a CSS variable on the root.
      expect(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--primary'))).toBe(
        '#0b5e3c',
      );
      const catalog = page.getByRole('list', { name: 'API catalog' });
      await catalog.getByRole('link', { name: 'Weather' }).waitFor();
      expect(await catalog.textContent()).not.toContain('Secret ledger');
      // Cards show the description's text: Markdown rendered and sanitised, no markup left.
      expect(await catalog.textContent()).toContain('Forecasts for every city. bold');
      expect(await catalog.textContent()).not.toContain('<script>');
      await check(page, '01-home');

      // Search by tag finds the public API only; a word only in the private API finds nothing.
      await page.getByLabel('Search APIs').fill('forecast');
      await catalog.getByRole('link', { name: 'Weather' }).waitFor();
      expect(await catalog.textContent()).not.toContain('Secret ledger');
      await page.getByLabel('Search APIs').fill('ledger');
      await page.getByText('No APIs match.').waitFor();
      await page.getByLabel('Search APIs').fill('');
      await catalog.getByRole('link', { name: 'Weather' }).click();

      // API page: description (hostile Markdown inert), plan limits, documentation page.
      await page.getByRole('heading', { name: 'Plans' }).waitFor();
      await page.getByText('bold', { exact: true }).first().waitFor();
      await inert(page);
      const limits = page.getByRole('list', { name: 'Free limits' });
      expect(await limits.textContent()).toMatch(/100 requests per minute/i);
      await check(page, '02-api');
      await page
        .getByRole('navigation', { name: 'API sections' })
        .getByRole('link', { name: 'Getting started' })
        .click();
      await page.getByRole('heading', { name: 'First call' }).waitFor();
      await inert(page);
      await check(page, '03-doc-page');

      // The reference renders from the OpenAPI document.
      await page.getByRole('navigation', { name: 'API sections' }).getByRole('link', { name: 'Reference' }).click();
      await page.locator('.opblock-summary-path', { hasText: '/forecast/{city}' }).waitFor();
      await check(page, '04-reference');

      // A large document: tags listed by the portal, one opened and rendered by Swagger UI, an operation expanded.
      await page.goto(`${stack.cp.url}/portal/default/apis/atlas/reference`);
      const regions = page.getByRole('region', { name: 'API reference' }).locator('.reference-tag-toggle');
      await regions.nth(3).waitFor();
      expect(await regions.count()).toBe(4);
      await inert(page);
      await page.getByLabel('Filter operations').fill('place 7');
      await expect.poll(() => regions.count(), { timeout: 15_000 }).toBe(1); // place 7's four operations: region-3
      await page.getByLabel('Filter operations').fill('');
      await expect.poll(() => regions.count(), { timeout: 15_000 }).toBe(4);
      await page.getByRole('button', { name: /region-0/ }).click();
      await page.locator('.opblock').nth(39).waitFor();
      expect(await page.locator('.opblock').count()).toBe(40);
      await page.locator('.opblock-summary-control').first().click();
      await page.locator('.opblock.is-open .opblock-body').first().waitFor();
      await check(page, '04b-reference-large');

      // Sign up; the verification link arrives by mail.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign up' }).click();
      const email = 'dev@example.test';
      const password = 'portal-e2e-password-1';
      await page.getByLabel('Name').fill('Dev Eloper');
      await page.getByLabel('E-mail').fill(email);
      await page.getByLabel('Password').fill(password);
      await check(page, '05-signup');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByText('Check your mailbox').waitFor();
      const mail = await eventually(
        async () => smtp.messages.map(decodeMail).find((m) => m.includes(email) && /token=/.test(m)),
        20_000,
        'the verification mail',
      );
      const token = /[?&#]token=([A-Za-z0-9_\-.~%]+)/.exec(mail)?.[1];
      expect(token, mail).toBeTruthy();
      // The link carries the token in its fragment (never sent to a server).
      const link = /\/portal\/default\/(verify[a-z-]*)[?#]/.exec(mail)?.[1] ?? 'verify-email';
      await page.goto(`${base}default/${link}#token=${token}`);
      await page.getByText('Your e-mail address is verified').waitFor();
      await check(page, '06-verified');

      // Sign in, create an application.
      await page.getByRole('link', { name: 'Sign in' }).first().click();
      await page.getByLabel('E-mail').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'My applications' }).waitFor();
      await page.getByLabel('Application name').fill('Weather app');
      await page.getByRole('button', { name: 'Create application' }).click();
      await page.getByRole('heading', { name: 'Weather app' }).waitFor();

      // Subscribe from the API page (auto-approved plan: active at once).
      await page.goto(`${base}default/apis/weather`);
      await page.getByRole('button', { name: 'Subscribe to Free' }).click();
      await page.getByText('active', { exact: true }).waitFor();
      await page.getByRole('link', { name: 'Manage keys' }).click();
      await page.getByRole('button', { name: 'Create key' }).click();
      const key = (await page.getByTestId('new-key').textContent())?.trim() ?? '';
      expect(key.length).toBeGreaterThan(10);
      await check(page, '07-application');

      // Try it: the key is pre-filled, the call goes through the gateway to the upstream.
      await page.getByRole('link', { name: 'weather' }).first().click();
      await page.getByRole('navigation', { name: 'API sections' }).getByRole('link', { name: 'Try it' }).click();
      expect(await page.getByLabel('API key').inputValue()).toBe(key);
      await page.getByLabel('city (path, required)').fill('paris');
      await page.getByRole('button', { name: 'Send request' }).click();
      await expect
        .poll(
          async () =>
            page
              .getByTestId('try-status')
              .textContent()
              .catch(() => null),
          { timeout: 20_000 },
        )
        .toBe('200');
      expect(await page.getByTestId('try-body').textContent()).toContain('/forecast/paris');
      await check(page, '08-try-it');
      expect(stack.upstream.requests.some((r) => r.url.includes('/forecast/paris'))).toBe(true);

      // Usage shows the call (gateway analytics arrive every 500 ms).
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My applications' }).click();
      await page.getByRole('link', { name: 'Weather app' }).click();
      await page.getByRole('link', { name: 'Usage of this application' }).click();
      const row = page.getByTestId('usage-table').getByRole('row', { name: /weather/ });
      await eventually(
        async () => {
          await page.reload();
          await row.waitFor({ timeout: 3_000 });
          return (await row.textContent())?.includes('1') ? true : undefined;
        },
        30_000,
        'the call in usage',
      );
      await check(page, '09-usage');

      // The private API is not there, by page or by API.
      const hidden = await fetch(`${stack.cp.url}/api/v1/portal/default/apis/secret-ledger`);
      expect(hidden.status).toBe(404);
      await page.goto(`${base}default/apis/secret-ledger`);
      await page.getByText('This API does not exist.').waitFor();

      // Invited to another environment's portal, the same account joins it (no second account).
      await stack.api('POST', '/environments', { id: 'partners' });
      await stack.api('PUT', '/environments/partners/portal', {
        enabled: true,
        name: 'Partners',
        signup: 'invitation',
      });
      await stack.api('POST', '/environments/partners/portal/invitations', { email });
      const invitation = await eventually(
        async () => smtp.messages.map(decodeMail).find((m) => m.includes('/portal/partners/signup')),
        20_000,
        'the invitation mail',
      );
      const invitationToken = /[?&#]token=([A-Za-z0-9_\-.~%]+)/.exec(invitation)?.[1];
      await page.goto(`${base}partners/signup#token=${invitationToken}`);
      await page.getByRole('button', { name: 'Accept invitation' }).click();
      await page.getByRole('heading', { name: 'My applications' }).waitFor();
      await check(page, '10-invitation-accepted');
      await page.context().close();
    },
    JOURNEY_MS,
  );

  it('works at 375 px wide and by keyboard', async () => {
    const page = await newPage(375);
    await page.goto(`${stack.cp.url}/portal/default/`);
    await page.getByRole('list', { name: 'API catalog' }).getByRole('link', { name: 'Weather' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await check(page, '10-home-375');
    // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    await page.getByLabel('Search APIs').focus();
    await page.keyboard.type('weath');
    await page.getByRole('list', { name: 'API catalog' }).getByRole('link', { name: 'Weather' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Plans' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await check(page, '11-api-375');
    await page.context().close();
  }, 60_000);

  it('pages pass axe-core (no serious or critical violations) and the CSP was never violated', () => {
    const failing = violations.filter((v) => v.violations.length > 0);
    expect(failing).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
