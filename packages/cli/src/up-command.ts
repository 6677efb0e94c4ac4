/**
 * `gatehouse up`: everything on one machine, in one process: the control plane (embedded PGlite
 * under ./.gatehouse/data), the demo upstreams, a demo API deployed, and a gateway registered and
 * connected in hybrid mode, exactly as a remote gateway would be. Running it again reuses the data
 * (the demo gateway's token is rotated: tokens are shown once).
 */
import { parseArgs } from 'node:util';
import { createLogger, logFormat } from '@gatehouse/core';
import { parseWorkers, startHybridGateway, startHybridNode } from '@gatehouse/gateway';
import { controlPlaneTls, TLS_FLAGS, trustOwnCertificate } from './control-plane-tls.js';
import { startDemoUpstreams } from './demo-upstreams.js';
import { Lifecycle, type PortSpec, portValue, StartError } from './lifecycle.js';
import { Progress } from './progress.js';

export const UP_HELP = `  gatehouse up [--port 8080] [--admin-port 8081] [--cp-port 8082] [--data-dir ./.gatehouse/data]
               [--backup-dir ./.gatehouse/gateway-backup] [--upstream-ports 9101,9102,9103]
               [--access-log stdout|off] [--tls-cert FILE --tls-key FILE] [--workers auto|N]
      All in one: control plane (embedded PGlite), demo upstreams, a demo API deployed and a gateway
      connected in hybrid mode (--workers or GATEHOUSE_WORKERS threads, default auto: one per CPU).
      Prints the URLs, the admin login and a demo API key.
`;

/** One line of the start banner: a label and its value (other parts of the CLI may add lines). */
export type BannerLine = [label: string, value: string];

