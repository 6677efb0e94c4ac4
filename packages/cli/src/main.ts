#!/usr/bin/env node
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { formatProblems } from '@gatehouse/config';
import { createLogger, logFormat } from '@gatehouse/core';
import { parseWorkers, startGateway, startGatewayNode, startHybridGateway, startHybridNode } from '@gatehouse/gateway';
import { ConfigError } from '@gatehouse/policies';
import { ADMIN_HELP, runAdmin } from './admin-command.js';
import { commandHelp } from './command-help.js';
import { controlPlaneTls, TLS_FLAGS } from './control-plane-tls.js';
import { startDemoUpstreams } from './demo-upstreams.js';
import { runDocs } from './docs/command.js';
import { HYBRID_HELP, hybridFlags, hybridOptions } from './hybrid-options.js';
import { Lifecycle, type PortSpec, portValue, StartError } from './lifecycle.js';
import { runSigningKey, SIGNING_KEY_HELP } from './signing-key-command.js';
import { runUp, UP_HELP } from './up-command.js';
import { printReport, validateConfigFile } from './validate-command.js';

const HELP = `gatehouse: self-hosted API management

Usage:
  gatehouse gateway --config FILE [--port 8080] [--admin-port 8081] [--host 0.0.0.0]
                    [--tls-cert FILE --tls-key FILE [--tls-port 8443] [--tls-client-ca FILE]]
                    [--access-log stdout|off] [--workers auto|N]
      Runs a gateway standalone from a YAML/JSON document (hot-reloaded on change or SIGHUP).
      REDIS_URL shares rate-limit, quota and cache state between gateways: redis://host:6379,
      redis+cluster://host:port,host:port or redis+sentinel://host:26379,host:26379/master
      (rediss for TLS). --workers (or
      GATEHOUSE_WORKERS; default auto, one per CPU) serves with N worker threads on one port; limits
      stay exact for the node, reloads swap every worker at once; 1 serves in one process.
${HYBRID_HELP}${UP_HELP}${SIGNING_KEY_HELP}  gatehouse validate FILE
      Checks a config document; prints every problem with its path and exits 1, or a summary and 0.
  gatehouse control-plane [--port 8082] [--host 127.0.0.1] [--tls-cert FILE --tls-key FILE]
      Runs the management API (PostgreSQL from DATABASE_URL, embedded PGlite otherwise), over HTTPS
      with --tls-cert/--tls-key. Secrets at rest are encrypted under GATEHOUSE_SECRET_KEY (or
      GATEHOUSE_SECRET_KEY_FILE); the embedded database generates a key file on first start.
  gatehouse quickstart [--config examples/quickstart.yaml]
      Demo upstreams + a gateway on the quickstart document.
  gatehouse demo-upstreams
      Only the demo upstreams (ports 9101, 9102, 9103).
${ADMIN_HELP}  gatehouse docs --write | --check
      Regenerates (or checks) docs/config-reference.md, docs/policies.md and schema/gatehouse.schema.json.
  gatehouse --version
      Prints the version.

  gatehouse COMMAND --help prints the help of one command. LOG_LEVEL (trace, debug, info, warn, error,
  silent) sets the log level; logs are JSON lines, or human-readable when stdout is a terminal or
  LOG_FORMAT=pretty (LOG_FORMAT=json forces JSON).
`;

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command && !command.startsWith('-') && (rest.includes('--help') || rest.includes('-h'))) {
    const help = commandHelp(HELP, helpKey(argv));
    if (help) {
      process.stdout.write(help);
      return 0;
    }
  }
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
    case 'signing-key':
      return runSigningKey(rest);
    case 'demo-upstreams':
      return demoUpstreams();
    case 'admin':
      return runAdmin(rest);
    case 'docs':
      return runDocs(rest);
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`gatehouse ${VERSION}\n`);
      return 0;
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
  workers: { type: 'string', default: process.env.GATEHOUSE_WORKERS ?? 'auto' },
  ...hybridFlags,
} as const;

async function gateway(
  args: string[],
  extra: { beforeStart?: (life: Lifecycle) => Promise<void> } = {},
): Promise<number> {
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
  if (parseWorkers(values.workers) === undefined) {
    process.stderr.write('--workers takes auto or a number from 1 to 9999\n');
    return 2;
  }
  const logger = createLogger({ name: 'gateway' });
  const host = values.host;
  const ports: PortSpec[] = [
    { port: portValue(values.port, '--port'), host, changeWith: '--port or GATEHOUSE_PORT', what: 'gateway' },
    {
      port: portValue(values['admin-port'], '--admin-port'),
      host: '127.0.0.1',
      changeWith: '--admin-port or GATEHOUSE_ADMIN_PORT',
      what: 'gateway admin',
    },
  ];
  if (values['tls-cert'])
    ports.push({
      port: portValue(values['tls-port'], '--tls-port'),
      host,
      changeWith: '--tls-port',
      what: 'gateway TLS',
    });
  const life = new Lifecycle(logger, ports);
  return life.run(async () => {
    await extra.beforeStart?.(life);
    await startGatewayProcess(values, logger, life);
  });
}

