/**
 * `gatehouse up`: everything on one machine, in one process: the control plane (embedded PGlite
 * under ./.gatehouse/data), the demo upstreams, a demo API deployed, and a gateway registered and
 * connected in hybrid mode, exactly as a remote gateway would be. Running it again reuses the data
 * (the demo gateway's token is rotated: tokens are shown once).
 */
import { parseArgs } from 'node:util';
import { createLogger, exitOnShutdownSignals } from '@gatehouse/core';
import { startHybridGateway } from '@gatehouse/gateway';
import { startDemoUpstreams } from './demo-upstreams.js';

export const UP_HELP = `  gatehouse up [--port 8080] [--admin-port 8081] [--cp-port 8082] [--data-dir ./.gatehouse/data]
               [--backup-dir ./.gatehouse/gateway-backup] [--upstream-ports 9101,9102,9103]
      All in one: control plane (embedded PGlite), demo upstreams, a demo API deployed and a gateway
      connected in hybrid mode. Prints the URLs, the admin login and a demo API key.
`;

export async function runUp(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: process.env.GATEHOUSE_PORT ?? '8080' },
      'admin-port': { type: 'string', default: process.env.GATEHOUSE_ADMIN_PORT ?? '8081' },
      'cp-port': { type: 'string', default: process.env.GATEHOUSE_CP_PORT ?? '8082' },
      'data-dir': { type: 'string', default: process.env.GATEHOUSE_DATA_DIR ?? './.gatehouse/data' },
      'backup-dir': { type: 'string', default: process.env.GATEHOUSE_BACKUP_DIR ?? './.gatehouse/gateway-backup' },
      'upstream-ports': { type: 'string', default: '9101,9102,9103' },
    },
  });
  const logger = createLogger({ name: 'gatehouse' });
  const { startControlPlane, createDemoSetup } = await import('@gatehouse/control-plane');

  const upstreamPorts = String(values['upstream-ports']).split(',').map(Number);
  const demo = await startDemoUpstreams(upstreamPorts);
  const cp = await startControlPlane({
    port: Number(values['cp-port']),
    host: '127.0.0.1',
    dataDir: values['data-dir'],
    ...(process.env.GATEHOUSE_ADMIN_EMAIL ? { adminEmail: process.env.GATEHOUSE_ADMIN_EMAIL } : {}),
    ...(process.env.GATEHOUSE_ADMIN_PASSWORD ? { adminPassword: process.env.GATEHOUSE_ADMIN_PASSWORD } : {}),
    // The control plane logs every gateway call at info: in a one-terminal demo that buries the summary.
    logger: logger.child({ component: 'control-plane' }, { level: process.env.LOG_LEVEL ?? 'warn' }),
  });
  const setup = await createDemoSetup(cp, { upstreamUrl: `http://127.0.0.1:${upstreamPorts[0]}` });
  // Same process: pin the control plane's key directly rather than trusting it on first use, so a
  // reset data dir (new key) next to an old backup dir does not lock the demo gateway out.
  const signingKey = (await (
    await fetch(`${cp.url}/api/v1/gateway/signing-key`, { headers: { authorization: `Bearer ${setup.gatewayToken}` } })
  ).json()) as { publicKeyPem: string };
  const gateway = await startHybridGateway({
    controlPlaneUrl: cp.url,
    token: setup.gatewayToken,
    controlPlanePublicKey: signingKey.publicKeyPem,
    backupDir: values['backup-dir'],
    host: '127.0.0.1',
    port: Number(values.port),
    adminPort: Number(values['admin-port']),
    accessLog: 'off',
    logger: logger.child({ component: 'gateway' }),
  });

  process.stdout.write(
    [
      '',
      'Gatehouse is up (control plane + gateway in hybrid mode)',
      `  console:        ${cp.url}/console/`,
      `  control plane:  ${cp.url}  (API docs: ${cp.url}/api/v1/docs)`,
      `  admin login:    ${setup.adminEmail}  ${setup.adminPassword ? `password: ${setup.adminPassword}` : '(password: as set at first start, or GATEHOUSE_ADMIN_PASSWORD)'}`,
      `  gateway:        ${gateway.url}  (admin: ${gateway.adminUrl}/metrics, /readyz)`,
      `  environment:    ${setup.environment}, gateway id ${setup.gatewayId}`,
      `  demo upstreams: ${demo.ports.map((p) => `127.0.0.1:${p}`).join(', ')}`,
      `  data:           ${values['data-dir']}`,
      '  try:',
      `    curl -H 'X-Api-Key: ${setup.apiKey}' ${gateway.url}/orders/`,
      `    curl ${gateway.url}/status/`,
      '',
      '',
    ].join('\n'),
  );

  exitOnShutdownSignals(async () => {
    await gateway.close();
    await cp.close();
    await demo.close();
  }, logger);
  return new Promise(() => {});
}
