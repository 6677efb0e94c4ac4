import http from 'node:http';

/**
 * Small upstreams for the quickstart: two "orders" servers (so round-robin is visible) and a
 * "status" server. They answer JSON and send `x-powered-by`, which the quickstart removes.
 */
export interface DemoUpstreams {
  ports: number[];
  close(): Promise<void>;
}

const ORDERS = [
  { id: 'ord-1001', item: 'espresso machine', quantity: 1, status: 'shipped' },
  { id: 'ord-1002', item: 'coffee beans 1kg', quantity: 3, status: 'processing' },
];

export async function startDemoUpstreams(ports = [9101, 9102, 9103], host = '127.0.0.1'): Promise<DemoUpstreams> {
  const servers = ports.map((_port, index) =>
    http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const isStatus = index === 2;
        const body = JSON.stringify(
          isStatus
            ? { service: 'status', ok: true, time: new Date().toISOString() }
            : {
                server: `orders-${index + 1}`,
                method: req.method,
                path: req.url,
                gateway: req.headers['x-gateway'] ?? null,
                requestId: req.headers['x-request-id'] ?? null,
                orders: ORDERS,
                received: chunks.length > 0 ? Buffer.concat(chunks).toString() : undefined,
              },
        );
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-powered-by': 'demo-upstream',
        });
        res.end(body);
      });
    }),
  );
  await Promise.all(
    servers.map(
      (server, i) =>
        new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[i], host, resolve)),
    ),
  );
  return {
    ports,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
