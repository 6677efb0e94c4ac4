/** HTTP calls of a gateway to its control plane (docs/hybrid-protocol.md). The token never leaves the headers. */
import {
  acceptedProtocols,
  EXPECT_CURSOR_HEADER,
  type HeartbeatAnswer,
  PROTOCOL_HEADER,
  type SigningKeyAnswer,
} from '@gatehouse/config';
import { SseParser } from './sse.js';

export type ControlPlaneFailure = 'unreachable' | 'unauthorized' | 'rejected';

export class ControlPlaneError extends Error {
  constructor(
    readonly kind: ControlPlaneFailure,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ControlPlaneError';
  }
}

/** The signing-key answer, as received: `alg` is checked before use. */
export type SigningKey = Omit<SigningKeyAnswer, 'alg'> & { alg: string };

export class ControlPlaneClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs = 15_000,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  /** The sync answer's bytes, unparsed: a large one is parsed and verified off the event loop (verify-off-thread.ts). */
  async syncBody(
    cursor: string | undefined,
    timeoutMs = this.timeoutMs,
    expectCursor?: string | undefined,
  ): Promise<Uint8Array> {
    const path = `/api/v1/gateway/sync${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`;
    // The versions this gateway accepts (the control plane answers in the highest it speaks too), and
    // the cursor a change event announced (a replica that has not heard of it yet reads its head).
    const headers: Record<string, string> = { [PROTOCOL_HEADER]: acceptedProtocols() };
    if (expectCursor) headers[EXPECT_CURSOR_HEADER] = expectCursor;
    const response = await this.request('GET', path, undefined, AbortSignal.timeout(timeoutMs), headers);
    try {
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw new ControlPlaneError('unreachable', `GET ${path}: ${describe(error)}`);
    }
  }

  signingKey(): Promise<SigningKey> {
    return this.call('GET', '/api/v1/gateway/signing-key') as Promise<SigningKey>;
  }

  heartbeat(body: unknown): Promise<Partial<HeartbeatAnswer>> {
    return this.call('POST', '/api/v1/gateway/heartbeat', body) as Promise<Partial<HeartbeatAnswer>>;
  }

  analytics(records: unknown[]): Promise<{ accepted?: number; duplicates?: number }> {
    return this.call('POST', '/api/v1/gateway/analytics', { records }) as Promise<{
      accepted?: number;
      duplicates?: number;
    }>;
  }

  /**
   * Holds the change stream open, calling onChanged for each `changed` event, until the stream
   * ends, fails, stays silent longer than idleTimeoutMs (a half-open connection), or signal aborts.
   */
  async events(options: {
    signal: AbortSignal;
    onOpen: () => void;
    onChanged: (cursor: string | undefined) => void;
    idleTimeoutMs: number;
  }): Promise<void> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    options.signal.addEventListener('abort', abort, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(abort, options.idleTimeoutMs);
      idle.unref();
    };
    try {
      armIdle();
      const response = await this.request('GET', '/api/v1/gateway/events', undefined, controller.signal, {
        accept: 'text/event-stream',
      });
      if (!response.body) throw new ControlPlaneError('rejected', 'event stream has no body');
      options.onOpen();
      const parser = new SseParser((event) => {
        if (event.event !== 'changed') return;
        let cursor: string | undefined;
        try {
          cursor = (JSON.parse(event.data) as { cursor?: string }).cursor;
        } catch {
          // A malformed payload still means "something changed": sync anyway.
        }
        options.onChanged(cursor);
      });
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        armIdle();
        parser.feed(decoder.decode(chunk, { stream: true }));
      }
    } catch (error) {
      if (options.signal.aborted) return;
      throw error instanceof ControlPlaneError
        ? error
        : new ControlPlaneError('unreachable', `event stream: ${describe(error)}`);
    } finally {
      clearTimeout(idle);
      options.signal.removeEventListener('abort', abort);
    }
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await this.request(method, path, body, AbortSignal.timeout(this.timeoutMs));
    try {
      return await response.json();
    } catch (error) {
      throw new ControlPlaneError('unreachable', `${method} ${path}: ${describe(error)}`);
    }
  }

  private async request(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        signal,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ControlPlaneError('unreachable', `${method} ${path}: ${describe(error)}`);
    }
    if (response.ok) return response;
    const detail = await problemDetail(response);
    if (response.status === 401 || response.status === 403)
      throw new ControlPlaneError(
        'unauthorized',
        `${method} ${path}: the control plane refused this gateway's token (${response.status}${detail})`,
        response.status,
      );
    // 5xx and 429 are the control plane's trouble (retry later); other 4xx are ours (a bug or version skew).
    const kind = response.status >= 500 || response.status === 429 ? 'unreachable' : 'rejected';
    throw new ControlPlaneError(kind, `${method} ${path}: HTTP ${response.status}${detail}`, response.status);
  }
}

async function problemDetail(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { detail?: string; title?: string };
    const text = problem.detail ?? problem.title;
    return text ? `: ${String(text).slice(0, 300)}` : '';
  } catch {
    return '';
  }
}

function describe(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(error);
}
