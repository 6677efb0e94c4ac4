/**
 * ioredis clients tuned for the request path: a command either answers within a few tens of
 * milliseconds or fails at once, so the caller can fall back to memory instead of queueing requests
 * behind a dead or slow Redis. Reconnection keeps going in the background. One Redis, a Cluster and a
 * Sentinel-managed master get the same behaviour (see redis-url.ts for how REDIS_URL names them).
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { describeRedisTarget, parseRedisUrl, type RedisTarget } from './redis-url.js';

/** What the stores talk to: both classes take the same commands (and defineCommand). */
export type RedisClient = Redis | Cluster;

export interface FailFastOptions {
  /** A command not answered within this time fails (and the caller falls back). */
  commandTimeoutMs?: number;
  /** Time allowed to open the TCP connection. */
  connectTimeoutMs?: number;
  /** Longest pause between reconnection attempts. */
  maxReconnectDelayMs?: number;
}

export function createFailFastClient(url: string | RedisTarget, options: FailFastOptions = {}): RedisClient {
  const target = typeof url === 'string' ? parseRedisUrl(url) : url;
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  const retry = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 10), maxDelay);
  const perConnection = {
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 100,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    // Named, so CLIENT LIST on a Redis shows which connections are gateways'.
    connectionName: 'gatehouse',
  } satisfies RedisOptions;
  let client: RedisClient;
  if (target.kind === 'cluster') {
    client = new Cluster(target.nodes, {
      enableOfflineQueue: false,
      clusterRetryStrategy: retry,
      // A moved slot or a failing-over node is retried briefly, not queued behind for long.
      retryDelayOnFailover: 20,
      retryDelayOnClusterDown: 20,
      retryDelayOnTryAgain: 20,
      maxRedirections: 4,
      // CLUSTER SLOTS at connect and on MOVED: never on a request's path (no offline queue), so a
      // loaded host gets time rather than a failed first connect and a second of local counting.
      slotsRefreshTimeout: 3 * (options.connectTimeoutMs ?? 1000),
      // Over TLS, seeds are dialled by the name given: resolved to an address first (ioredis's
      // default), a node whose certificate names only its host (a managed TLS Cluster) fails the check.
      ...(target.tls
        ? { dnsLookup: (address: string, done: (error: null, address: string) => void) => done(null, address) }
        : {}),
      redisOptions: { ...perConnection, ...credentials(target) },
    });
  } else if (target.kind === 'sentinel') {
    client = new Redis({
      ...perConnection,
      ...credentials(target),
      enableOfflineQueue: false,
      retryStrategy: retry,
      sentinels: target.sentinels,
      name: target.name,
      db: target.db,
      ...(target.sentinelUsername ? { sentinelUsername: target.sentinelUsername } : {}),
      ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
      ...(target.tls ? { enableTLSForSentinelMode: true } : {}),
      sentinelRetryStrategy: retry,
      sentinelCommandTimeout: options.connectTimeoutMs ?? 1000,
      // Listens for +switch-master so a failover moves the connection without waiting for errors.
      failoverDetector: true,
      // A demoted master answers writes with READONLY: reconnect (and ask the sentinels again).
      reconnectOnError: (error) => error.message.startsWith('READONLY'),
    });
  } else {
    client = new Redis(target.url, {
      ...perConnection,
      // Commands issued while disconnected fail immediately instead of waiting for a reconnect.
      enableOfflineQueue: false,
      retryStrategy: retry,
    });
  }
  // Outages are reported by the resilient wrappers (once per outage); without a listener ioredis
  // would print every reconnection error to stderr.
  client.on('error', () => {});
  return client;
}

function credentials(target: Extract<RedisTarget, { kind: 'cluster' | 'sentinel' }>): RedisOptions {
  return {
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
  };
}

/** Where REDIS_URL points, for logs: never the password. */
export function describeRedisUrl(url: string): string {
  try {
    return describeRedisTarget(parseRedisUrl(url));
  } catch {
    return 'redis';
  }
}
