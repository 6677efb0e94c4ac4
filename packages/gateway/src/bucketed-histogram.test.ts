import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BucketedHistogram } from './bucketed-histogram.js';

describe('BucketedHistogram', () => {
  it('exposes cumulative buckets, sum and count per label in the Prometheus text format', async () => {
    const registry = new Registry();
    const histogram = new BucketedHistogram('x_seconds', 'Test latency.', 'api', [0.1, 1], registry);
    for (const value of [0.05, 0.1, 0.5, 3]) histogram.observe('orders', value);
    histogram.observe('users', 0.2);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE x_seconds histogram');
    expect(text).toContain('x_seconds_bucket{le="0.1",api="orders"} 2');
    expect(text).toContain('x_seconds_bucket{le="1",api="orders"} 3');
    expect(text).toContain('x_seconds_bucket{le="+Inf",api="orders"} 4');
    expect(text).toContain('x_seconds_sum{api="orders"} 3.65');
    expect(text).toContain('x_seconds_count{api="orders"} 4');
    expect(text).toContain('x_seconds_bucket{le="0.1",api="users"} 0');
    expect(text).toContain('x_seconds_count{api="users"} 1');
  });
});
