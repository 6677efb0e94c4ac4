import { describe, expect, it } from 'vitest';
import { affectedTags } from '../services/deployments.js';
import { formatCursor, parseCursor } from './changes.js';
import { servesApi } from './sharding.js';

describe('servesApi', () => {
  it('gives untagged gateways everything and tagged ones untagged APIs plus shared tags', () => {
    expect(servesApi([], ['eu'])).toBe(true);
    expect(servesApi(['eu'], [])).toBe(true);
    expect(servesApi(['eu', 'us'], ['us'])).toBe(true);
    expect(servesApi(['eu'], ['us', 'apac'])).toBe(false);
  });
});

describe('affectedTags of a deployment', () => {
  it('reaches the gateways of the old and the new tags; untagged on either side reaches all', () => {
    expect(affectedTags(['eu'], ['us'])).toEqual(['eu', 'us']);
    expect(affectedTags(null, ['eu'])).toEqual(['eu']);
    expect(affectedTags([], ['eu'])).toEqual([]);
    expect(affectedTags(['eu'], [])).toEqual([]);
  });
});

describe('cursors', () => {
  it('round-trips c:<seq> and rejects anything else', () => {
    expect(parseCursor(formatCursor(42))).toBe(42);
    expect(parseCursor(undefined)).toBeUndefined();
    for (const bad of ['42', 'c:', 'c:-1', 'c:1.5', 'x:1', 'c:1234567890123456'])
      expect(parseCursor(bad)).toBeUndefined();
  });
});
