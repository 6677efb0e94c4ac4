/// <reference lib="dom" />
/**
 * The console in a real browser (system Chromium via playwright-core) against a real control plane
 * and a real hybrid gateway on loopback. Every page visited is checked with axe-core (no serious or
 * critical violations); screenshots of the main screens go to packages/console/artefacts/.
 */
import { serviceUrl } from '@gatehouse/core/testing';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AxeViolation,
  axeViolations,
  type BrowserHandle,
  chromiumPath,
  launchBrowser,
  screenshot,
} from './browser.js';
import { ADMIN, eventually, type Stack, startStack } from './stack.js';

const database = serviceUrl('DATABASE_URL');
const haveChromium = Boolean(chromiumPath());
if (!haveChromium && process.env.CI === 'true')
  throw new Error('Chromium is required in CI (apt-get install chromium)');

// A 2-core machine shared with other work: generous per-test budgets, short per-step waits.
const JOURNEY_MS = 240_000;
const TEST_MS = 120_000;

describe.skipIf(Boolean(database.skipReason) || !haveChromium)('admin console in a browser', () => {
  let stack: Stack;
  let browser: BrowserHandle;
  const violations: { page: string; violations: AxeViolation[] }[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(database.url!), launchBrowser()]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function newSession(email: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.browser.newContext({ viewport: { width: 1360, height: 860 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(stack.cp.url).origin });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => {
      throw error;
    });
    await page.goto(stack.cp.url); // `/` redirects to the console
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/e\/default\//);
    return { context, page };
  }

  async function check(page: Page, name: string, shot = true) {
    await page.waitForLoadState('networkidle');
    violations.push({ page: name, violations: await axeViolations(page) });
    if (shot) await screenshot(page, name);
  }

  const nav = (page: Page, label: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();

  async function createUser(email: string, role: string): Promise<void> {
    const user = await stack.api<{ id: string }>('POST', '/users', { email, password: 'member-password-123' });
    await stack.api('POST', '/environments/default/members', { userId: user.id, role });
  }

  it(
    'journey: sign in, create an API with a rate-limit policy and an api-key plan, deploy, subscribe, call, see analytics, revoke',
    async () => {
      const { context, page } = await newSession(ADMIN.email, ADMIN.password);
      await expect(page.evaluate(() => document.cookie)).resolves.toBe(''); // HttpOnly: out of reach of scripts
      await check(page, '01-overview');

      // Create the API from the form.
      await nav(page, 'APIs');
      await page.getByRole('link', { name: 'Create API' }).click();
      await page.getByLabel('Id *').fill('orders');
      await page.getByLabel('Name *').fill('Orders');
      await page.getByLabel('Base path *').fill('/orders');
      await page.getByLabel('Target 1 URL *').fill(stack.upstream.url);
      // Only published APIs deploy (a draft is the publisher's work in progress).
      await page.getByLabel('Lifecycle').selectOption('published');
      await check(page, '02-api-create');
      await page.getByRole('button', { name: 'Create API' }).click();
      await page.waitForURL(/\/apis\/orders/);

      // A rate-limit policy through the schema-generated form.
      await page.getByRole('tab', { name: /Policies/ }).click();
      await page.getByLabel('Add policy').selectOption('rate-limit');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.getByRole('button', { name: 'Save policies' }).click();
      await page.getByText('is required').first().waitFor(); // checked before sending
      await page.getByLabel('Limit *').fill('1000');
      await page.getByLabel('Window *').fill('1m');
      // A `when:` that does not compile is refused before saving, at its field.
      await page.getByLabel('Condition (when, CEL)').fill('request.method ==');
      await page.getByRole('button', { name: 'Save policies' }).click();
      await page.getByText(/invalid CEL expression/).waitFor();
      await page.getByLabel('Condition (when, CEL)').fill('request.method != "TRACE"');
      await check(page, '03-policy-editor');
      await page.getByRole('button', { name: 'Save policies' }).click();
      await page.getByRole('tab', { name: 'Policies (1)' }).waitFor();

      // An api-key plan, published.
      await page.getByRole('tab', { name: 'Plans' }).click();
      await page.getByRole('button', { name: 'Create plan' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Plan id *').fill('gold');
      await dialog.getByLabel('Name *').fill('Gold');
      expect(await dialog.getByLabel('Security').inputValue()).toBe('api-key');
      await dialog.getByRole('button', { name: 'Create plan' }).click();
      await page.getByRole('button', { name: 'Publish' }).click();
      await page.getByText('published', { exact: true }).waitFor();
      await check(page, '04-plans');

      // Deploy and watch the rollout reach the gateway.
      await page.getByRole('tab', { name: 'Deploy' }).click();
      await page.getByLabel('Message').fill('First release');
      await page.getByRole('button', { name: 'Deploy', exact: true }).click();
      await page
        .getByTestId('rollout')
        .getByText(/Applied on\s*1\s*of\s*1\s*gateways/)
        .waitFor({ timeout: 30_000 });
      await check(page, '05-deploy');

      // An application, subscribed, with a key copied from the dialog.
      await nav(page, 'Applications');
      await page.getByRole('button', { name: 'Create application' }).click();
      await page.getByRole('dialog').getByLabel('Name *').fill('Shop');
      await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
      await page.waitForURL(/\/applications\/[0-9a-f-]{36}/);
      await page.getByRole('button', { name: 'Subscribe to an API' }).click();
      await page.getByRole('dialog').getByLabel('API').selectOption('orders');
      await page.getByRole('dialog').getByLabel('Plan').selectOption('gold');
      await page.getByRole('dialog').getByRole('button', { name: 'Subscribe' }).click();
      await page.getByRole('button', { name: 'New API key' }).click();
      const shown = (await page.getByTestId('secret').textContent())!.trim();
      await page.getByRole('dialog').getByRole('button', { name: 'Copy' }).click();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(copied).toBe(shown);
      await check(page, '06-api-key-shown-once');
      await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();

      // The gateway accepts the key once the change reached it.
      const call = () => fetch(`${stack.gatewayUrl}/orders/items`, { headers: { 'x-api-key': copied } });
      await eventually(
        async () => ((await call()).status === 200 ? true : undefined),
        20_000,
        'gateway 200 with the key',
      );
      for (let i = 0; i < 5; i++) expect((await call()).status).toBe(200);

      // The traffic shows in analytics.
      await nav(page, 'Analytics');
      await eventually(
        async () => {
          await page.reload();
          const text = await page.getByTestId('total-requests').textContent({ timeout: 5_000 });
          return Number(text?.replace(/\D/g, '')) >= 6 ? true : undefined;
        },
        30_000,
        'requests in analytics',
      );
      await page.getByRole('img', { name: 'Requests over time by status class' }).waitFor();
      await check(page, '07-analytics');

      // Revoke the key: the gateway refuses it.
      await page.goBack();
      await nav(page, 'Applications');
      await page.getByRole('link', { name: 'Shop' }).click();
      await page.getByRole('button', { name: 'Revoke' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
      await page.getByText('revoked', { exact: true }).waitFor();
      await eventually(
        async () => ((await call()).status === 401 ? true : undefined),
        20_000,
        'gateway 401 after revoke',
      );

      // The other admin screens render against the same data.
      for (const [label, name] of [
        ['Gateways', '08-gateways'],
        ['Subscriptions', '09-subscriptions'],
        ['Audit trail', '10-audit'],
        ['Members', '11-members'],
        ['APIs', '12-apis'],
        ['Users', '13-users'],
      ] as const) {
        await nav(page, label);
        await page.getByRole('heading', { level: 1 }).waitFor();
        if (label === 'Gateways') await page.getByText('online', { exact: true }).waitFor();
        await check(page, name);
      }
      await context.close();
      expect(violations.filter((v) => v.violations.length > 0)).toEqual([]);
    },
    JOURNEY_MS,
  );

  it(
    'a viewer is offered no write action',
    async () => {
      await createUser('viewer@example.test', 'viewer');
      await seedApi('viewer-api');
      const { context, page } = await newSession('viewer@example.test', 'member-password-123');
      const writeButtons =
        /^(Save|Deploy|Create|Register|Remove|Revoke|Publish|Add|Rotate|New API key|Subscribe|Approve|Reject|Discard)/;
      await nav(page, 'APIs');
      await page.getByRole('link', { name: 'viewer-api' }).waitFor();
      await expect(page.getByRole('link', { name: 'Create API' }).count()).resolves.toBe(0);
      await page.getByRole('link', { name: 'viewer-api' }).click();
      for (const tab of ['Definition', 'Policies (1)', 'Plans', 'Deploy']) {
        await page.getByRole('tab', { name: tab }).click();
        await page.waitForLoadState('networkidle');
        expect(await page.getByRole('button', { name: writeButtons }).allTextContents()).toEqual([]);
      }
      await page.getByRole('tab', { name: 'Definition' }).click();
      await expect(page.getByLabel('Name *').isDisabled()).resolves.toBe(true);
      await check(page, 'viewer-api-detail');
      for (const label of ['Applications', 'Subscriptions', 'Gateways']) {
        await nav(page, label);
        await page.getByRole('heading', { level: 1 }).waitFor();
        await page.waitForLoadState('networkidle');
        expect(await page.getByRole('button', { name: writeButtons }).allTextContents()).toEqual([]);
        await check(page, `viewer-${label.toLowerCase()}`, false);
      }
      const navText = await page.getByRole('navigation', { name: 'Main' }).textContent();
      expect(navText).not.toMatch(/Audit trail|Members|Users/);
      await context.close();
      expect(violations.filter((v) => v.violations.length > 0)).toEqual([]);
    },
    TEST_MS,
  );

  it(
    'a consumer sees no admin screen',
    async () => {
      await createUser('consumer@example.test', 'consumer');
      const { context, page } = await newSession('consumer@example.test', 'member-password-123');
      const navText = await page.getByRole('navigation', { name: 'Main' }).textContent();
      for (const admin of ['Gateways', 'Audit trail', 'Members', 'Users']) expect(navText).not.toContain(admin);
      expect(navText).toContain('Applications');
      await nav(page, 'APIs');
      await page.getByRole('heading', { name: 'APIs' }).waitFor();
      await expect(page.getByRole('link', { name: 'Create API' }).count()).resolves.toBe(0);
      await check(page, 'consumer-apis', false);
      // Typing an admin URL shows the server's refusal, not the screen's data.
      await page.goto(`${stack.cp.url}/console/e/default/gateways`);
      await page.getByRole('alert').waitFor();
      await expect(page.getByRole('button', { name: 'Register gateway' }).count()).resolves.toBe(0);
      await context.close();
    },
    TEST_MS,
  );

  it(
    'shows HTML in names and descriptions as text',
    async () => {
      const html = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
      await seedApi('html-api', { name: `Html ${html}`, description: html });
      await stack.api('POST', '/environments/default/applications', { name: `App ${html}`, description: html });
      const { context, page } = await newSession(ADMIN.email, ADMIN.password);
      await nav(page, 'APIs');
      await page.getByText(`Html ${html}`).waitFor();
      await page.getByText(`Html ${html}`).click();
      await page.getByLabel('Description').waitFor();
      await expect(page.getByLabel('Description').inputValue()).resolves.toBe(html);
      await nav(page, 'Applications');
      await page.getByText(`App ${html}`).waitFor();
      await nav(page, 'Audit trail');
      await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
      await expect(page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).resolves.toBeUndefined();
      await expect(page.locator('main img[src="x"], main b').count()).resolves.toBe(0);
      await context.close();
    },
    TEST_MS,
  );

  it(
    'sign-ups: an admin approves a portal sign-up, invites someone by e-mail and revokes the invitation',
    async () => {
      // A portal takes sign-ups only once enabled; no SMTP in this stack: the sign-up waits for an administrator.
      await stack.api('PUT', '/environments/default/portal', {
        enabled: true,
        name: 'Acme developers',
        signup: 'approval',
      });
      const res = await fetch(`${stack.cp.url}/api/v1/portal/default/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: 'newdev@example.test',
          password: 'violet-otter-climbs-42',
          name: 'New <b>Dev</b>',
        }),
      });
      expect(await res.json()).toEqual({ status: 'pending_approval' });
      const { context, page } = await newSession(ADMIN.email, ADMIN.password);
      await nav(page, 'Sign-ups');
      await page.getByText('newdev@example.test').waitFor();
      await expect(page.locator('main b').count()).resolves.toBe(0);
      await check(page, 'signups');
      await page.getByRole('button', { name: 'Approve newdev@example.test' }).click();
      await page.getByText('newdev@example.test can sign in now').waitFor();
      await page.getByRole('button', { name: 'Invite by e-mail' }).click();
      await page.getByLabel('E-mail address').fill('partner@example.test');
      await page.getByRole('button', { name: 'Invite', exact: true }).click();
      await page.getByText(/\/portal\/default\/signup#token=ghm_/).waitFor();
      await check(page, 'signups-invitation', false);
      // The open invitation is listed; revoking it empties the list (its link stops working).
      await page.getByRole('button', { name: 'Done' }).click();
      const invitations = page.getByRole('table', { name: 'Open invitations' });
      await invitations.getByText('partner@example.test').waitFor();
      await page.getByRole('button', { name: 'Revoke invitation of partner@example.test' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Revoke', exact: true }).click();
      await page.getByText('Invitation of partner@example.test revoked').waitFor();
      await page.getByText('No open invitations').waitFor();
      await check(page, 'signups-revoked', false);
      await context.close();
      expect(violations.filter((v) => v.violations.length > 0)).toEqual([]);
    },
    TEST_MS,
  );

  async function seedApi(id: string, extra: Record<string, unknown> = {}) {
    await stack.api('POST', '/environments/default/apis', {
      id,
      name: id,
      basePath: `/${id}`,
      upstream: { targets: [{ url: stack.upstream.url }] },
      policies: [{ policy: 'rate-limit', config: { limit: 10, window: '1s' } }],
      ...extra,
    });
    await stack.api('POST', `/environments/default/apis/${id}/plans`, {
      id: 'free',
      name: 'Free',
      security: { type: 'api-key' },
      status: 'published',
    });
  }
});
