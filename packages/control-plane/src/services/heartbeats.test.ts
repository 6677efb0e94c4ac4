import { describe, expect, it } from 'vitest';
import { gatewayStatus } from './gateways.js';
import { MAX_KEPT_ERRORS, mergeErrors } from './heartbeats.js';

describe('gatewayStatus', () => {
  const now = new Date('2026-01-01T00:10:00Z');
  const ago = (s: number) => new Date(now.getTime() - s * 1000);
  it('is online within 1.5 intervals, stale up to 3, then offline', () => {
    const live = { revokedAt: null };
    expect(gatewayStatus(live, ago(90), 60_000, now)).toBe('online');
    expect(gatewayStatus(live, ago(91), 60_000, now)).toBe('stale');
    expect(gatewayStatus(live, ago(180), 60_000, now)).toBe('stale');
    expect(gatewayStatus(live, ago(181), 60_000, now)).toBe('offline');
    expect(gatewayStatus(live, null, 60_000, now)).toBe('never-seen');
    expect(gatewayStatus({ revokedAt: now }, ago(1), 60_000, now)).toBe('revoked');
  });
});

describe('mergeErrors', () => {
  it('keeps the newest errors first, without repeats, up to a bound', () => {
    const e = (minute: number, message = `m${minute}`) => ({
      at: `2026-01-01T00:${String(minute).padStart(2, '0')}:00Z`,
      message,
    });
    expect(mergeErrors([e(1), e(2)], [e(2), e(3)])).toEqual([e(3), e(2), e(1)]);
    const many = Array.from({ length: 30 }, (_, i) => e(i));
    const merged = mergeErrors([], many);
    expect(merged).toHaveLength(MAX_KEPT_ERRORS);
    expect(merged[0]).toEqual(e(29));
  });
});
