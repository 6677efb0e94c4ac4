/**
 * What a gateway checks before it trusts a sync message, in order: shape and version (the
 * compatibility rule in messages.ts), then (after the signature) that it is bound to this gateway
 * and does not go backwards. Replaying an older signed snapshot would resurrect revoked keys.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { pointerToPath } from '../validate.js';
import { DEFINITION_DELTA_PROTOCOL, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, SyncMessage } from './messages.js';

// Its own Ajv: no defaults filled in or members removed, so the message stays as signed.
const ajv = new Ajv({ allErrors: false, strict: false });
ajv.addFormat('date-time', {
  type: 'string',
  validate: (value: string) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value) && !Number.isNaN(Date.parse(value)),
});
const validateSync: ValidateFunction = ajv.compile(SyncMessage as object);

export type Parsed = { ok: true; message: SyncMessage } | { ok: false; reason: string };

/** The message typed, or why it is refused. Content (the document) is validated after the signature. */
export function parseSyncMessage(value: unknown): Parsed {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: 'sync answer is not an object' };
  const version = (value as { protocol?: unknown }).protocol;
  if (typeof version !== 'number' || version < MIN_PROTOCOL_VERSION)
    return {
      ok: false,
      reason: `protocol ${typeof version === 'number' ? version : 1} message refused: this gateway needs protocol ${MIN_PROTOCOL_VERSION} or later (signed, bound messages); upgrade the control plane`,
    };
  if (version > PROTOCOL_VERSION)
    return {
      ok: false,
      reason: `protocol ${version} message refused: this gateway speaks protocol ${PROTOCOL_VERSION}; upgrade the gateway`,
    };
  if (!validateSync(value)) {
    const kind = (value as { kind?: unknown }).kind;
    if (kind !== 'snapshot' && kind !== 'delta' && kind !== 'definition' && kind !== 'unchanged')
      return { ok: false, reason: `unknown sync message kind ${JSON.stringify(kind)}` };
    const error = validateSync.errors?.find((e) => e.instancePath !== '') ?? validateSync.errors?.[0];
    const at = error ? pointerToPath(error.instancePath) : '';
    return { ok: false, reason: `malformed ${kind}${at ? ` at ${at}` : ''}: ${error?.message ?? 'invalid'}` };
  }
  const message = value as SyncMessage;
  // A kind an older version does not have: relabelling it would make an older reading apply.
  if (message.kind === 'definition' && message.protocol < DEFINITION_DELTA_PROTOCOL)
    return {
      ok: false,
      reason: `malformed definition: a definition delta needs protocol ${DEFINITION_DELTA_PROTOCOL}, not ${message.protocol}`,
    };
  // Protocol 3 signs the digest, not the part: a part without its digest would be covered by nothing.
  if (message.protocol >= 3 && message.kind !== 'unchanged' && message.digest === undefined)
    return { ok: false, reason: `malformed ${message.kind}: protocol ${message.protocol} requires digest` };
  return { ok: true, message };
}

/** Who this gateway is, as the control plane's signed messages name it. */
export interface Binding {
  environment: string;
  gateway: string;
}

export function bindingMismatch(message: SyncMessage, expected: Binding | undefined): string | undefined {
  if (!expected) return undefined;
  if (message.environment !== expected.environment)
    return `message for environment "${message.environment}", but this gateway is in "${expected.environment}"`;
  if (message.gateway !== expected.gateway)
    return `message for gateway "${message.gateway}", but this gateway is "${expected.gateway}"`;
  return undefined;
}

/** The newest position a gateway accepted: messages before it are replays. */
export interface Position {
  cursor: string;
  issuedAt: string;
}

/**
 * Replicas' clocks differ a little: a message at the same cursor may carry an issue time this much
 * older than the last one without being a replay worth refusing.
 */
export const ISSUE_TIME_TOLERANCE_MS = 60_000;

export function cursorSeq(cursor: string): number {
  return Number(cursor.slice(2));
}

/** Why the message goes backwards from `last`, or undefined. */
export function goesBackwards(message: SyncMessage, last: Position | undefined): string | undefined {
  if (!last) return undefined;
  const seq = cursorSeq(message.cursor);
  const lastSeq = cursorSeq(last.cursor);
  if (seq < lastSeq)
    return `${message.kind} at ${message.cursor} is older than ${last.cursor}, already applied (replayed or rolled back)`;
  if (seq === lastSeq && Date.parse(message.issuedAt) < Date.parse(last.issuedAt) - ISSUE_TIME_TOLERANCE_MS)
    return `${message.kind} at ${message.cursor} issued ${message.issuedAt}, before ${last.issuedAt} already seen (replayed)`;
  return undefined;
}
