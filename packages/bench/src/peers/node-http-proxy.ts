/** Peer: node-http-proxy (`http-proxy`) with a keep-alive agent, no plugins. Own process. */
import http from 'node:http';
import httpProxy from 'http-proxy';

const [portArg, upstream] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ target: upstream!, agent });
proxy.on('error', (_error, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502);
  res.end();
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 60_000;
server.listen(Number(portArg), '127.0.0.1', () => process.stdout.write('READY\n'));
