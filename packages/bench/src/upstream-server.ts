/** Benchmark upstream: a tiny keep-alive HTTP server with a fixed JSON body. Run as its own process. */
import http from 'node:http';

const port = Number(process.argv[2] ?? 0);
const body = Buffer.from('{"ok":true,"service":"bench-upstream","items":[1,2,3]}');
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'x-powered-by': 'bench' });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`READY ${typeof address === 'object' && address ? address.port : port}\n`);
});
