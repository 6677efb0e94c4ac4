import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from './load.js';
import { formatProblems, validateDocument } from './validate.js';

const quickstart = readFileSync(new URL('../../../examples/quickstart.yaml', import.meta.url), 'utf8');

function load(text: string) {
  const parsed = parseConfigText(text);
  if (!parsed.ok) throw new Error(formatProblems(parsed.problems));
  return parsed.value as Record<string, any>;
}

describe('validateDocument', () => {
  it('accepts the quickstart example unchanged and fills defaults', () => {
    const result = validateDocument(load(quickstart));
    expect(result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.value.apis[0]!.upstream.loadBalancing).toBe('round-robin');
    expect(result.value.apis[1]!.upstream.loadBalancing).toBe('round-robin');
    expect(result.value.apis[1]!.upstream.timeouts).toEqual({ connect: '2s', response: '30s', idle: '60s' });
  });

  it('checks mock mode: it needs an OpenAPI 3 document, and well-formed operation keys', () => {
    const doc = load(quickstart);
    doc.apis[0].upstream.mock = { operations: { 'GET /pets': { status: 404 }, 'get pets': {} } };
    let text = formatProblems(validateDocument(doc).problems);
    expect(text).toContain('apis[0].upstream.mock.operations');
    expect(text).toContain('apis[0].upstream.mock.operations["get pets"]: is not a known field');
    delete doc.apis[0].upstream.mock.operations['get pets'];
    text = formatProblems(validateDocument(doc).problems);
    expect(text).toContain("apis[0].upstream.mock: mock mode needs the API's `openapi` document");
    doc.apis[0].openapi = { swagger: '2.0', paths: {} };
    text = formatProblems(validateDocument(doc).problems);
    expect(text).toContain('apis[0].upstream.mock: mock mode needs an OpenAPI 3.x document');
    doc.apis[0].openapi = { openapi: '3.1.0', paths: { '/pets': { get: {} } } };
    expect(validateDocument(doc).problems).toEqual([]);
    doc.apis[0].upstream.mock = { enabled: false };
    delete doc.apis[0].openapi;
    expect(validateDocument(doc).problems).toEqual([]);
  });

  it('reports each problem with its path', () => {
    const doc = load(quickstart);
    doc.apis[0].upstream.targets[0].url = 'ftp://nope';
    doc.apis[0].upstream.timeouts.connect = 'soon';
    doc.apis[0].upstream.loadBalancing = 'random';
    doc.apis[1].surprise = true;
    delete doc.apis[1].name;
    const result = validateDocument(doc);
    expect(result.ok).toBe(false);
    const text = formatProblems(result.problems);
    expect(text).toContain('apis[0].upstream.targets[0].url: must be an http(s) URL');
    expect(text).toContain('apis[0].upstream.timeouts.connect: must be a duration');
    expect(text).toContain(
      'apis[0].upstream.loadBalancing: must be one of "round-robin", "weighted", "least-connections"',
    );
    expect(text).toContain('apis[1].surprise: is not a known field');
    expect(text).toContain('apis[1].name: is required');
  });

  it('checks references between applications, APIs and plans', () => {
    const doc = load(quickstart);
    doc.applications[0].subscriptions.push({ api: 'orders', plan: 'platinum' }, { api: 'missing', plan: 'x' });
    doc.applications[0].subscriptions[0].apiKeys.push(
      { key: 'acme-demo-key-0001' },
      { id: 'both', key: 'abcdefgh12', keyHash: `sha256:${'0'.repeat(64)}` },
    );
    const result = validateDocument(doc);
    const text = formatProblems(result.problems);
    expect(text).toContain('applications[0].subscriptions[1].plan: API "orders" has no plan "platinum"');
    expect(text).toContain('applications[0].subscriptions[2].api: no API with id "missing"');
    expect(text).toContain('applications[0].subscriptions[0].apiKeys[1]: the same key is already used');
    expect(text).toContain('applications[0].subscriptions[0].apiKeys[2]: must have exactly one of key or keyHash');
  });

  it('refuses two APIs on the same basePath and host', () => {
    const doc = load(quickstart);
    doc.apis[1].basePath = '/orders/';
    const text = formatProblems(validateDocument(doc).problems);
    expect(text).toContain('apis[1].basePath: "/orders/" is already served by API "orders"');
  });

  it('reports YAML syntax errors with a position', () => {
    const parsed = parseConfigText('version: 1\napis: [\n', 'bad.yaml');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems[0]!.message).toMatch(/^bad\.yaml:\d+:\d+: /);
  });
});

describe('one-pass validation and hints', () => {
  it('reports schema problems and dangling references together', () => {
    const doc = load(quickstart);
    doc.apis[0].upstream.timeouts = { connect: 'soon' };
    doc.applications[0].subscriptions[0].plan = 'platinum';
    const text = formatProblems(validateDocument(doc).problems);
    expect(text).toContain('apis[0].upstream.timeouts.connect: must be a duration');
    expect(text).toMatch(/applications\[0\]\.subscriptions\[0\]\.plan: API ".*" has no plan "platinum"/);
  });

  it('suggests the field an unknown one was probably meant to be', () => {
    const doc = load(quickstart);
    doc.apis[0].basePth = doc.apis[0].basePath;
    delete doc.apis[0].basePath;
    const text = formatProblems(validateDocument(doc).problems);
    expect(text).toContain('apis[0].basePth: is not a known field (did you mean "basePath"?)');
    doc.apis[0].basePath = '/x';
    doc.apis[0].upstream.loadBalancing = 'round-robn';
    expect(formatProblems(validateDocument(doc).problems)).toContain('(did you mean "round-robin"?)');
  });
});

describe('parseConfigText', () => {
  it('shows a YAML syntax error with its line, column, the line and a caret', () => {
    const parsed = parseConfigText(
      'version: 1\napis:\n  - id: a\n    name: [A, B\n    basePath: /a\n',
      'gatehouse.yaml',
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const [problem] = parsed.problems;
    const lines = problem!.message.split('\n');
    expect(lines[0]).toMatch(/^gatehouse\.yaml:\d+:\d+: /);
    const [, line, col] = /^gatehouse\.yaml:(\d+):(\d+)/.exec(lines[0]!)!.map(Number);
    expect(lines[1]).toBe(
      `${line} | ${'version: 1\napis:\n  - id: a\n    name: [A, B\n    basePath: /a'.split('\n')[line! - 1]}`,
    );
    expect(lines[2]!.indexOf('^')).toBe(`${line} | `.length + col! - 1);
  });
});
