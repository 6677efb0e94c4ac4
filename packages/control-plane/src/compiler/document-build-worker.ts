/**
 * The document-build worker thread: receives an environment's rows in pages (the main thread reads
 * them from its own pool or PGlite), assembles the document and makes its canonical bytes, digest
 * and gzip (document-bytes.ts), and sends them back transferred (no copy). Several builds may be
 * in flight, told apart by id; a build runs to completion once its last page arrived.
 */
import { parentPort } from 'node:worker_threads';
import type { BuildReply, BuildRequest } from './document-build.js';
import { type DocumentRows, jsonPartBytes, servedDocumentBytes } from './document-bytes.js';

const port = parentPort!;
const open = new Map<number, DocumentRows>();

function reply(message: BuildReply): void {
  const transfer = message.t === 'built' ? [message.bytes.buffer, message.gzip.buffer] : [];
  port.postMessage(message, transfer as ArrayBuffer[]);
}

function run(id: number, work: () => Omit<Extract<BuildReply, { t: 'built' }>, 't' | 'id'>): void {
  try {
    reply({ t: 'built', id, ...work() });
  } catch (error) {
    reply({ t: 'failed', id, message: error instanceof Error ? error.message : String(error) });
  }
}

port.on('message', (message: BuildRequest) => {
  switch (message.t) {
    case 'start':
      open.set(message.id, { ...message.head, subscriptions: [], keys: [] });
      return;
    case 'subscriptions':
      open.get(message.id)?.subscriptions.push(...message.rows);
      return;
    case 'keys':
      open.get(message.id)?.keys.push(...message.rows);
      return;
    case 'abort':
      open.delete(message.id);
      return;
    case 'end': {
      const rows = open.get(message.id);
      open.delete(message.id);
      if (!rows) return reply({ t: 'failed', id: message.id, message: 'unknown build' });
      return run(message.id, () => servedDocumentBytes(rows));
    }
    case 'part':
      return run(message.id, () => jsonPartBytes(message.value));
  }
});
