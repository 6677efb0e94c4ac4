/** One outbound call with a hard deadline and a bounded body; never throws, reports the outcome. */
import { type Dispatcher, request } from 'undici';
import { isJsonMediaType } from '../json-schema/load-document.js';
import { DEFAULT_MAX_BODY_DEPTH, jsonNestingExceeds } from '../sdk/nesting-depth.js';

export interface CalloutResult {
  ok: boolean;
  /** 0 when no answer arrived. */
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the answer says JSON, else text; null without a body. */
  body: unknown;
  /** Why the call failed (timeout, connection error, too large, status). */
  error?: string;
}

export interface CallOptions {
  method: Dispatcher.HttpMethod;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
  maxBytes: number;
  errorOnStatus: boolean;
  dispatcher: Dispatcher;
  signal: AbortSignal;
}

async function readLimited(
  body: AsyncIterable<Buffer> & { destroy(): void },
  maxBytes: number,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

export async function call(options: CallOptions): Promise<CalloutResult> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([deadline, options.signal]);
  try {
    const response = await request(options.url, {
      method: options.method,
      headers: options.headers,
      body: options.body,
      dispatcher: options.dispatcher,
      signal,
    });
    const headers = flatten(response.headers);
    const raw = await readLimited(response.body, options.maxBytes);
    if (raw === undefined)
      return { ok: false, status: response.statusCode, headers, body: null, error: 'response too large' };
    const text = raw.toString('utf8');
    let body: unknown = raw.length === 0 ? null : text;
    // Templates and CEL walk the parsed value recursively: a too-deep answer is a failed call.
    if (raw.length > 0 && isJsonMediaType(headers['content-type']) && jsonNestingExceeds(text, DEFAULT_MAX_BODY_DEPTH))
      return { ok: false, status: response.statusCode, headers, body: null, error: 'response nested too deeply' };
    if (raw.length > 0 && isJsonMediaType(headers['content-type'])) {
      try {
        body = JSON.parse(text);
      } catch {
        // Declared JSON that is not: keep the text so a template can still show it.
      }
    }
    const failedStatus = options.errorOnStatus && response.statusCode >= 400;
    return {
      ok: !failedStatus,
      status: response.statusCode,
      headers,
      body,
      ...(failedStatus && { error: `status ${response.statusCode}` }),
    };
  } catch (error) {
    const reason = deadline.aborted
      ? 'timeout'
      : options.signal.aborted
        ? 'client gone'
        : `connection failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).name})`;
    return { ok: false, status: 0, headers: {}, body: null, error: reason };
  }
}
