/**
 * Developer portal speed benchmark (not a timed test): `npm run bench:portal`.
 *  1. Initial JavaScript of the portal (entry + modulepreloads), gzipped as the control plane serves it.
 *  2. Catalog with 500 public APIs: cold load until the first cards show; then a search typed into the
 *     box until the matching card shows (debounce 250 ms included).
 *  3. API reference of an OpenAPI document with 400 operations in 10 tags: from clicking "Reference"
 *     until the tags are listed, then opening one tag (40 operations, rendered by Swagger UI), then
 *     expanding its first operation. "Usable" (target < 2 s) is the sum: click on Reference until an
 *     operation's details show. Then again in the same tab (chunks and document already loaded).
 *  4. Baselines in the same browser, to read the figures on a loaded machine: a trivial page (the
 *     favicon from the same server) and a fixed CPU loop in the page. Figures are also given as
 *     multiples of the trivial page.
 * Runs a control plane on PostgreSQL (DATABASE_URL, fresh schema) or embedded PGlite, and the
 * system Chromium through playwright-core.
 */

import { fileURLToPath } from 'node:url';
import { initialJs, median, startBenchStack } from '@gatehouse/ui/testing/bench';

const ADMIN = { email: 'bench@example.test', password: 'portal-bench-password' };
const APIS = 500;
const OPERATIONS = 400;
const RUNS = 5;
const CATEGORIES = ['Payments', 'Data', 'Maps', 'Messaging', 'Identity'];
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

/** 400 operations over 100 paths, each with parameters, a request body and a response schema. */
function bigOpenApi() {
  const paths = {};
  for (let i = 0; i < OPERATIONS / 4; i++) {
    const item = {
      type: 'object',
      properties: { id: { type: 'string' }, amount: { type: 'integer' }, note: { type: 'string' } },
    };
    const op = (verb) => ({
      operationId: `${verb}Resource${i}`,
      summary: `${verb} resource ${i}`,
      tags: [`group-${i % 10}`],
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'expand', in: 'query', schema: { type: 'string' } },
      ],
      ...(verb === 'put' || verb === 'patch'
        ? { requestBody: { content: { 'application/json': { schema: item } } } }
        : {}),
      responses: { 200: { description: 'OK', content: { 'application/json': { schema: item } } } },
    });
    paths[`/resources-${i}/{id}`] = { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
  }
  return { openapi: '3.0.3', info: { title: 'Big', version: '1.0.0' }, paths };
}

