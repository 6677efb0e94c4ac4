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

/** The bench's portal settings and 500 public APIs, created through the API. */
export async function seed(cp, token, apis = APIS) {
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
  for (let start = 0; start < apis; start += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, apis - start) }, (_, k) => {
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
}

/** Click on Reference until the tags are listed, then open one and expand its first operation. */
export async function openReference(page) {
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
}

/** Where a cold catalog load spent its time, from the page's navigation and resource timings (ms from navigation start). */
const catalogPhases = (page) =>
  page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource');
    const end = (pattern) =>
      Math.round(Math.max(0, ...res.filter((r) => pattern.test(r.name)).map((r) => r.responseEnd)));
    return {
      html: Math.round(nav.responseEnd),
      scripts: end(/\.js$/),
      settings: end(/\/settings$/),
      catalog: end(/\/apis\?/),
      domContentLoaded: Math.round(nav.domContentLoadedEventEnd),
    };
  });

/** One measured run in a fresh browser context (nothing cached) against one control plane. */
async function run(browser, cp) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  const r = {};
  let t0 = Date.now();
  await page.goto(`${cp.url}/portal/favicon.svg`);
  r.trivial = Date.now() - t0;
  r.cpuLoop = await page.evaluate(() => {
    const t = performance.now();
    let x = 0;
    for (let i = 0; i < 20_000_000; i++) x = (x + i * 7) % 1_000_003;
    return Math.round(performance.now() - t + (x < 0 ? 1 : 0));
  });
  t0 = Date.now();
  await page.goto(`${cp.url}/portal/default/`);
  await page.getByRole('link', { name: 'Service 0', exact: true }).waitFor({ timeout: 30_000 });
  r.catalogCold = Date.now() - t0;
  r.phases = await catalogPhases(page);
  t0 = Date.now();
  await page.getByLabel('Search APIs').fill('Service 437');
  await page.getByRole('link', { name: 'Service 437', exact: true }).waitFor({ timeout: 30_000 });
  r.search = Date.now() - t0;
  await page.goto(`${cp.url}/portal/default/apis/api-0000`);
  await page.getByRole('link', { name: 'Reference' }).waitFor({ timeout: 30_000 });
  const cold = await openReference(page);
  r.reference = cold.tags;
  r.openTag = cold.open;
  r.expandOp = cold.expand;
  r.usable = cold.usable;
  // Again, in the same tab: chunks and document already loaded.
  await page.getByRole('link', { name: 'Overview' }).click();
  await page.getByRole('heading', { name: 'Plans' }).waitFor();
  r.warm = (await openReference(page)).usable;
  await context.close();
  return r;
}

function summary(runs, js) {
  const of = (key) => runs.map((r) => r[key]);
  const m = (key) => median(of(key));
  const phases = Object.fromEntries(Object.keys(runs[0].phases).map((k) => [k, median(runs.map((r) => r.phases[k]))]));
  return {
    initialJs: { files: js.files, rawKB: +(js.raw / 1024).toFixed(1), gzipKB: +(js.gzip / 1024).toFixed(1) },
    catalogColdMs: { median: m('catalogCold'), runs: of('catalogCold'), apis: APIS },
    catalogPhasesMs: { medians: phases, note: 'responseEnd of the HTML, last script, settings and catalog requests' },
    searchMs: { median: m('search'), runs: of('search'), debounceMs: 250 },
    referenceTagsMs: { median: m('reference'), runs: of('reference'), operations: OPERATIONS, tags: 10 },
    openTagMs: { median: m('openTag'), runs: of('openTag'), operations: 40 },
    expandOperationMs: { median: m('expandOp'), runs: of('expandOp') },
    referenceUsableMs: { median: m('usable'), runs: of('usable'), target: 2000 },
    referenceUsableWarmMs: { median: m('warm'), runs: of('warm') },
    trivialPageMs: { median: m('trivial'), runs: of('trivial') },
    cpuLoopMs: { median: m('cpuLoop'), runs: of('cpuLoop'), note: '2e7 iterations in the page' },
    relativeToTrivialPage: {
      catalogCold: +(m('catalogCold') / Math.max(1, m('trivial'))).toFixed(1),
      referenceUsable: +(m('usable') / Math.max(1, m('trivial'))).toFixed(1),
    },
  };
}

/**
 * PORTAL_BENCH_BASELINE=<a built portal dist> also serves that build from a second control plane
 * (same data) and alternates the two run by run, so a before/after comparison sees the same load.
 */
async function main() {
  const baselineDir = process.env.PORTAL_BENCH_BASELINE;
  const runs = Number(process.env.PORTAL_BENCH_RUNS ?? RUNS);
  const stack = await startBenchStack('portal', ADMIN);
  const stacks = [{ name: 'current', stack, dist, results: [] }];
  try {
    if (baselineDir) {
      const previous = process.env.GATEHOUSE_PORTAL_DIR;
      process.env.GATEHOUSE_PORTAL_DIR = baselineDir;
      try {
        stacks.push({
          name: 'baseline',
          stack: await startBenchStack('portal', ADMIN),
          dist: baselineDir,
          results: [],
        });
      } finally {
        if (previous === undefined) delete process.env.GATEHOUSE_PORTAL_DIR;
        else process.env.GATEHOUSE_PORTAL_DIR = previous;
      }
    }
    for (const s of stacks) await seed(s.stack.cp, s.stack.token);
    for (let i = 0; i < runs; i++) {
      // Alternate which build goes first, so neither always runs right after the other.
      const order = i % 2 ? [...stacks].reverse() : stacks;
      for (const s of order) s.results.push(await run(stack.browser, s.stack.cp));
    }
    const result = Object.fromEntries(stacks.map((s) => [s.name, summary(s.results, initialJs(s.dist, 'portal'))]));
    result.database = stack.database;
    result.load = (await import('node:os')).loadavg().map((l) => +l.toFixed(2));
    process.stdout.write(
      `${JSON.stringify(baselineDir ? result : { ...result.current, database: result.database, load: result.load }, null, 2)}\n`,
    );
  } finally {
    for (const s of stacks) await s.stack.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
