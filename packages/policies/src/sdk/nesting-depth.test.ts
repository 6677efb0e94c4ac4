import { describe, expect, it } from 'vitest';
import { jsonNestingExceeds, xmlNestingExceeds } from './nesting-depth.js';

describe('jsonNestingExceeds', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonNestingExceeds('{"a":[{"b":1}]}', 3)).toBe(false);
    expect(jsonNestingExceeds('{"a":[{"b":1}]}', 2)).toBe(true);
    expect(jsonNestingExceeds('{"a":"[[[[\\"[[[["}', 1)).toBe(false);
    expect(jsonNestingExceeds('[],[],[]', 1)).toBe(false);
  });

  it('measures a body deep enough to overflow the stack without recursing itself', () => {
    expect(jsonNestingExceeds('['.repeat(1_000_000), 100)).toBe(true);
  });
});

describe('xmlNestingExceeds', () => {
  it('counts elements, not self-closing ones, comments, CDATA or declarations', () => {
    const xml = '<?xml version="1.0"?><!DOCTYPE a><a x="1>2"><b/><c><!-- <d><d><d> --><![CDATA[<e><e>]]></c></a>';
    expect(xmlNestingExceeds(xml, 2)).toBe(false);
    expect(xmlNestingExceeds(xml, 1)).toBe(true);
  });

  it('measures deep documents', () => {
    expect(xmlNestingExceeds('<a>'.repeat(100_000), 100)).toBe(true);
    expect(xmlNestingExceeds(`${'<a>'.repeat(100)}${'</a>'.repeat(100)}`, 100)).toBe(false);
  });
});
