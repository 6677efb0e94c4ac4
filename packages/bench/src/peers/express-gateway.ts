/**
 * Peer: Express Gateway 1.16 (the last release) with key-auth + rate-limit + proxy, configured as its
 * documentation shows: in-memory database, one user with a key-auth credential created through its
 * admin API. `delayMs: 0`: its rate limiter (express-rate-limit 2) otherwise delays every request after
 * the first by one more second. Own process; argv: port, upstream URL, the directory holding node_modules/express-gateway
 * (installed on demand by peers.ts, never a workspace dependency: it is old and large).
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../processes.js';

const [portArg, upstream, installDir] = process.argv.slice(2);
const require = createRequire(join(installDir!, 'package.json'));
const egRoot = join(require.resolve('express-gateway/package.json'), '..');
// Its config lives in a temporary directory: nothing generated lands in the repository.
const configDir = mkdtempSync(join(tmpdir(), 'gatehouse-express-gateway-'));
const adminPort = await freePort();
cpSync(join(egRoot, 'lib/config/models'), join(configDir, 'models'), { recursive: true });
cpSync(join(egRoot, 'lib/config/system.config.yml'), join(configDir, 'system.config.yml'));
writeFileSync(
  join(configDir, 'gateway.config.yml'),
  `http:
  port: ${portArg}
admin:
  port: ${adminPort}
  host: 127.0.0.1
apiEndpoints:
  bench:
    host: '*'
    paths: '/*'
serviceEndpoints:
  upstream:
    url: '${upstream}'
policies:
  - key-auth
  - rate-limit
  - proxy
pipelines:
  bench:
    apiEndpoints:
      - bench
    policies:
      - key-auth:
      - rate-limit:
          - action:
              max: 100000000
              windowMs: 60000
              delayMs: 0
      - proxy:
          - action:
              serviceEndpoint: upstream
`,
);
process.env.LOG_LEVEL = 'error';
await require('express-gateway')().load(configDir).run();

const admin = async (path: string, body: unknown) => {
  const response = await fetch(`http://127.0.0.1:${adminPort}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`express-gateway admin ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, string>;
};
await admin('/users', { username: 'bench', firstname: 'Bench', lastname: 'Client' });
const credential = await admin('/credentials', { consumerId: 'bench', type: 'key-auth', credential: {} });
process.stdout.write(`READY apiKey ${credential.keyId}:${credential.keySecret}\n`);