export function formatBanner(title: string, lines: BannerLine[], tryCommands: string[]): string {
  const width = Math.max(...lines.map(([label]) => label.length)) + 2;
  return [
    '',
    title,
    ...lines.map(([label, value]) => `  ${`${label}:`.padEnd(width)}${value}`),
    '  try:',
    ...tryCommands.map((c) => `    ${c}`),
    '',
    '',
  ].join('\n');
}

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
      'access-log': { type: 'string', default: 'stdout' },
      workers: { type: 'string', default: process.env.GATEHOUSE_WORKERS ?? 'auto' },
      ...TLS_FLAGS,
    },
  });
  const workers = parseWorkers(values.workers);
  if (workers === undefined) throw new StartError('--workers takes auto or a number from 1 to 9999');
  const tls = controlPlaneTls(values);
  if (tls) trustOwnCertificate(tls.certFile);
  const logger = createLogger({ name: 'gatehouse' });
  const upstreamPorts = String(values['upstream-ports'])
    .split(',')
    .map((p) => portValue(p, '--upstream-ports'));
  if (upstreamPorts.length !== 3) throw new StartError('--upstream-ports takes three ports (orders, orders, status)');
  const port = portValue(values.port, '--port');
  const adminPort = portValue(values['admin-port'], '--admin-port');
  const cpPort = portValue(values['cp-port'], '--cp-port');
  const local = '127.0.0.1';
  const ports: PortSpec[] = [
    { port, host: local, changeWith: '--port or GATEHOUSE_PORT', what: 'gateway' },
    { port: adminPort, host: local, changeWith: '--admin-port or GATEHOUSE_ADMIN_PORT', what: 'gateway admin' },
    { port: cpPort, host: local, changeWith: '--cp-port or GATEHOUSE_CP_PORT', what: 'control plane' },
    ...upstreamPorts.map((p) => ({ port: p, host: local, changeWith: '--upstream-ports', what: 'demo upstream' })),
  ];
  const life = new Lifecycle(logger, ports);
  const progress = new Progress();

  return life.run(async () => {
    const { startControlPlane, createDemoSetup } = await progress.step(
      'loading the control plane',
      () => import('@gatehouse/control-plane'),
    );
    const demo = await progress.step('starting the demo upstreams', () => startDemoUpstreams(upstreamPorts));
    life.add('demo upstreams', demo.close);
    const cp = await startControlPlane({
      port: cpPort,
      host: local,
      dataDir: values['data-dir'],
      ...(tls ? { tls } : {}),
      ...(process.env.GATEHOUSE_ADMIN_EMAIL ? { adminEmail: process.env.GATEHOUSE_ADMIN_EMAIL } : {}),
      ...(process.env.GATEHOUSE_ADMIN_PASSWORD ? { adminPassword: process.env.GATEHOUSE_ADMIN_PASSWORD } : {}),
      // The control plane logs every gateway call at info: in a one-terminal demo that buries the summary.
      logger: logger.child({ component: 'control-plane' }, { level: process.env.LOG_LEVEL ? logger.level : 'warn' }),
      progress,
    });
    life.add('control plane', cp.close);
    const setup = await progress.step('preparing the demo API', () =>
      createDemoSetup(cp, {
        upstreamUrl: `http://127.0.0.1:${upstreamPorts[0]}`,
        statusUpstreamUrl: `http://127.0.0.1:${upstreamPorts[2]}`,
      }),
    );
    // Same process: pin the control plane's key directly rather than trusting it on first use, so a
    // reset data dir (new key) next to an old backup dir does not lock the demo gateway out.
    const signingKey = (await (
      await fetch(`${cp.url}/api/v1/gateway/signing-key`, {
        headers: { authorization: `Bearer ${setup.gatewayToken}` },
      })
    ).json()) as { publicKeyPem: string };
    const startGateway = async (
      o: Parameters<typeof startHybridGateway>[0],
    ): Promise<{ url: string; adminUrl: string; close(): Promise<void> }> =>
      workers > 1 ? startHybridNode({ ...o, workers }) : startHybridGateway(o);
    const gateway = await progress.step('starting the gateway', () =>
      startGateway({
        controlPlaneUrl: cp.url,
        token: setup.gatewayToken,
        controlPlanePublicKey: signingKey.publicKeyPem,
        backupDir: values['backup-dir'],
        host: local,
        port,
        adminPort,
        accessLog: values['access-log'] === 'off' ? 'off' : 'stdout',
        logger: logger.child({ component: 'gateway' }),
      }),
    );
    life.add('gateway', gateway.close);
    progress.done();

    const lines: BannerLine[] = [
      ['console', `${cp.url}/console/`],
      ['developer portal', `${cp.url}/portal/  (enable it per environment: console > Portal)`],
      ['control plane', `${cp.url}  (API docs: ${cp.url}/api/v1/docs)`],
      [
        'admin login',
        `${setup.adminEmail}  ${
          setup.adminPassword
            ? `password: ${setup.adminPassword}`
            : '(password as set at first start; lost it? gatehouse admin reset-password --email ' +
              `${setup.adminEmail})`
        }`,
      ],
      ['gateway', `${gateway.url}  (admin: ${gateway.adminUrl}/metrics, /readyz)`],
      ['environment', `${setup.environment}, gateway id ${setup.gatewayId}`],
      ['demo upstreams', demo.ports.map((p) => `127.0.0.1:${p}`).join(', ')],
      ['data', String(values['data-dir'])],
      ...(setup.apiKey ? [['demo API key', setup.apiKey] as BannerLine] : []),
    ];
    const tryCommands = [
      ...(setup.apiKey ? [`curl -H 'X-Api-Key: ${setup.apiKey}' ${gateway.url}/orders/`] : []),
      `curl ${gateway.url}/status/`,
    ];
    // With JSON logs, stdout stays JSON lines only: the banner goes next to the progress, on stderr.
    const out = logFormat() === 'json' ? process.stderr : process.stdout;
    out.write(formatBanner('Gatehouse is up (control plane + gateway in hybrid mode)', lines, tryCommands));
  });
}
