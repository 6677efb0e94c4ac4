/**
 * Worker thread of verify-off-thread.ts: the CPU-heavy, pure part of receiving a large sync answer
 * (JSON.parse, the shape check, the digest of the document (protocol 3) or the canonical bytes
 * (protocol 2), and the Ed25519 check) away from the serving loop. It decides nothing about trust
 * beyond "this ring's key signed these bytes"; the verified message goes back as JSON pieces, a
 * batch per acknowledgement, for the main thread to rebuild in slices.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { keyRing, parseSyncMessage, trustedKey, verifyMessage } from '@gatehouse/config';
import { type JsonPiece, jsonPiecesInSlices } from '@gatehouse/core';
import type { VerifyJob, VerifyWorkerMessage } from './verify-off-thread.js';

/** Text per message: deserializing one on the main thread stays well under a millisecond. */
const BATCH_CHARS = 64 * 1024;

const port = parentPort!;
const post = (message: VerifyWorkerMessage) => port.postMessage(message);

async function run(job: VerifyJob): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(job.body));
  } catch (error) {
    return post({ type: 'refused', reason: `sync answer is not JSON (${(error as Error).message})`, unreadable: true });
  }
  const parsed = parseSyncMessage(raw);
  if (!parsed.ok) return post({ type: 'refused', reason: parsed.reason });
  const ring = keyRing(job.keys.map((k) => trustedKey(k.publicKeyPem, k.notAfter)));
  const verification = verifyMessage(parsed.message, ring, job.now);
  const { pieces } = await jsonPiecesInSlices(parsed.message);
  const batches: JsonPiece[][] = [];
  let batch: JsonPiece[] = [];
  let chars = 0;
  for (const piece of pieces) {
    batch.push(piece);
    chars += piece[1].length;
    if (chars >= BATCH_CHARS) {
      batches.push(batch);
      batch = [];
      chars = 0;
    }
  }
  if (batch.length > 0) batches.push(batch);
  let next = 0;
  const send = () => {
    if (next < batches.length) post({ type: 'pieces', pieces: batches[next++]! });
    else post({ type: 'done', verification });
  };
  port.on('message', send);
  send();
}

run(workerData as VerifyJob).catch((error: unknown) => post({ type: 'error', message: (error as Error).message }));
