import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { BucketedHistogram, type Series } from './bucketed-histogram.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The gateway's Prometheus metrics; one registry per gateway instance (tests run several). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'gatehouse_requests_total',
    help: 'Requests handled, by API, plan and status code.',
    labelNames: ['api', 'plan', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new BucketedHistogram(
    'gatehouse_request_duration_seconds',
    'Total request latency at the gateway (first byte in to last byte out), by API.',
    'api',
    LATENCY_BUCKETS,
    this.registry,
  );
  readonly upstreamLatency = new BucketedHistogram(
    'gatehouse_upstream_duration_seconds',
    'Time until the upstream answered with headers, by API.',
    'api',
    LATENCY_BUCKETS,
    this.registry,
  );
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
    // A node's workers report the same value: /metrics of the node shows it once, not summed.
    aggregator: 'max',
    help: 'The config version being served (value 1).',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });
  readonly configLoadedAt = new Gauge({
    name: 'gatehouse_config_loaded_timestamp_seconds',
    // A node's workers report the same value: /metrics of the node shows it once, not summed.
    aggregator: 'max',
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
    // A node's workers report the same value: /metrics of the node shows it once, not summed.
    aggregator: 'max',
    help: 'Upstream circuit breaker state by API (0 closed, 0.5 half-open, 1 open).',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });

  /**
   * Per-request accounting stays off prom-client's label hashing: request counts accumulate in typed arrays here
   * and are folded into the counter when scraped; latencies go straight into BucketedHistograms.
   */
  private readonly pendingRequests = new Map<string, Map<string, Uint32Array>>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_process_' });
    const flush = () => this.flush();
    // prom-client calls `collect` before reading a metric; both fold the same pending data.
    Object.assign(this.requests, { collect: flush });
  }

  countRequest(api: string, plan: string, status: number, seconds: number, upstreamSeconds?: number): void {
    this.record(this.bind(api, plan), status, seconds, upstreamSeconds);
  }

  /**
   * The series one (api, plan) pair counts into, looked up once: compiled configs bind them per route and plan, so
   * the request path does no label or map lookup at all (countRequest is the lookup for the rest).
   */
  bind(api: string, plan: string): RequestSeries {
    let byPlan = this.pendingRequests.get(api);
    if (byPlan === undefined) {
      byPlan = new Map();
      this.pendingRequests.set(api, byPlan);
    }
    let counts = byPlan.get(plan);
    if (counts === undefined) {
      counts = new Uint32Array(STATUS_SLOTS);
      byPlan.set(plan, counts);
    }
    return new RequestSeries(plan, counts, this.latency.series(api), this.upstreamLatency.series(api));
  }

  /** Counts by status code in a typed array, latencies into their histogram series: no lookup, no allocation. */
  record(series: RequestSeries, status: number, seconds: number, upstreamSeconds: number | undefined): void {
    series.counts[status < STATUS_SLOTS ? status : 0]!++;
    this.latency.observeSeries(series.latency, seconds);
    if (upstreamSeconds !== undefined) this.upstreamLatency.observeSeries(series.upstream, upstreamSeconds);
  }

  private flush(): void {
    for (const [api, byPlan] of this.pendingRequests) {
      for (const [plan, counts] of byPlan) {
        for (let status = 0; status < STATUS_SLOTS; status++) {
          const count = counts[status]!;
          if (count === 0) continue;
          counts[status] = 0;
          this.requests.inc({ api, plan, status: status === 0 ? 'other' : String(status) }, count);
        }
      }
    }
  }

  /** The in-flight gauge reads the count the config holder keeps anyway, at scrape time. */
  trackInFlight(count: () => number): void {
    Object.assign(this.inFlight, {
      collect: () => {
        this.inFlight.set(count());
      },
    });
  }

  setConfigVersion(version: string): void {
    this.configInfo.reset();
    this.configInfo.labels(version).set(1);
    this.configLoadedAt.set(Date.now() / 1000);
  }
}

/** The plan label of requests no plan served (refused before or by security). */
export const NO_PLAN = '-';

/** Where one (api, plan) pair's requests are counted (GatewayMetrics.bind). */
export class RequestSeries {
  constructor(
    readonly plan: string,
    readonly counts: Uint32Array,
    readonly latency: Series,
    readonly upstream: Series,
  ) {}
}

/** HTTP status codes are three digits; slot 0 collects anything else. */
const STATUS_SLOTS = 1000;
