/**
 * The client's body before any upstream connection is taken: read whole when small, else streamed with the
 * client's own idle timer, and at most `maxStreamingUploadsPerClient` such streams per client address at once.
 */
import type { Readable } from 'node:stream';
import { GatewayError } from '@gatehouse/core';
import { readClientBody, streamClientBody, type TimedBody } from './client-body.js';
import type { GatewayRuntimeSettings } from './compile.js';
import type { ProxyRequest } from './context.js';

/** Told once: the body is ready (buffered into the request: null; streaming: the stream), or it failed. */
export interface UploadReceiver {
  bodyReady(stream: TimedBody | null): void;
  bodyFailed(error: unknown): void;
}

export function receiveClientBody(
  source: Readable,
  request: ProxyRequest,
  settings: GatewayRuntimeSettings,
  uploads: Map<string, number>,
  receiver: UploadReceiver,
): void {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > settings.requestBodyBuffer) {
    holdUpload(streamClientBody(source, settings.clientBodyTimeoutMs), request.clientIp, settings, uploads, receiver);
    return;
  }
  readClientBody(source, settings.requestBodyBuffer, settings.clientBodyTimeoutMs, (result) => {
    if (result.kind === 'failed') receiver.bodyFailed(result.error);
    else if (result.kind === 'stream') holdUpload(result.body, request.clientIp, settings, uploads, receiver);
    else {
      request.setBody(result.body);
      receiver.bodyReady(null);
    }
  });
}

/** A streaming upload takes one of the client's slots until the stream ends or is destroyed. */
function holdUpload(
  body: TimedBody,
  client: string,
  settings: GatewayRuntimeSettings,
  uploads: Map<string, number>,
  receiver: UploadReceiver,
): void {
  const held = uploads.get(client) ?? 0;
  if (held >= settings.maxStreamingUploadsPerClient) {
    body.destroy();
    receiver.bodyFailed(
      new GatewayError('too_many_requests', { detail: 'too many request bodies streaming from this client at once' }),
    );
    return;
  }
  uploads.set(client, held + 1);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    const now = (uploads.get(client) ?? 1) - 1;
    if (now === 0) uploads.delete(client);
    else uploads.set(client, now);
  };
  body.once('close', release);
  body.once('end', release);
  receiver.bodyReady(body);
}
