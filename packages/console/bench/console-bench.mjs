/**
 * Console speed benchmark (not a timed test): `npm run bench:console`.
 *  1. Initial JavaScript: what index.html loads before any screen (entry + modulepreloads), gzipped
 *     as the control plane serves it. Budget 300 KB.
 *  2. After sign-in, time until the API list shows its first page with 1,000 APIs in the environment.
 *  3. Time until the analytics page shows 24 h of 100,000 requests (totals, charts and top lists).
 * Runs a control plane on PostgreSQL (DATABASE_URL, fresh schema) or embedded PGlite, and the
 * system Chromium through playwright-core.
 */

import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { initialJs, median, startBenchStack } from '@gatehouse/ui/testing/bench';

const ADMIN = { email: 'bench@example.test', password: 'console-bench-password' };
const APIS = 1_000;
const REQUESTS = 100_000;
const RUNS = 5;
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

async function main() {
  const js = initialJs(dist, 'console');
  const stack = await startBenchStack('console', ADMIN);
  const { cp, browser, token } = stack;
  try {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    // 1,000 APIs through the API (20 at a time).
    for (let start = 0; start < APIS; start += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, APIS - start) }, (_, k) => {
          const i = start + k;
          const id = `api-${String(i).padStart(4, '0')}`;
          return fetch(`${cp.url}/api/v1/environments/default/apis`, {
            method: 'POST',
            headers,
            body: JSON.stringify({
              id,
              name: `Service ${i}`,
              basePath: `/${id}`,
              tags: [i % 2 ? 'internal' : 'partner'],
              upstream: { targets: [{ url: `http://10.0.${i % 250}.1:8080` }] },
            }),
          }).then((r) => {
            if (r.status !== 201) throw new Error(`create ${id}: ${r.status}`);
          });
        }),
      );
    }
    // 100,000 analytics records spread over the last 24 h (kept clear of the range's edge), sent as a
    // gateway sends them (the control plane keeps rollups at ingest), 5,000 per batch.
    const gateway = await (
      await fetch(`${cp.url}/api/v1/environments/default/gateways`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bench' }),
      })
    ).json();
    const statuses = [200, 200, 200, 200, 201, 304, 404, 429, 500];
    const sentAt = Date.now();
    for (let batch = 0; batch < REQUESTS / 5000; batch++) {
      const records = Array.from({ length: 5000 }, (_, j) => {
        const g = batch * 5000 + j;
        return {
          id: randomUUID(),
          time: new Date(sentAt - Math.random() * (23 * 3_600_000 + 50 * 60_000)).toISOString(),
          api: `api-${String(g % 40).padStart(4, '0')}`,
          plan: g % 3 === 0 ? 'gold' : 'free',
          application: null,
          method: 'GET',
          status: statuses[g % 9],
          latencyMs: 2 + Math.random() * 80,
        };
      });
      const res = await fetch(`${cp.url}/api/v1/gateway/analytics`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ records }),
      });
      if (res.status !== 202) throw new Error(`analytics ingest: ${res.status} ${await res.text()}`);
    }

    // The same query the analytics page makes, timed from here for reference.
    const q0 = Date.now();
    const to = new Date();
    const direct = await (
      await fetch(
        `${cp.url}/api/v1/environments/default/analytics/requests?from=${new Date(to.getTime() - 86_400_000).toISOString()}&to=${to.toISOString()}`,
        { headers },
      )
    ).json();
    const directMs = Date.now() - q0;
    if (direct.total !== REQUESTS) throw new Error(`analytics total ${direct.total}, expected ${REQUESTS}`);

    const signIn = async () => {
      const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'en-US' });
      const page = await context.newPage();
      await page.goto(`${cp.url}/console/`);
      await page.getByLabel('E-mail').fill(ADMIN.email);
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/e\/default\//);
      await page.getByRole('heading', { level: 1 }).waitFor();
      return { context, page };
    };
    const nav = (page, label) =>
      page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
    const apisShown = (page) => page.getByRole('link', { name: 'Service 0', exact: true }).waitFor({ timeout: 30_000 });
    const analyticsShown = async (page) => {
      await page.getByTestId('total-requests').getByText(REQUESTS.toLocaleString('en-US')).waitFor({ timeout: 30_000 });
      await page.getByRole('img', { name: 'Latency percentiles over time' }).locator('canvas').waitFor();
      await page.getByRole('cell', { name: 'api-0000' }).first().waitFor({ timeout: 30_000 });
    };

    // In-app: signed in, fresh browser context (no cached data), the user clicks through.
    const apiList = [];
    const analytics = [];
    // Cold: a full page load of the screen's URL (new document, scripts, session check, data).
    const apiListCold = [];
    const analyticsCold = [];
    for (let run = 0; run < RUNS; run++) {
      const { context, page } = await signIn();
      let t0 = Date.now();
      await nav(page, 'APIs');
      await apisShown(page);
      apiList.push(Date.now() - t0);
      await nav(page, 'Analytics');
      await page.getByTestId('total-requests').waitFor();
      t0 = Date.now();
      await page.getByLabel('Time range').selectOption('24h');
      await analyticsShown(page);
      analytics.push(Date.now() - t0);
      t0 = Date.now();
      await page.goto(`${cp.url}/console/e/default/apis`);
      await apisShown(page);
      apiListCold.push(Date.now() - t0);
      t0 = Date.now();
      await page.goto(`${cp.url}/console/e/default/analytics?range=24h`);
      await analyticsShown(page);
      analyticsCold.push(Date.now() - t0);
      await context.close();
    }
    const result = {
      initialJs: {
        files: js.files,
        rawKB: +(js.raw / 1024).toFixed(1),
        gzipKB: +(js.gzip / 1024).toFixed(1),
        budgetKB: 300,
      },
      apiListMs: {
        inApp: median(apiList),
        coldLoad: median(apiListCold),
        runs: { inApp: apiList, cold: apiListCold },
        apis: APIS,
      },
      analyticsMs: {
        inApp: median(analytics),
        coldLoad: median(analyticsCold),
        runs: { inApp: analytics, cold: analyticsCold },
        requests: REQUESTS,
        range: '24h',
        oneApiQueryMs: directMs,
      },
      database: stack.database,
      load: (await import('node:os')).loadavg().map((l) => +l.toFixed(2)),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await stack.close();
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