async function startGatewayProcess(
  values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof gatewayOptions }>>['values'],
  logger: ReturnType<typeof createLogger>,
  life: Lifecycle,
): Promise<void> {
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
  const workers = parseWorkers(values.workers) ?? 1;
  if (values['control-plane']) {
    const hybrid = hybridOptions(values);
    if (!hybrid.ok) throw new StartError(hybrid.problem);
    const start =
      workers > 1
        ? (o: Parameters<typeof startHybridGateway>[0]) => startHybridNode({ ...o, workers })
        : startHybridGateway;
    const running = await start({
      ...hybrid.options,
      port: Number(values.port),
      adminPort: Number(values['admin-port']),
      host: values.host,
      ...tls,
      ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
      accessLog: values['access-log'] === 'off' ? 'off' : 'stdout',
      logger,
    });
    life.add('gateway', running.close);
    process.on('SIGHUP', () => void running.reload());
    return; // startHybridGateway logged its start line
  }
  try {
    const start =
      workers > 1
        ? (o: Omit<Parameters<typeof startGatewayNode>[0], 'workers'>) => startGatewayNode({ ...o, workers })
        : startGateway;
    const running = await start({
      configFile: values.config,
      port: Number(values.port),
      adminPort: Number(values['admin-port']),
      host: values.host,
      ...tls,
      ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
      accessLog: values['access-log'] === 'off' ? 'off' : 'stdout',
      logger,
    });
    life.add('gateway', running.close);
    process.on('SIGHUP', () => {
      logger.info('SIGHUP: reloading config');
      void running.reload();
    });
    logger.info(
      {
        url: running.url,
        admin: running.adminUrl,
        https: running.httpsUrl,
        configVersion: running.current()?.version,
        workers,
      },
      'gateway listening',
    );
  } catch (error) {
    if (error instanceof ConfigError)
      throw new StartError(`${formatProblems(error.problems)}\nthe gateway did not start: fix the config above`);
    throw error;
  }
}

async function quickstart(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', default: 'examples/quickstart.yaml' } },
    strict: false,
  });
  return gateway(['--config', String(values.config)], {
    beforeStart: async (life) => {
      const demo = await startDemoUpstreams();
      life.add('demo upstreams', demo.close);
      printQuickstart(demo.ports);
    },
  });
}

function printQuickstart(ports: number[]): void {
  // With JSON logs, stdout stays JSON lines only.
  (logFormat() === 'json' ? process.stderr : process.stdout).write(
    [
      'Gatehouse quickstart',
      `  demo upstreams: ${ports.map((p) => `127.0.0.1:${p}`).join(', ')}`,
      '  gateway:        http://127.0.0.1:8080  (admin: http://127.0.0.1:8081/metrics)',
      '  try:',
      "    curl -H 'X-Api-Key: acme-demo-key-0001' http://127.0.0.1:8080/orders/",
      '    curl http://127.0.0.1:8080/status/ping',
      '',
    ].join('\n'),
  );
}

async function demoUpstreams(): Promise<number> {
  const logger = createLogger({ name: 'demo-upstreams' });
  const ports = [9101, 9102, 9103];
  const life = new Lifecycle(
    logger,
    ports.map((port) => ({ port, host: '127.0.0.1', changeWith: 'stopping what uses it', what: 'demo upstream' })),
  );
  return life.run(async () => {
    const demo = await startDemoUpstreams(ports);
    life.add('demo upstreams', demo.close);
    process.stdout.write(`demo upstreams on ${demo.ports.map((p) => `http://127.0.0.1:${p}`).join(', ')}\n`);
  });
}

async function controlPlane(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: process.env.GATEHOUSE_CP_PORT ?? '8082' },
      host: { type: 'string', default: process.env.GATEHOUSE_CP_HOST ?? '127.0.0.1' },
      ...TLS_FLAGS,
    },
  });
  const tls = controlPlaneTls(values);
  const logger = createLogger({ name: 'control-plane' });
  const port = portValue(values.port, '--port');
  const life = new Lifecycle(logger, [
    { port, host: values.host, changeWith: '--port or GATEHOUSE_CP_PORT', what: 'control plane' },
  ]);
  return life.run(async () => {
    const { startControlPlane } = await import('@gatehouse/control-plane');
    const running = await startControlPlane({
      port,
      host: values.host,
      ...(tls ? { tls } : {}),
      ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
      dataDir: process.env.GATEHOUSE_DATA_DIR ?? './.gatehouse/data',
      ...(process.env.GATEHOUSE_ADMIN_EMAIL ? { adminEmail: process.env.GATEHOUSE_ADMIN_EMAIL } : {}),
      ...(process.env.GATEHOUSE_ADMIN_PASSWORD ? { adminPassword: process.env.GATEHOUSE_ADMIN_PASSWORD } : {}),
      logger,
    });
    life.add('control plane', running.close);
    process.stdout.write(`\nGatehouse console: ${running.url}/console/\nDeveloper portal:  ${running.url}/portal/\n\n`);
  });
}

/** `admin reset-password` has its own help; other commands are one word. */
function helpKey(args: string[]): string {
  const [command = '', sub] = args;
  return command === 'admin' && sub && !sub.startsWith('-') ? `admin ${sub}` : command;
}

/** Usage mistakes (unknown flag, missing value) answer one line and the command's help, never a stack. */
function isUsageError(error: unknown): error is Error {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    process.exitCode = code;
    // A failed start may leave handles (a database, timers) behind: nothing may keep running.
    if (code !== 0) setTimeout(() => process.exit(code), 1_000).unref();
  },
  (error: unknown) => {
    if (isUsageError(error)) {
      const help = commandHelp(HELP, helpKey(argv));
      process.stderr.write(`gatehouse: ${error.message}\n\n${help ?? HELP}`);
      process.exitCode = 2;
    } else {
      const detailed = process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace';
      process.stderr.write(
        `gatehouse: ${detailed ? ((error as Error).stack ?? String(error)) : String((error as Error).message ?? error)}\n`,
      );
      process.exitCode = 1;
    }
    setTimeout(() => process.exit(process.exitCode as number), 1_000).unref();
  },
);
