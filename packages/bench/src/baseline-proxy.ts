/**
 * The baseline: the smallest reasonable reverse proxy on node:http + an undici Pool with keep-alive,
 * streaming both ways. No routing, no policies, no logging: what "bare Node" costs.
 */
import http from 'node:http';
import { Pool } from 'undici';

const [portArg, upstream] = process.argv.slice(2);
const pool = new Pool(upstream!, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection']);

const server = http.createServer((req, res) => {
  const headers: Record<string, string | string[] | undefined> = {};
  for (const name in req.headers) if (!HOP.has(name)) headers[name] = req.headers[name];
  const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0';
  pool.stream(
    {
      path: req.url!,
      method: req.method as 'GET',
      headers: headers as Record<string, string>,
      body: hasBody ? req : null,
    },
    ({ statusCode, headers: upstreamHeaders }) => {
      const out: Record<string, string | string[]> = {};
      for (const name in upstreamHeaders) if (!HOP.has(name)) out[name] = upstreamHeaders[name] as string;
      res.writeHead(statusCode, out);
      return res;
    },
    (error) => {
      if (error && !res.headersSent) {
        res.writeHead(502);
        res.end();
      }
    },
  );
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portArg), '127.0.0.1', () => process.stdout.write('READY\n'));
// Exit cleanly on SIGINT and SIGTERM (how the benches stop it) so `node --cpu-prof` can write its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
