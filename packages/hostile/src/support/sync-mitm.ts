/** A man in the middle on a gateway's link to the control plane (hybrid hostile tests). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = Record<string, any>;
export type Rewrite = (answer: Json) => Json;

/**
 * Forwards everything to the control plane; sync answers pass through `rewrite` when set. While `hold`
 * is set, syncs fail (503): the gateway keeps what it has, whatever change events it hears meanwhile.
 */
export async function startMitm(target: string) {
  const seen: Json[] = [];
  const state = { rewrite: undefined as Rewrite | undefined, hold: false, seen };
  const server = http.createServer((req, res) => {
    if (state.hold && req.url?.startsWith('/api/v1/gateway/sync')) {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      if (!req.url?.startsWith('/api/v1/gateway/sync') || answer.statusCode !== 200) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        // Snapshots come gzip-compressed when the gateway asks (it does): the attacker decodes them.
        const raw = Buffer.concat(chunks);
        const body = answer.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        const genuine = JSON.parse(body.toString()) as Json;
        seen.push(genuine);
        const sent = JSON.stringify(state.rewrite ? state.rewrite(structuredClone(genuine)) : genuine);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(sent) });
        res.end(sent);
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    state,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
