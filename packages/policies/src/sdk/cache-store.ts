export interface CachedResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** Epoch ms when the entry was stored and when it expires. */
  storedAt: number;
  expiresAt: number;
  /** Request header names listed in Vary, with the values of the stored request. */
  vary?: Record<string, string>;
}

export interface ResponseCacheStore {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<CachedResponse | undefined>;
  set(key: string, value: CachedResponse): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
