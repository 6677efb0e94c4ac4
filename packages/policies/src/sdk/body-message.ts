/**
 * Body access shared by the body-rewriting policies (set-body, json-to-xml, xml-to-json,
 * json-transform, find-replace): one side of the exchange, chosen by the policy's `phase`,
 * buffered only when the policy runs.
 */
import { GatewayError, isGatewayError, parseSize } from '@gatehouse/core';
import Type from 'typebox';
import { BodyDecodeError, contentCodings, decodeBody } from './content-coding.js';
import type { PolicyEnvironment, RequestContext } from './types.js';

export type BodyPhase = 'request' | 'response';

export const BodyPhaseField = (what: string) =>
  Type.Optional(
    Type.Union([Type.Literal('request'), Type.Literal('response')], {
      description: `Which body ${what}: the request forwarded upstream or the response sent to the client (error documents the gateway itself produced are left alone).`,
      default: 'request',
    }),
  );

export const MaxBodySizeField = () =>
  Type.Optional(
    Type.String({
      pattern: '^(gateway|[0-9]+(b|kb|mb|gb)?)$',
      description:
        'Largest body this policy buffers: bytes, or a number with `kb`, `mb`, `gb`; `gateway` uses the gateway `maxBodyBuffer` setting, which also caps any larger value. A larger request body is answered 413; a larger response body 502.',
      default: 'gateway',
    }),
  );

export function resolveBodyLimit(setting: string, env: Pick<PolicyEnvironment, 'maxBodyBuffer'>): number {
  const limit = setting === 'gateway' ? env.maxBodyBuffer : parseSize(setting);
  return Math.min(limit, env.maxBodyBuffer);
}

type HeaderBag = Record<string, string | string[] | number | undefined>;

/** One side of the exchange as a body policy sees it. */
export interface MessageBody {
  readonly phase: BodyPhase;
  readonly headers: HeaderBag;
  /** Lower-case media type without parameters (`application/json`), '' when absent. */
  readonly mediaType: string;
  /** True when the body is compressed (Content-Encoding other than identity); read() decodes it. */
  readonly encoded: boolean;
  /**
   * True for an error document the gateway itself produced (problem+json): its shape is a public
   * contract, so body transformations written for upstream payloads leave it alone.
   */
  readonly gatewayProblem: boolean;
  /**
   * Buffers the body up to the policy's limit, decoded when compressed (gzip, deflate, br; decoded
   * size capped at the same limit). Another coding, a corrupt or a too-large body fails closed:
   * 415/400/413 for a request, 502 for a response.
   */
  read(): Promise<Buffer>;
  /** Replaces the body (uncompressed; the gateway fixes Content-Length) and optionally its Content-Type. */
  write(body: Buffer | string, contentType?: string): void;
  /** The error for a body this policy cannot parse: the client's fault (400) or the upstream's (502). */
  malformed(detail: string): GatewayError;
}

export function messageBody(ctx: RequestContext, phase: BodyPhase, maxBytes: number): MessageBody {
  const side = phase === 'request' ? ctx.request : ctx.response;
  const headers = side.headers as HeaderBag;
  const contentType = headerValue(headers['content-type']);
  const codings = contentCodings(headerValue(headers['content-encoding']));
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return {
    phase,
    headers,
    mediaType,
    encoded: codings.length > 0,
    gatewayProblem: phase === 'response' && ctx.response.fromGateway && mediaType === 'application/problem+json',
    async read() {
      try {
        const body = await side.readBody(maxBytes);
        return codings.length === 0 ? body : await decodeBody(body, codings, maxBytes);
      } catch (error) {
        if (error instanceof BodyDecodeError) throw decodeProblem(phase, error);
        // A too-large upstream body is not the client's fault: answer 502, not 413.
        if (phase === 'response' && isGatewayError(error) && error.code === 'payload_too_large') {
          throw new GatewayError('upstream_bad_response', {
            detail: `upstream response body exceeds ${maxBytes} bytes`,
          });
        }
        throw error;
      }
    },
    write(body, newContentType) {
      side.setBody(body);
      if (newContentType) headers['content-type'] = newContentType;
      // The new body is written uncompressed.
      delete headers['content-encoding'];
      // The representation changed: validators computed upstream no longer describe it.
      if (phase === 'response') {
        delete headers.etag;
        delete headers['content-md5'];
      }
    },
    malformed(detail) {
      return phase === 'request'
        ? new GatewayError('bad_request', { detail })
        : new GatewayError('upstream_bad_response', { detail });
    },
  };
}

function decodeProblem(phase: BodyPhase, error: BodyDecodeError): GatewayError {
  const detail = `The ${phase} body could not be decoded: ${error.message}.`;
  if (phase === 'response') return new GatewayError('upstream_bad_response', { detail });
  if (error.reason === 'unsupported') return new GatewayError('unsupported_media_type', { detail });
  return new GatewayError(error.reason === 'too_large' ? 'payload_too_large' : 'bad_request', { detail });
}

function headerValue(value: string | string[] | number | undefined): string {
  if (value === undefined) return '';
  return Array.isArray(value) ? value.join(', ') : String(value);
}

export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

export function isXmlMediaType(mediaType: string): boolean {
  return mediaType === 'application/xml' || mediaType === 'text/xml' || mediaType.endsWith('+xml');
}

/**
 * Matches a media type against patterns such as `application/json`, `text/*`, `application/*+json`
 * or `*\/*`. An empty pattern list matches everything.
 */
export function mediaTypeMatches(mediaType: string, patterns: readonly string[]): boolean {
  if (patterns.length === 0) return true;
  const [type = '', subtype = ''] = mediaType.split('/');
  return patterns.some((raw) => {
    const [pType = '', pSubtype = ''] = raw.trim().toLowerCase().split('/');
    if (pType !== '*' && pType !== type) return false;
    if (pSubtype === '*') return true;
    if (pSubtype.startsWith('*+')) return subtype.endsWith(pSubtype.slice(1));
    return pSubtype === subtype;
  });
}
