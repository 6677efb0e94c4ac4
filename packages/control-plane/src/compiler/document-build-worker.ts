/**
 * The document-build worker thread: receives an environment's rows in pages (the main thread reads
 * them from its own pool or PGlite), assembles the document and makes its canonical bytes, digest
 * and gzip (document-bytes.ts), and sends them back transferred (no copy). Several builds may be
 * in flight, told apart by id; a build runs to completion once its last page arrived.
 */
import { parentPort } from 'node:worker_threads';
import type { BuildReply, BuildRequest } from './document-build.js';
import { checkedDocument, type DocumentRows, jsonPartBytes, servedDocumentBytes } from './document-bytes.js';

type BuildReplyBody = BuildReply extends infer R ? (R extends BuildReply ? Omit<R, 'id'> : never) : never;

const port = parentPort!;
const open = new Map<number, { rows: DocumentRows; purpose: Purpose }>();
type Purpose = Extract<BuildRequest, { t: 'start' }>['purpose'];

function reply(message: BuildReply): void {
  const transfer =
    message.t === 'built'
      ? [message.bytes.buffer, message.gzip.buffer]
      : message.t === 'checked' && message.masked
        ? [message.masked.buffer]
        : [];
  port.postMessage(message, transfer as ArrayBuffer[]);
}

function run(id: number, work: () => BuildReplyBody): void {
  try {
    reply({ id, ...work() } as BuildReply);
  } catch (error) {
    reply({ t: 'failed', id, message: error instanceof Error ? error.message : String(error) });
  }
}

port.on('message', (message: BuildRequest) => {
  switch (message.t) {
    case 'start':
      open.set(message.id, { rows: { ...message.head, subscriptions: [], keys: [] }, purpose: message.purpose });
      return;
    case 'subscriptions':
      open.get(message.id)?.rows.subscriptions.push(...message.rows);
      return;
    case 'keys':
      open.get(message.id)?.rows.keys.push(...message.rows);
      return;
    case 'abort':
      open.delete(message.id);
      return;
    case 'end': {
      const build = open.get(message.id);
      open.delete(message.id);
      if (!build) return reply({ t: 'failed', id: message.id, message: 'unknown build' });
      if (build.purpose === 'serve') return run(message.id, () => ({ t: 'built', ...servedDocumentBytes(build.rows) }));
      return run(message.id, () => ({ t: 'checked', ...checkedDocument(build.rows, build.purpose === 'export') }));
    }
    case 'part':
      return run(message.id, () => ({ t: 'built', ...jsonPartBytes(message.value) }));
  }
});
