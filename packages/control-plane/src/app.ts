/** Assembles the Fastify application: validation, errors, auth, OpenAPI and every route group. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger, SecretBox } from '@gatehouse/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { type PasswordHashing, setPasswordHashing } from './auth/passwords.js';
import { registerAuth } from './auth/plugin.js';
import { DEFAULT_THROTTLE, LoginThrottle, type ThrottleOptions } from './auth/throttle.js';
import type { Database } from './db/connect.js';
import { registerConsole } from './http/console-static.js';
import { registerErrorHandling } from './http/errors.js';
import { registerHardening } from './http/hardening.js';
import { registerJsonBodyParser } from './http/json-body.js';
import { registerPortal } from './http/portal-static.js';
import { HTTP_URL, validatorCompiler } from './http/validation.js';
import { DEFAULT_FAN_OUT, type FanOutOptions } from './hybrid/paced-fan-out.js';
import { loadSigner } from './hybrid/signing.js';
import { type Mailer, NO_MAILER } from './mail/mailer.js';
import { analyticsRoutes } from './routes/analytics.js';
import { apiPageRoutes } from './routes/api-pages.js';
import { apiRoutes } from './routes/apis.js';
import { applicationRoutes } from './routes/applications.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { configRoutes } from './routes/config.js';
import { deploymentRoutes } from './routes/deployments.js';
import type { RouteDeps } from './routes/deps.js';
import { environmentRoutes } from './routes/environments.js';
import { gatewayApiRoutes } from './routes/gateway-api.js';
import { gatewayRoutes } from './routes/gateways.js';
import { planRoutes } from './routes/plans.js';
import { policyRoutes } from './routes/policies.js';
import { portalRoutes } from './routes/portal.js';
import { portalAccountRoutes } from './routes/portal-accounts.js';
import { sessionRoutes } from './routes/session.js';
import { signingKeyRoutes } from './routes/signing-keys.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { systemRoutes } from './routes/system.js';
import { usageRoutes } from './routes/usage.js';
import { userRoutes } from './routes/users.js';
import { installSecretBox } from './secrets/keyring.js';
import { type AccountsContext, DEFAULT_PORTAL_LIMITS, type PortalThrottleLimits } from './services/portal-accounts.js';
import type { PortalSettingsReader } from './services/portal-directory.js';
import { subscriptionMailer } from './services/portal-notify.js';
import { getPortalSettingsRow } from './services/portal-settings.js';

export const DOCS_PREFIX = '/api/v1/docs';

export interface BuildAppOptions {
  db: Database;
  /** Gateway protocol's pool; default `db`. */
  protocolDb?: Database | undefined;
  /** Analytics queries' pool; default `db`. */
  analyticsDb?: Database | undefined;
  orgId: string;
  /** Encrypts secrets at rest (signing key, secret fields of definitions); see secrets/keyring.ts. */
  secretBox: SecretBox;
  /** Serve HTTPS with this certificate chain and key (PEM). */
  tls?: { cert: Buffer | string; key: Buffer | string } | undefined;
  logger?: Logger | undefined;
  sessionTtlMs?: number | undefined;
  throttle?: ThrottleOptions | undefined;
  /** Trust X-Forwarded-For (only behind a known proxy): the login throttle keys on the client address. */
  trustProxy?: boolean | string | undefined;
  /** Expected time between gateway heartbeats (default 60 s); online/stale/offline derive from it. */
  heartbeatIntervalMs?: number | undefined;
  /** Keep-alive comment interval on gateways' event streams (default 15 s). */
  eventsPingMs?: number | undefined;
  /** Pacing of `changed` events to gateways' streams (default DEFAULT_FAN_OUT: waves of 32). */
  fanOut?: Partial<FanOutOptions> | undefined;
  /** Outgoing mail (portal accounts, subscription notices); none by default. */
  mailer?: Mailer | undefined;
  /** Public base URL of the control plane for links in mails (default: the listening URL). */
  publicUrl?: string | undefined;
  /** Portal sign-up / reset-mail limits per address and per e-mail. */
  portalLimits?: PortalThrottleLimits | undefined;
  /** Lock times of the portal throttle (the `free*` fields are not used there). */
  portalThrottle?: ThrottleOptions | undefined;
  /** Reads a portal's settings (enabled, sign-up mode); see services/portal-directory.ts. */
  portalSettings?: PortalSettingsReader | undefined;
  /** Built console assets served at /console/ (default packages/console/dist). */
  consoleDir?: string | undefined;
  /** Built developer portal served at /portal/ (default packages/portal/dist). */
  portalDir?: string | undefined;
  /** Cost of new password hashes (default: production's strong cost); tests pass a cheap one. */
  passwordHashing?: PasswordHashing | undefined;
}

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 60_000;

