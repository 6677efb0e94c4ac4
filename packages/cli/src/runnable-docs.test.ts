/**
 * The docs run: every shell block marked `<!-- runnable -->` in the README and the docs (docs/*.md)
 * is run with bash (blocks of one document share one shell, in order) against a real `npm start`
 * (scripts/start.mjs: build, then `gatehouse up`) on free ports. A command that fails fails the test,
 * and a `<!-- output -->` block after a runnable block lists lines that must appear in its output,
 * in order (`...` skips). The docs keep the default URLs and placeholders a reader sees; the test
 * maps them to this run's ports, key and password.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '@gatehouse/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
/** The README and every doc that marks a block runnable: a new walkthrough is run without editing this test. */
const DOCUMENTS = [
  'README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`)
    .filter((doc) => readFileSync(path.join(root, doc), 'utf8').includes('<!-- runnable -->')),
];

interface RunnableBlock {
  line: number;
  script: string;
  expected: string[];
}

/** The runnable blocks of a markdown text, each with the expected lines of the output block after it. */
export function runnableBlocks(markdown: string): RunnableBlock[] {
  const lines = markdown.split('\n');
  const blocks: RunnableBlock[] = [];
  const fenceAfter = (index: number) => {
    let i = index + 1;
    while (i < lines.length && lines[i]!.trim() === '') i++;
    if (!lines[i]?.startsWith('```')) return undefined;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    return { start: i, end, body: lines.slice(i + 1, end) };
  };
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '<!-- runnable -->') continue;
    const fence = fenceAfter(i);
    if (!fence || !/^```(sh|bash)\b/.test(lines[fence.start]!))
      throw new Error(`line ${i + 1}: <!-- runnable --> must precede a sh block`);
    let expected: string[] = [];
    let next = fence.end + 1;
    while (next < lines.length && lines[next]!.trim() === '') next++;
    if (lines[next]?.trim() === '<!-- output -->') {
      const output = fenceAfter(next);
      if (!output) throw new Error(`line ${next + 1}: <!-- output --> must precede a code block`);
      expected = output.body.filter((l) => l.trim() !== '');
    }
    blocks.push({ line: fence.start + 1, script: fence.body.join('\n'), expected });
    i = fence.end;
  }
  return blocks;
}

/** Every expected line appears in the output, in order; `...` matches anything. */
function missingLines(output: string, expected: string[]): string[] {
  let from = 0;
  const missing: string[] = [];
  for (const line of expected) {
    if (line.trim() === '...') continue;
    const at = output.indexOf(line.trim(), from);
    if (at < 0) missing.push(line);
    else from = at + line.trim().length;
  }
  return missing;
}

function runBash(script: string, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Shell blocks that are neither `<!-- runnable -->` nor `<!-- not runnable: why -->`, as `file:line`. */
export function unmarkedShellBlocks(document: string, markdown: string): string[] {
  const lines = markdown.split('\n');
  const unmarked: string[] = [];
  lines.forEach((line, i) => {
    if (!/^```(sh|bash)\b/.test(line)) return;
    let j = i - 1;
    while (j >= 0 && lines[j]!.trim() === '') j--;
    const marker = lines[j]?.trim() ?? '';
    if (marker !== '<!-- runnable -->' && !/^<!-- not runnable: .+ -->$/.test(marker))
      unmarked.push(`${document}:${i + 1}`);
  });
  return unmarked;
}

