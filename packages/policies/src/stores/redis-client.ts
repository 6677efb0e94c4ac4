/**
 * ioredis clients tuned for the request path: a command either answers within a few tens of
 * milliseconds or fails at once, so the caller can fall back to memory instead of queueing requests
 * behind a dead or slow Redis. Reconnection keeps going in the background.
 */
import { Redis } from 'ioredis';

export interface FailFastOptions {
  /** A command not answered within this time fails (and the caller falls back). */
  commandTimeoutMs?: number;
  /** Time allowed to open the TCP connection. */
  connectTimeoutMs?: number;
  /** Longest pause between reconnection attempts. */
  maxReconnectDelayMs?: number;
}

export function createFailFastClient(url: string, options: FailFastOptions = {}): Redis {
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  const client = new Redis(url, {
    // Commands issued while disconnected fail immediately instead of waiting for a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 100,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), maxDelay),
  });
  // Outages are reported by the resilient wrappers (once per outage); without a listener ioredis
  // would print every reconnection error to stderr.
  client.on('error', () => {});
  return client;
}

/** `host:port` of a Redis URL, for logs: never the password. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return 'redis';
  }
}
