/**
 * Optimistic concurrency. Every mutable row has a row_version; the ETag combines it with the row id
 * so a deleted-and-recreated object never matches an old ETag. Writes run
 * `UPDATE ... WHERE id = ? AND row_version = ?`, so a concurrent writer loses with 412, never silently.
 */
import { GatewayError, sha256Hex } from '@gatehouse/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function etagOf(id: string, rowVersion: number): string {
  return `"${rowVersion}-${sha256Hex(id).slice(0, 12)}"`;
}

export function setEtag(reply: FastifyReply, id: string, rowVersion: number): void {
  reply.header('etag', etagOf(id, rowVersion));
}

/**
 * Returns the row_version the client claims to have seen, or undefined when it sent no If-Match
 * (unconditional write). Throws 412 when the header names another version.
 */
export function expectedVersion(request: FastifyRequest, id: string, current: number): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const candidates = header.split(',').map((s) => s.trim().replace(/^W\//, ''));
  if (candidates.includes('*')) return current;
  if (candidates.includes(etagOf(id, current))) return current;
  throw new GatewayError('precondition_failed', {
    detail: 'The resource changed since you read it (If-Match does not match its ETag); fetch it again.',
  });
}

export function staleWrite(): GatewayError {
  return new GatewayError('precondition_failed', {
    detail: 'The resource was changed by another request; fetch it again.',
  });
}

/** Checks a row against the request's If-Match (no header: unconditional). Services call it inside their transaction. */
export type IfMatch = (id: string, rowVersion: number) => void;

export function ifMatchOf(request: FastifyRequest): IfMatch {
  return (id, rowVersion) => {
    expectedVersion(request, id, rowVersion);
  };
}
