/**
 * The one way the console and the portal talk to the management API: same origin, the HttpOnly session cookie
 * goes by itself, state-changing calls carry the CSRF token (kept in memory only), errors come back
 * as problem+json and are thrown as ApiError with their field paths.
 */
export interface InvalidParam {
  path: string;
  message: string;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  code?: string;
  detail?: string;
  errors?: InvalidParam[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title);
  }

  /** Messages at a field path (`body.name`), or under it. */
  at(path: string): string[] {
    return (this.problem.errors ?? [])
      .filter((e) => e.path === path || e.path.startsWith(`${path}.`) || e.path.startsWith(`${path}[`))
      .map((e) => e.message);
  }
}

let csrfToken: string | null = null;
let onUnauthorized: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export interface Sent<T> {
  data: T;
  etag: string | null;
}

export interface RequestOptions {
  body?: unknown;
  ifMatch?: string | null;
  query?: Record<string, string | number | boolean | undefined | null>;
}

export function withQuery(path: string, query?: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function send<T>(method: string, path: string, options: RequestOptions = {}): Promise<Sent<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (options.ifMatch) headers['if-match'] = options.ifMatch;
  const response = await fetch(withQuery(`/api/v1${path}`, options.query), {
    method,
    headers,
    credentials: 'same-origin',
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const problem: Problem = json ?? { title: response.statusText, status: response.status };
    if (response.status === 401 && !path.startsWith('/auth/')) onUnauthorized();
    throw new ApiError(response.status, problem);
  }
  return { data: json as T, etag: response.headers.get('etag') };
}

export const api = {
  get: async <T>(path: string, query?: RequestOptions['query']) => (await send<T>('GET', path, { query })).data,
  post: async <T>(path: string, body: unknown = {}) => (await send<T>('POST', path, { body })).data,
  patch: async <T>(path: string, body: unknown, ifMatch?: string | null) =>
    (await send<T>('PATCH', path, { body, ifMatch })).data,
  del: async (path: string, ifMatch?: string | null) => {
    await send('DELETE', path, { ifMatch });
  },
};

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const enc = encodeURIComponent;
