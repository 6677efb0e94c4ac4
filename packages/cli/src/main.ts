#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { formatProblems } from '@gatehouse/config';
import { createLogger, exitOnShutdownSignals } from '@gatehouse/core';
import { startGateway, startHybridGateway } from '@gatehouse/gateway';
import { ConfigError } from '@gatehouse/policies';
import { startDemoUpstreams } from './demo-upstreams.js';
import { runDocs } from './docs/command.js';
import { HYBRID_HELP, hybridFlags, hybridOptions } from './hybrid-options.js';
import { runUp, UP_HELP } from './up-command.js';
import { printReport, validateConfigFile } from './validate-command.js';

const HELP = `gatehouse: self-hosted API management

Usage:
  gatehouse gateway --config FILE [--port 8080] [--admin-port 8081] [--host 0.0.0.0]
                    [--tls-cert FILE --tls-key FILE [--tls-port 8443] [--tls-client-ca FILE]]
                    [--access-log stdout|off]
      Runs a gateway standalone from a YAML/JSON document (hot-reloaded on change or SIGHUP).
      REDIS_URL shares rate-limit, quota and cache state between gateways.
${HYBRID_HELP}${UP_HELP}  gatehouse validate FILE
      Checks a config document; prints every problem with its path and exits 1, or a summary and 0.
  gatehouse control-plane [--port 8082] [--host 127.0.0.1]
      Runs the management API (PostgreSQL from DATABASE_URL, embedded PGlite otherwise).
  gatehouse quickstart [--config examples/quickstart.yaml]
      Demo upstreams + a gateway on the quickstart document.
  gatehouse demo-upstreams
      Only the demo upstreams (ports 9101, 9102, 9103).
  gatehouse docs --write | --check
      Regenerates (or checks) docs/config-reference.md, docs/policies.md and schema/gatehouse.schema.json.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'validate':
      return validate(rest);
    case 'gateway':
      return gateway(rest);
    case 'control-plane':
      return controlPlane(rest);
    case 'quickstart':
      return quickstart(rest);
    case 'up':
      return runUp(rest);
    case 'demo-upstreams': {
      const demo = await startDemoUpstreams();
      process.stdout.write(`demo upstreams on ${demo.ports.map((p) => `http://127.0.0.1:${p}`).join(', ')}\n`);
      return new Promise(() => {});
    }
    case 'docs':
      return runDocs(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return 0;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

async function validate(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) {
    process.stderr.write('usage: gatehouse validate FILE\n');
    return 2;
  }
  return printReport(await validateConfigFile(positionals[0]!));
}

const gatewayOptions = {
  config: { type: 'string', short: 'c' },
  port: { type: 'string', default: process.env.GATEHOUSE_PORT ?? '8080' },
  'admin-port': { type: 'string', default: process.env.GATEHOUSE_ADMIN_PORT ?? '8081' },
  host: { type: 'string', default: process.env.GATEHOUSE_HOST ?? '0.0.0.0' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-port': { type: 'string', default: '8443' },
  'tls-client-ca': { type: 'string' },
  'access-log': { type: 'string', default: 'stdout' },
  ...hybridFlags,
} as const;

async function gateway(args: string[], extra: { beforeStart?: () => Promise<void> } = {}): Promise<number> {
  const { values } = parseArgs({ args, options: gatewayOptions });
  if (values['control-plane'] && values.config) {
    process.stderr.write('--config (standalone) and --control-plane (hybrid) exclude each other\n');
    return 2;
  }
  if (!values.config && !values['control-plane']) {
    process.stderr.write(
      'usage: gatehouse gateway --config FILE | --control-plane URL --token TOKEN [--port 8080] [--admin-port 8081]\n',
    );
    return 2;
  }
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) {
    process.stderr.write('--tls-cert and --tls-key go together\n');
    return 2;
  }
  const logger = createLogger({ name: 'gateway' });
  await extra.beforeStart?.();
  const tls =
    values['tls-cert'] && values['tls-key']
      ? {
          tls: {
            certFile: values['tls-cert'],
            keyFile: values['tls-key'],
            port: Number(values['tls-port']),
            ...(values['tls-client-ca'] ? { clientCaFile: values['tls-client-ca'] } : {}),
          },
        }
      : {};
  if (values['control-plane']) {
    const hybrid = hybridOptions(values);
    if (!hybrid.ok) {
      process.stderr.write(`${hybrid.problem}\n`);
      return 2;
    }
    const running = await startHybridGateway({
      ...hybrid.options,
      port: Number(values.port),
      adminPort: Number(values['admin-port']),
      host: values.host,
      ...tls,
      ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
      accessLog: values['access-log'] === 'off' ? 'off' : 'stdout',
      logger,
      handleSignals: true,
    });
    logger.info(
      { url: running.url, admin: running.adminUrl, ready: Boolean(running.current()) },
      'gateway listening (hybrid mode)',
    );
    return new Promise(() => {});
  }
  try {
    const running = await startGateway({
      configFile: values.config,
      port: Number(values.port),
      adminPort: Number(values['admin-port']),
      host: values.host,
      ...tls,
      ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
      accessLog: values['access-log'] === 'off' ? 'off' : 'stdout',
      logger,
      handleSignals: true,
    });
    logger.info(
      { url: running.url, admin: running.adminUrl, https: running.httpsUrl, configVersion: running.current()?.version },
      'gateway listening',
    );
    return new Promise(() => {});
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${formatProblems(error.problems)}\nthe gateway did not start: fix the config above\n`);
      return 1;
    }
    throw error;
  }
}

async function quickstart(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', default: 'examples/quickstart.yaml' } },
    strict: false,
  });
  const demo = await startDemoUpstreams();
  process.stdout.write(
    [
      'Gatehouse quickstart',
      `  demo upstreams: ${demo.ports.map((p) => `127.0.0.1:${p}`).join(', ')}`,
      '  gateway:        http://127.0.0.1:8080  (admin: http://127.0.0.1:8081/metrics)',
      '  try:',
      "    curl -H 'X-Api-Key: acme-demo-key-0001' http://127.0.0.1:8080/orders/",
      '    curl http://127.0.0.1:8080/status/ping',
      '',
    ].join('\n'),
  );
  return gateway(['--config', String(values.config)]);
}

async function controlPlane(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: process.env.GATEHOUSE_CP_PORT ?? '8082' },
      host: { type: 'string', default: process.env.GATEHOUSE_CP_HOST ?? '127.0.0.1' },
    },
  });
  const { startControlPlane } = await import('@gatehouse/control-plane');
  const logger = createLogger({ name: 'control-plane' });
  const running = await startControlPlane({
    port: Number(values.port),
    host: values.host,
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    dataDir: process.env.GATEHOUSE_DATA_DIR ?? './.gatehouse/data',
    ...(process.env.GATEHOUSE_ADMIN_EMAIL ? { adminEmail: process.env.GATEHOUSE_ADMIN_EMAIL } : {}),
    ...(process.env.GATEHOUSE_ADMIN_PASSWORD ? { adminPassword: process.env.GATEHOUSE_ADMIN_PASSWORD } : {}),
    logger,
  });
  logger.info({ url: running.url, console: `${running.url}/console/` }, 'control plane listening');
  process.stdout.write(`\nGatehouse console: ${running.url}/console/\n\n`);
  exitOnShutdownSignals(() => running.close(), logger);
  return new Promise(() => {});
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`gatehouse: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
