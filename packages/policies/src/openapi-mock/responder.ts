/**
 * The request side of mock mode: match the path and method, then pick among prepared answers by the
 * client's `Prefer` (code=, example=) and `Accept` headers. No schema is walked here; both headers are
 * read with bounded, linear scans.
 */
import { GatewayError } from '@gatehouse/core';
import type { CompiledMock, MockMedia, MockOperation, MockResponse } from './mock-document.js';

export interface MockAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const MAX_HEADER_SCAN = 1024;
const MAX_ACCEPT_RANGES = 32;
const EMPTY = Buffer.alloc(0);

/** `Prefer: code=404, example=empty` (also `;`-separated, values optionally quoted). */
export function parsePrefer(header: string | undefined): { code?: number; example?: string } {
  const out: { code?: number; example?: string } = {};
  if (!header) return out;
  for (const part of header.slice(0, MAX_HEADER_SCAN).split(/[,;]/)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (name === 'code' && /^[1-5]\d\d$/.test(value)) out.code = Number(value);
    else if (name === 'example' && value !== '') out.example = value;
  }
  return out;
}

/** The declared media type the client's Accept ranks highest; the default one when nothing matches. */
export function negotiate(response: MockResponse, accept: string | undefined): MockMedia | undefined {
  const media = response.media;
  if (media.length <= 1 || !accept) return response.defaultMedia;
  let best: MockMedia | undefined;
  let bestQ = 0;
  let bestSpecificity = -1;
  for (const raw of accept.slice(0, MAX_HEADER_SCAN).split(',').slice(0, MAX_ACCEPT_RANGES)) {
    const [rangePart, ...params] = raw.split(';');
    const range = rangePart!.trim().toLowerCase();
    let q = 1;
    for (const param of params) {
      const [k, v] = param.split('=');
      if (k?.trim().toLowerCase() === 'q') q = Number(v) || 0;
    }
    if (q <= 0) continue;
    const specificity = range === '*/*' ? 0 : range.endsWith('/*') ? 1 : 2;
    const candidate =
      specificity === 0
        ? response.defaultMedia
        : media.find((m) =>
            specificity === 2 ? m.range === range : m.range.startsWith(range.slice(0, range.length - 1)),
          );
    if (!candidate) continue;
    if (q > bestQ || (q === bestQ && specificity > bestSpecificity)) {
      best = candidate;
      bestQ = q;
      bestSpecificity = specificity;
    }
  }
  return best ?? response.defaultMedia;
}

function operationFor(mock: CompiledMock, method: string, path: string): MockOperation {
  const match = mock.matcher.match(path);
  if (!match) throw new GatewayError('no_route', { detail: 'the API description has no such path (mock mode)' });
  const operation = match.value.operations.get(method);
  if (!operation)
    throw new GatewayError('method_not_allowed', {
      detail: `${method} is not described for this path (mock mode)`,
      headers: { allow: match.value.allow },
    });
  return operation;
}

/** The mock answer to a request, or a GatewayError (404 / 405) when the document does not describe it. */
export function mockAnswer(
  mock: CompiledMock,
  method: string,
  path: string,
  accept: string | undefined,
  prefer: string | undefined,
): MockAnswer {
  const operation = operationFor(mock, method, path);
  const wanted = mock.preferHeader ? parsePrefer(prefer) : {};
  let response = operation.chosen;
  let status = response.status;
  if (wanted.code !== undefined) {
    const declared = operation.responses.get(wanted.code) ?? operation.fallback;
    if (declared) {
      response = declared;
      status = wanted.code;
    }
  }
  const headers: Record<string, string> = {
    ...response.headers,
    'x-gatehouse-mock': 'true',
    vary: mock.preferHeader ? 'accept, prefer' : 'accept',
  };
  const media = negotiate(response, accept);
  if (!media) return { status, headers, body: EMPTY };
  headers['content-type'] = media.contentType;
  const body = (wanted.example !== undefined ? media.examples.get(wanted.example) : undefined) ?? media.preferred;
  return { status, headers, body };
}