/** Portal sign-up / reset throttle: a minute's lock after the allowance, doubling up to an hour. */
export const PORTAL_THROTTLE: ThrottleOptions = {
  freeAttempts: 0,
  freeAttemptsPerAddress: 0,
  baseLockMs: 60_000,
  maxLockMs: 60 * 60_000,
  resetAfterMs: 60 * 60_000,
};

/** Accounts read sign-up mode and enabled from portal-api's settings table (no row: portal off). */
const readPortalSettings: PortalSettingsReader = async (db, envId) => {
  const row = await getPortalSettingsRow(db, envId);
  return { enabled: row?.enabled ?? false, signup: row?.signup ?? 'approval' };
};

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  installSecretBox(options.secretBox);
  setPasswordHashing(options.passwordHashing);
  const app = Fastify({
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' as const } } : {}),
    loggerInstance: options.logger,
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 8 * 1024 * 1024,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
    // The response serializer has its own Ajv (for anyOf): without our formats it warns on stdout.
    serializerOpts: { ajv: { formats: { 'http-url': HTTP_URL } } },
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  registerJsonBodyParser(app);
  registerErrorHandling(app);
  registerHardening(app);
  // A bodiless POST (`curl -X POST`) is an empty object: required fields are then reported by name.
  app.addHook('preValidation', async (request) => {
    if (
      request.body === undefined &&
      request.method !== 'GET' &&
      request.method !== 'DELETE' &&
      request.method !== 'HEAD'
    ) {
      request.body = {};
    }
  });
  registerAuth(app, {
    db: options.db,
    gatewayDb: options.protocolDb,
    orgId: options.orgId,
    publicPrefixes: [DOCS_PREFIX],
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gatehouse management API',
        version: '1.0.0',
        description:
          'Manage APIs, plans, deployments, applications, subscriptions and keys. Errors are RFC 9457 problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'Session token from /auth/login, or a personal access token.',
          },
          gatewayToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'Gateway token (hybrid mode), from registering the gateway. Only for /api/v1/gateway/*.',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    // Each operation documents the permission it needs (x-gatehouse-action, see auth/permissions.ts).
    transform: ({ schema, url, route }) => ({
      schema: { ...(schema ?? {}), 'x-gatehouse-action': route.config?.action } as typeof schema,
      url,
    }),
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { deepLinking: true },
    // The plugin's CSP (script and style hashes), never framed (clickjacking), and without
    // upgrade-insecure-requests, which would break the page on a plain-HTTP loopback listener.
    staticCSP: true,
    transformStaticCSP: (header) =>
      header.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace(' upgrade-insecure-requests;', ''),
    uiHooks: {
      onRequest: (_request, reply, done) => {
        reply.header('x-frame-options', 'DENY');
        done();
      },
    },
  });

  const accounts: AccountsContext = {
    db: options.db,
    orgId: options.orgId,
    mailer: options.mailer ?? NO_MAILER,
    logger: options.logger,
    baseUrl: options.publicUrl ?? 'http://127.0.0.1:8082',
    throttle: new LoginThrottle(options.db, options.portalThrottle ?? PORTAL_THROTTLE),
    limits: options.portalLimits ?? DEFAULT_PORTAL_LIMITS,
    settings: options.portalSettings ?? readPortalSettings,
  };
  const deps: RouteDeps = {
    db: options.db,
    protocolDb: options.protocolDb ?? options.db,
    analyticsDb: options.analyticsDb ?? options.db,
    orgId: options.orgId,
    throttle: new LoginThrottle(options.db, options.throttle ?? DEFAULT_THROTTLE),
    sessionTtlMs: options.sessionTtlMs ?? 12 * 3_600_000,
    signer: await loadSigner(options.db),
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    eventsPingMs: options.eventsPingMs ?? 15_000,
    fanOut: { ...DEFAULT_FAN_OUT, ...options.fanOut },
    accounts,
    subscriptionListener: subscriptionMailer(accounts),
  };
  systemRoutes(app, deps);
  authRoutes(app, deps);
  userRoutes(app, deps);
  environmentRoutes(app, deps);
  apiRoutes(app, deps);
  planRoutes(app, deps);
  deploymentRoutes(app, deps);
  applicationRoutes(app, deps);
  subscriptionRoutes(app, deps);
  gatewayRoutes(app, deps);
  gatewayApiRoutes(app, deps);
  signingKeyRoutes(app, deps);
  analyticsRoutes(app, deps);
  auditRoutes(app, deps);
  configRoutes(app, deps);
  sessionRoutes(app, deps);
  policyRoutes(app, deps);
  apiPageRoutes(app, deps);
  portalRoutes(app, deps);
  usageRoutes(app, deps);
  portalAccountRoutes(app, deps);
  registerConsole(app, options.consoleDir);
  registerPortal(app, { db: options.db, orgId: options.orgId, dir: options.portalDir });
  await app.ready();
  return app;
}
