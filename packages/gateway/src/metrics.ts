import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The gateway's Prometheus metrics; one registry per gateway instance (tests run several). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'gatehouse_requests_total',
    help: 'Requests handled, by API, plan and status code.',
    labelNames: ['api', 'plan', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'gatehouse_request_duration_seconds',
    help: 'Total request latency at the gateway (first byte in to last byte out), by API.',
    labelNames: ['api'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly upstreamLatency = new Histogram({
    name: 'gatehouse_upstream_duration_seconds',
    help: 'Time until the upstream answered with headers, by API.',
    labelNames: ['api'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly upstreamErrors = new Counter({
    name: 'gatehouse_upstream_errors_total',
    help: 'Upstream failures by API, target and kind (connect, timeout, reset, status).',
    labelNames: ['api', 'target', 'kind'] as const,
    registers: [this.registry],
  });
  readonly configReloads = new Counter({
    name: 'gatehouse_config_reloads_total',
    help: 'Config loads by result (success, failure).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly configInfo = new Gauge({
    name: 'gatehouse_config_info',
    help: 'The config version being served (value 1).',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });
  readonly configLoadedAt = new Gauge({
    name: 'gatehouse_config_loaded_timestamp_seconds',
    help: 'When the serving config was loaded.',
    registers: [this.registry],
  });
  readonly redisFallbacks = new Counter({
    name: 'gatehouse_redis_fallbacks_total',
    help: 'Counter operations served by per-gateway memory because Redis was unreachable.',
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'gatehouse_requests_in_flight',
    help: 'Requests being processed.',
    registers: [this.registry],
  });
  readonly circuitState = new Gauge({
    name: 'gatehouse_circuit_open',
    help: 'Upstream circuit breaker state by API (0 closed, 0.5 half-open, 1 open).',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });

  /** Label children are cached: prom-client's own lookup hashes labels on every call. */
  private readonly requestChildren = new Map<string, { inc(): void }>();
  private readonly latencyChildren = new Map<string, { observe(v: number): void }>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_process_' });
  }

  countRequest(api: string, plan: string, status: number, seconds: number): void {
    const key = `${api}\u0000${plan}\u0000${status}`;
    let child = this.requestChildren.get(key);
    if (!child) {
      child = this.requests.labels(api, plan, String(status));
      this.requestChildren.set(key, child);
    }
    child.inc();
    let histogram = this.latencyChildren.get(api);
    if (!histogram) {
      histogram = this.latency.labels(api);
      this.latencyChildren.set(api, histogram);
    }
    histogram.observe(seconds);
  }

  setConfigVersion(version: string): void {
    this.configInfo.reset();
    this.configInfo.labels(version).set(1);
    this.configLoadedAt.set(Date.now() / 1000);
  }
}
