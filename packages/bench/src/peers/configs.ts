/**
 * Configuration of the native peers the benchmarks compare against (Debian packages: nginx, HAProxy,
 * Caddy), each restricted to one worker/thread so that "per core" means the same thing for all of them.
 */
export const BENCH_KEY = 'bench-key-000000000001';

const hostPort = (url: string) => url.replace(/^http:\/\//, '');

/** nginx, one worker, keep-alive to the upstream. With `keyed`: an API-key map and limit_req, as Kong does on nginx. */
export function nginxConfig(port: number, upstreamUrl: string, dir: string, keyed = false): string {
  const keyedHttp = keyed
    ? `  map $http_x_api_key $api_client { default ""; "${BENCH_KEY}" "bench"; }
  limit_req_zone $api_client zone=perkey:1m rate=1000000r/s;
  limit_req_status 429;
`
    : '';
  const keyedLocation = keyed
    ? 'if ($api_client = "") { return 401; } limit_req zone=perkey burst=1000000 nodelay; '
    : '';
  return `worker_processes 1;
error_log ${dir}/nginx-error.log warn;
pid ${dir}/nginx-${port}.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
${keyedHttp}  upstream bench { server ${hostPort(upstreamUrl)}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { ${keyedLocation}proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`;
}

/** HAProxy, one thread, connection reuse to the upstream. */
export function haproxyConfig(port: number, upstreamUrl: string): string {
  return `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
frontend bench
  bind 127.0.0.1:${port}
  default_backend upstream
backend upstream
  http-reuse always
  server s1 ${hostPort(upstreamUrl)}
`;
}

/** Caddy (run with GOMAXPROCS=1): no admin endpoint, no TLS, no access log. */
export function caddyConfig(port: number, upstreamUrl: string): string {
  return `{
  admin off
  auto_https off
}
http://127.0.0.1:${port} {
  reverse_proxy ${hostPort(upstreamUrl)}
}
`;
}
