import http from 'node:http';

export interface AdminState {
  ready(): { ready: boolean; reason?: string };
  status(): Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** Health, readiness, metrics and status on a separate port (never exposed with the proxy). */
/** Where /metrics comes from: one gateway's registry, or a node's aggregate of its workers. */
export interface MetricsSource {
  registry: { metrics(): Promise<string>; contentType: string };
}

export function createAdminServer(metrics: MetricsSource, state: AdminState): http.Server {
  return http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'method not allowed' });
    switch (path) {
      case '/healthz':
        return send(res, 200, { status: 'ok' });
      case '/readyz': {
        const ready = state.ready();
        return send(
          res,
          ready.ready ? 200 : 503,
          ready.ready ? { status: 'ready' } : { status: 'not ready', reason: ready.reason },
        );
      }
      case '/metrics': {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        return res.end(body);
      }
      case '/status':
        return send(res, 200, await state.status());
      default:
        return send(res, 404, { error: 'not found' });
    }
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
