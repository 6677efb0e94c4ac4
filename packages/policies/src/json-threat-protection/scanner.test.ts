import { describe, expect, it } from 'vitest';
import { type JsonLimits, JsonScanner, scanJson } from './scanner.js';

const OPEN: JsonLimits = {
  maxDepth: 1_000,
  maxKeyLength: 1e9,
  maxStringLength: 1e9,
  maxArraySize: 1e9,
  maxObjectEntries: 1e9,
};
const scan = (text: string, limits: Partial<JsonLimits> = {}) => scanJson(Buffer.from(text), { ...OPEN, ...limits });
const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

const SAMPLES = [
  '{}',
  '[]',
  '0',
  '-0',
  '12',
  '-1.5e+10',
  '1E5',
  '0.25',
  '"x"',
  'true',
  'false',
  'null',
  ' \n\t{ "a" : [ 1 , 2 ] } \r\n',
  '{"a":{"b":[true,false,null,"\\u00e9\\n\\"\\\\\\/"]}}',
  '"é ✓ 😀"',
  '[[],[[]],{}]',
  '{"":""}',
  '',
  ' ',
  '01',
  '1.',
  '.5',
  '-',
  '+1',
  '1e',
  '1e+',
  '--1',
  '[1,]',
  '{"a":1,}',
  '[1 2]',
  '{"a" 1}',
  '{a:1}',
  '{"a":1}{}',
  'nul',
  'truex',
  'True',
  '"\\x"',
  '"\\u12g4"',
  '"a\u0001b"',
  '[',
  '{"a":',
  '"open',
  '{"a":1]',
  '[1}',
  '[,1]',
  '{,}',
  '1 2',
  '{"a":[1,{"b":"c"}],"d":-0.0e-0}',
  '[-]',
  '[0x1]',
  '"\\ud83d\\ude00"',
];

describe('JsonScanner syntax', () => {
  it('agrees with JSON.parse on valid and invalid samples', () => {
    for (const sample of SAMPLES) {
      const problem = scan(sample);
      expect({ sample, valid: problem === undefined }).toEqual({ sample, valid: parses(sample) });
    }
  });

  it('agrees with JSON.parse on random documents and random mutations of them', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 4 || r < 0.3) return [1.5e-3, -7, 0, 'text \u00e9\n"q"', true, null, '😀'][Math.floor(random() * 7)];
      if (r < 0.65) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`k${i}\t`, value(depth + 1)]),
      );
    };
    const alphabet = '{}[],:"\\ 0-1.eE+tfnu';
    for (let i = 0; i < 400; i++) {
      const text = JSON.stringify(value(0), null, random() < 0.5 ? 0 : 2) ?? 'null';
      expect(scan(text)).toBeUndefined();
      const at = Math.floor(random() * text.length);
      const mutated =
        text.slice(0, at) +
        alphabet[Math.floor(random() * alphabet.length)] +
        text.slice(at + (random() < 0.5 ? 1 : 0));
      expect({ mutated, valid: scan(mutated) === undefined }).toEqual({ mutated, valid: parses(mutated) });
    }
  });

  it('gives the same verdict however the input is split into chunks', () => {
    const text = '{"name":"caf\u00e9","list":[1,-2.5e3,true,null,{"deep":["\\u0041"]}],"ok":false}';
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const scanner = new JsonScanner(OPEN);
      expect(
        scanner.write(bytes.subarray(0, cut)) ?? scanner.write(bytes.subarray(cut)) ?? scanner.end(),
      ).toBeUndefined();
      const limited = new JsonScanner({ ...OPEN, maxStringLength: 3 });
      const problem = limited.write(bytes.subarray(0, cut)) ?? limited.write(bytes.subarray(cut)) ?? limited.end();
      expect(problem).toMatchObject({ kind: 'limit', limit: 'maxStringLength', path: 'body.name' });
    }
  });

  it('reports the byte offset of a syntax error', () => {
    expect(scan('{"a":1,}')).toEqual({ kind: 'syntax', offset: 7, message: 'expected a key' });
    expect(scan('[1,2')).toMatchObject({ kind: 'syntax', message: 'unexpected end of input' });
  });
});

describe('JsonScanner limits', () => {
  it('maxDepth counts nested containers', () => {
    expect(scan('{"a":[1]}', { maxDepth: 2 })).toBeUndefined();
    expect(scan('{"a":[[1]]}', { maxDepth: 2 })).toEqual({
      kind: 'limit',
      limit: 'maxDepth',
      path: 'body.a[0]',
      message: 'nesting deeper than 2',
    });
  });

  it('maxKeyLength counts characters, with escapes as one', () => {
    expect(scan('{"\u00e9\u00e9\u00e9":1}', { maxKeyLength: 3 })).toBeUndefined();
    expect(scan('{"\\u0041bc":1}', { maxKeyLength: 3 })).toBeUndefined();
    expect(scan('{"ok":{"abcd":1}}', { maxKeyLength: 3 })).toMatchObject({ limit: 'maxKeyLength', path: 'body.ok' });
  });

  it('maxStringLength applies to values, not keys', () => {
    expect(scan('{"abcdef":"abc"}', { maxStringLength: 3 })).toBeUndefined();
    expect(scan('{"items":["ok","long!"]}', { maxStringLength: 3 })).toEqual({
      kind: 'limit',
      limit: 'maxStringLength',
      path: 'body.items[1]',
      message: 'string longer than 3 characters',
    });
  });

  it('maxArraySize and maxObjectEntries point at the container', () => {
    expect(scan('[1,2,3]', { maxArraySize: 3 })).toBeUndefined();
    expect(scan('{"list":[1,2,3,4]}', { maxArraySize: 3 })).toMatchObject({ limit: 'maxArraySize', path: 'body.list' });
    expect(scan('{"a":1,"b":2}', { maxObjectEntries: 2 })).toBeUndefined();
    expect(scan('[{"a":1,"b":2,"c":3}]', { maxObjectEntries: 2 })).toMatchObject({
      limit: 'maxObjectEntries',
      path: 'body[0]',
    });
    expect(scan('{"we ird":{"x":1,"y":2}}', { maxObjectEntries: 1 })).toMatchObject({
      limit: 'maxObjectEntries',
      path: 'body["we ird"]',
    });
    expect(scan('{"a":1,"b":{}}', { maxObjectEntries: 1 })).toMatchObject({ limit: 'maxObjectEntries', path: 'body' });
    expect(scan('{"we ird":[1,2]}', { maxArraySize: 1 })).toMatchObject({ path: 'body["we ird"]' });
  });

  it('stops hostile input at the first exceeded limit, without reading the rest', () => {
    // Past the depth limit come bytes that are not JSON: a scanner that read on would report a syntax
    // error instead. (Speed is the benchmark's business, not a timed unit test's.)
    const deep = Buffer.from(`${'['.repeat(33)}${'x'.repeat(5_000_000)}`);
    expect(scanJson(deep, { ...OPEN, maxDepth: 32 })).toMatchObject({ limit: 'maxDepth' });

    const items = Array.from({ length: 20_000 }, (_, i) => ({
      id: i,
      name: `item ${i} with some text`,
      tags: ['a', 'b'],
      price: i * 1.25,
    }));
    const megabyte = Buffer.from(JSON.stringify({ items }));
    expect(megabyte.length).toBeGreaterThan(1_000_000);
    expect(scanJson(megabyte, { ...OPEN, maxArraySize: 100_000 })).toBeUndefined();
    expect(scanJson(megabyte, { ...OPEN, maxArraySize: 19_999 })).toMatchObject({ limit: 'maxArraySize' });
  });
});