describe('the docs say which shell blocks run', () => {
  it('marks every sh block of the README and docs/ as runnable or not runnable (with why)', () => {
    const everyDoc = [
      'README.md',
      ...readdirSync(path.join(root, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .map((name) => `docs/${name}`),
    ];
    const unmarked = everyDoc.flatMap((doc) => unmarkedShellBlocks(doc, readFileSync(path.join(root, doc), 'utf8')));
    expect(unmarked).toEqual([]);
    expect(unmarkedShellBlocks('x.md', '```sh\nls\n```')).toEqual(['x.md:1']);
    expect(DOCUMENTS).toEqual(expect.arrayContaining(['README.md', 'docs/control-plane.md', 'docs/mock-mode.md']));
  });
});

describe('the docs run', () => {
  let up: ChildProcess;
  let cwd: string;
  let banner = '';
  let progress = '';
  let logs = '';
  let substitutions: Array<[string, string]> = [];
  const password = randomBytes(12).toString('base64url');

  beforeAll(async () => {
    const [gw, admin, cp, ...upstreams] = (await freePorts(6)) as number[];
    cwd = mkdtempSync(path.join(tmpdir(), 'gh-docs-'));
    // What `npm start` runs, with this run's ports.
    up = spawn(
      process.execPath,
      [
        path.join(root, 'scripts/start.mjs'),
        '--port',
        String(gw),
        '--admin-port',
        String(admin),
        '--cp-port',
        String(cp),
        '--upstream-ports',
        upstreams.join(','),
      ],
      { cwd, env: { ...process.env, GATEHOUSE_ADMIN_PASSWORD: password, LOG_FORMAT: 'json' } },
    );
    up.stdout!.on('data', (c: Buffer) => {
      logs += c.toString();
    });
    // JSON logs on stdout; progress and the banner on stderr.
    up.stderr!.on('data', (c: Buffer) => {
      progress += c.toString();
      banner += c.toString();
    });
    const deadline = Date.now() + 150_000;
    while (!/curl http\S+\/status\//.test(banner)) {
      if (up.exitCode !== null || Date.now() > deadline)
        throw new Error(`npm start did not come up:\n${banner}\n${logs}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const key = /X-Api-Key: ([^']+)'/.exec(banner)?.[1];
    if (!key) throw new Error(`no demo key in the banner:\n${banner}`);
    substitutions = [
      ['127.0.0.1:8080', `127.0.0.1:${gw}`],
      ['127.0.0.1:8081', `127.0.0.1:${admin}`],
      ['127.0.0.1:8082', `127.0.0.1:${cp}`],
      ['127.0.0.1:9101', `127.0.0.1:${upstreams[0]}`],
      ['127.0.0.1:9102', `127.0.0.1:${upstreams[1]}`],
      ['127.0.0.1:9103', `127.0.0.1:${upstreams[2]}`],
      ['<the printed key>', key],
      ['<password>', password],
    ];
  }, 180_000);

  afterAll(async () => {
    if (up && up.exitCode === null) {
      const exited = new Promise((r) => up.once('exit', r));
      up.kill('SIGINT');
      await exited;
    }
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  }, 30_000);

  it('`npm start` reports its progress, each step with its time; stdout carries JSON lines only', () => {
    for (const line of logs.split('\n').filter(Boolean)) expect(() => JSON.parse(line), line).not.toThrow();
    expect(progress).toMatch(/building \(tsc -b\) \.\.\. \d+\.\d s/);
    expect(progress).toMatch(/creating the embedded database under .+ \.\.\. \d+\.\d s/);
    expect(progress).toMatch(/ready in \d+\.\d s/);
  });

  for (const document of DOCUMENTS) {
    it(`${document}: every runnable block succeeds and prints what the doc says`, async () => {
      const blocks = runnableBlocks(readFileSync(path.join(root, document), 'utf8'));
      expect(blocks.length).toBeGreaterThan(0);
      const substitute = (text: string) => substitutions.reduce((t, [from, to]) => t.replaceAll(from, to), text);
      // One shell per document (blocks build on each other); a marker line separates their outputs.
      const script = blocks
        .map((block, i) => `printf '\\n@@block ${i}@@\\n'; printf '@@block ${i}@@\\n' >&2\n${substitute(block.script)}`)
        .join('\n');
      // Generous for a loaded CI machine: each document takes 5-15 s on an idle one.
      const result = await runBash(script, 120_000);
      const outputs = result.stdout.split(/\n@@block \d+@@\n/).slice(1);
      if (result.code !== 0) {
        const failed = blocks[outputs.length - 1];
        throw new Error(
          `${document}:${failed?.line}: the block failed (exit ${result.code})\n--- stdout\n${outputs.at(-1) ?? ''}\n--- stderr\n${result.stderr.split(/@@block \d+@@\n/).at(-1)}`,
        );
      }
      blocks.forEach((block, i) => {
        const missing = missingLines(outputs[i] ?? '', block.expected.map(substitute));
        expect(missing, `${document}:${block.line}: output lacks these lines\n--- output\n${outputs[i]}`).toEqual([]);
      });
    }, 150_000);
  }
});
