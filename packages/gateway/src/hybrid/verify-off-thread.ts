/**
 * Receiving a large sync answer (a snapshot with a 4 MB inline OpenAPI document) without stalling
 * the serving loop (issue #11): JSON.parse of the body and the signature check over its canonical
 * bytes took ~0.5–2 s of main-thread CPU. Above LARGE_ANSWER_BYTES both run in a worker thread
 * (verify-worker.ts) and the message comes back in pieces rebuilt in slices. Only that pure part
 * moves: the trust decisions (which ring, retirement time, binding, cursor order) stay in Trust.
 * Small answers, and runs from source without a build (no worker script), take the synchronous path.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type KeyRing, parseSyncMessage, type SyncMessage, type Verification, verifyMessage } from '@gatehouse/config';
import { JsonAssembler, type JsonPiece } from '@gatehouse/core';

export const LARGE_ANSWER_BYTES = 256 * 1024;

export interface VerifyJob {
  body: Uint8Array;
  keys: Array<{ publicKeyPem: string; notAfter?: number }>;
  now: number;
}

export type VerifyWorkerMessage =
  | { type: 'refused'; reason: string; unreadable?: boolean }
  | { type: 'pieces'; pieces: JsonPiece[] }
  | { type: 'done'; verification: Verification }
  | { type: 'error'; message: string };

/** A message of the right shape and the verification of its signatures against the ring, or why it is not one. */
export type Received =
  | { ok: true; message: SyncMessage; verification: Verification }
  | { ok: false; reason: string; unreadable?: boolean };

function workerScript(): URL | undefined {
  const beside = new URL('./verify-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  // Running from src/ (vitest): use the build's worker when there is one.
  const built = new URL('../../dist/hybrid/verify-worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : undefined;
}

/**
 * The JSON text each received message was parsed from, by message: the backup writes it as is
 * instead of stringifying a 4 MB message again on the event loop.
 */
const texts = new WeakMap<object, Uint8Array>();

export function receivedText(message: object): Uint8Array | undefined {
  return texts.get(message);
}

function remember(received: Received, body: Uint8Array): Received {
  const bom = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  if (received.ok) texts.set(received.message, bom ? body.subarray(3) : body);
  return received;
}

/** The synchronous path: parse, check the shape, verify. */
export function receiveSync(body: Uint8Array, ring: KeyRing, now = Date.now()): Received {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(body));
  } catch (error) {
    return { ok: false, reason: `sync answer is not JSON (${(error as Error).message})`, unreadable: true };
  }
  const parsed = parseSyncMessage(raw);
  if (!parsed.ok) return parsed;
  return remember({ ok: true, message: parsed.message, verification: verifyMessage(parsed.message, ring, now) }, body);
}

/** receiveSync(), in a worker thread when the answer is large (and the worker script is built). */
export async function receiveSyncAnswer(body: Uint8Array, ring: KeyRing, now = Date.now()): Promise<Received> {
  const script = body.byteLength >= LARGE_ANSWER_BYTES ? workerScript() : undefined;
  if (!script) return receiveSync(body, ring, now);
  const keys = [...ring.values()].map((k) => ({
    publicKeyPem: k.publicKeyPem,
    ...(k.notAfter === undefined ? {} : { notAfter: k.notAfter }),
  }));
  const job: VerifyJob = { body, keys, now };
  // Copied, not transferred: the backup keeps the text (receivedText).
  const worker = new Worker(script, { workerData: job });
  worker.unref();
  try {
    return remember(await collect(worker), body);
  } finally {
    void worker.terminate();
  }
}

/** Rebuilds the message from the worker's batches, asking for the next one on a later event-loop turn. */
function collect(worker: Worker): Promise<Received> {
  return new Promise((resolve, reject) => {
    const assembler = new JsonAssembler();
    // Once settled, the worker is being terminated: nothing it still emits matters (nor may crash the gateway).
    const settle = () => {
      worker.removeAllListeners();
      worker.on('error', () => undefined);
    };
    const fail = (error: Error) => {
      settle();
      reject(error);
    };
    worker.on('message', (message: VerifyWorkerMessage) => {
      switch (message.type) {
        case 'refused':
          settle();
          return resolve({ ok: false, reason: message.reason, ...(message.unreadable ? { unreadable: true } : {}) });
        case 'error':
          return fail(new Error(`sync answer not verified: ${message.message}`));
        case 'done':
          settle();
          return resolve({
            ok: true,
            message: assembler.value() as SyncMessage,
            verification: message.verification,
          });
        case 'pieces':
          for (const piece of message.pieces) assembler.add(piece);
          setImmediate(() => worker.postMessage('next'));
      }
    });
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new Error(`the sync verification worker stopped (exit code ${code})`)));
  });
}