async function main() {
  const js = initialJs(dist, 'portal');
  const stack = await startBenchStack('portal', ADMIN);
  const { cp, browser, token } = stack;
  try {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const call = async (method, path, body) => {
      const r = await fetch(`${cp.url}/api/v1${path}`, {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
      });
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    };
    await call('PUT', '/environments/default/portal', {
      enabled: true,
      name: 'Bench portal',
      logo: null,
      primaryColor: '#1f5fbf',
      homeMarkdown: '# Bench portal',
      signup: 'open',
      tryItBaseUrl: null,
    });
    for (let start = 0; start < APIS; start += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, APIS - start) }, (_, k) => {
          const i = start + k;
          const id = `api-${String(i).padStart(4, '0')}`;
          return call('POST', '/environments/default/apis', {
            id,
            name: `Service ${i}`,
            description: `Service number ${i}: does useful thing ${i % 37}.`,
            basePath: `/${id}`,
            tags: [i % 2 ? 'internal' : 'partner', `t${i % 50}`],
            categories: [CATEGORIES[i % CATEGORIES.length]],
            lifecycle: 'published',
            visibility: 'public',
            upstream: { targets: [{ url: `http://10.0.${i % 250}.1:8080` }] },
            ...(i === 0 ? { openapi: bigOpenApi() } : {}),
          });
        }),
      );
    }

    const catalogCold = [];
    const search = [];
    const reference = [];
    const openTag = [];
    const expandOp = [];
    const usable = [];
    const warm = [];
    const trivial = [];
    const cpuLoop = [];
    // Click on Reference until the tags are listed, then open one and expand its first operation.
    const openReference = async (page) => {
      const times = {};
      let t = Date.now();
      const start = t;
      await page.getByRole('link', { name: 'Reference' }).click();
      await page.waitForFunction(() => document.querySelectorAll('.reference-tag-toggle').length >= 10, undefined, {
        timeout: 30_000,
      });
      times.tags = Date.now() - t;
      t = Date.now();
      await page.locator('.reference-tag-toggle').first().click();
      await page.waitForFunction(() => document.querySelectorAll('.opblock').length >= 40, undefined, {
        timeout: 30_000,
      });
      times.open = Date.now() - t;
      t = Date.now();
      await page.locator('.opblock-summary-control').first().click();
      await page.locator('.opblock.is-open .opblock-body').first().waitFor({ timeout: 30_000 });
      times.expand = Date.now() - t;
      times.usable = Date.now() - start;
      return times;
    };
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
      const page = await context.newPage();
      let t0 = Date.now();
      await page.goto(`${cp.url}/portal/favicon.svg`);
      trivial.push(Date.now() - t0);
      cpuLoop.push(
        await page.evaluate(() => {
          const t = performance.now();
          let x = 0;
          for (let i = 0; i < 20_000_000; i++) x = (x + i * 7) % 1_000_003;
          return Math.round(performance.now() - t + (x < 0 ? 1 : 0));
        }),
      );
      t0 = Date.now();
      await page.goto(`${cp.url}/portal/default/`);
      await page.getByRole('link', { name: 'Service 0', exact: true }).waitFor({ timeout: 30_000 });
      catalogCold.push(Date.now() - t0);
      t0 = Date.now();
      await page.getByLabel('Search APIs').fill('Service 437');
      await page.getByRole('link', { name: 'Service 437', exact: true }).waitFor({ timeout: 30_000 });
      search.push(Date.now() - t0);
      await page.goto(`${cp.url}/portal/default/apis/api-0000`);
      await page.getByRole('link', { name: 'Reference' }).waitFor({ timeout: 30_000 });
      const cold = await openReference(page);
      reference.push(cold.tags);
      openTag.push(cold.open);
      expandOp.push(cold.expand);
      usable.push(cold.usable);
      // Again, in the same tab: chunks and document already loaded.
      await page.getByRole('link', { name: 'Overview' }).click();
      await page.getByRole('heading', { name: 'Plans' }).waitFor();
      warm.push((await openReference(page)).usable);
      await context.close();
    }
    const result = {
      initialJs: { files: js.files, rawKB: +(js.raw / 1024).toFixed(1), gzipKB: +(js.gzip / 1024).toFixed(1) },
      catalogColdMs: { median: median(catalogCold), runs: catalogCold, apis: APIS },
      searchMs: { median: median(search), runs: search, debounceMs: 250 },
      referenceTagsMs: { median: median(reference), runs: reference, operations: OPERATIONS, tags: 10 },
      openTagMs: { median: median(openTag), runs: openTag, operations: 40 },
      expandOperationMs: { median: median(expandOp), runs: expandOp },
      referenceUsableMs: { median: median(usable), runs: usable, target: 2000 },
      referenceUsableWarmMs: { median: median(warm), runs: warm },
      trivialPageMs: { median: median(trivial), runs: trivial },
      cpuLoopMs: { median: median(cpuLoop), runs: cpuLoop, note: '2e7 iterations in the page' },
      relativeToTrivialPage: {
        catalogCold: +(median(catalogCold) / Math.max(1, median(trivial))).toFixed(1),
        referenceUsable: +(median(usable) / Math.max(1, median(trivial))).toFixed(1),
      },
      database: stack.database,
      load: (await import('node:os')).loadavg().map((l) => +l.toFixed(2)),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await stack.close();
  }
}

await main();
