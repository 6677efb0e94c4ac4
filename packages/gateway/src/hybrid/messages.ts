/** The sync messages of docs/hybrid-protocol.md, and a shape check before anything trusts them. */
import type { Application } from '@gatehouse/config';

export interface MessageSignature {
  alg: 'Ed25519';
  keyId: string;
  value: string;
}

export interface SnapshotMessage {
  kind: 'snapshot';
  cursor: string;
  definitionVersion: string;
  document: Record<string, unknown>;
  signature: MessageSignature;
}

export interface DeltaMessage {
  kind: 'delta';
  cursor: string;
  fromCursor: string;
  definitionVersion: string;
  applications: { upsert: Application[]; delete: string[] };
  signature: MessageSignature;
}

export interface UnchangedMessage {
  kind: 'unchanged';
  cursor: string;
}

export type SignedMessage = SnapshotMessage | DeltaMessage;
export type SyncMessage = SignedMessage | UnchangedMessage;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Returns the message typed, or a reason it is malformed. Content is validated later, after the signature. */
export function parseSyncMessage(value: unknown): { ok: true; message: SyncMessage } | { ok: false; reason: string } {
  if (!isObject(value)) return { ok: false, reason: 'sync answer is not an object' };
  if (!isString(value.cursor)) return { ok: false, reason: 'sync answer has no cursor' };
  switch (value.kind) {
    case 'unchanged':
      return { ok: true, message: value as unknown as UnchangedMessage };
    case 'snapshot':
      if (!isString(value.definitionVersion) || !isObject(value.document))
        return { ok: false, reason: 'malformed snapshot' };
      break;
    case 'delta': {
      const apps = value.applications;
      if (
        !isString(value.fromCursor) ||
        !isString(value.definitionVersion) ||
        !isObject(apps) ||
        !Array.isArray(apps.upsert) ||
        !Array.isArray(apps.delete) ||
        !apps.upsert.every((a) => isObject(a) && isString(a.id)) ||
        !apps.delete.every(isString)
      )
        return { ok: false, reason: 'malformed delta' };
      break;
    }
    default:
      return { ok: false, reason: `unknown sync message kind ${JSON.stringify(value.kind)}` };
  }
  const signature = value.signature;
  if (!isObject(signature) || signature.alg !== 'Ed25519' || !isString(signature.keyId) || !isString(signature.value))
    return { ok: false, reason: `${String(value.kind)} is not signed (Ed25519 signature required)` };
  return { ok: true, message: value as unknown as SyncMessage };
}
