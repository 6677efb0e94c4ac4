/**
 * `oauth2` plan security: bearer tokens checked by RFC 7662 introspection, the `client_id` member
 * matched to an application's `clientId`, scopes required per plan and per `METHODS path-prefix`.
 *
 * Outcomes: no bearer token -> not ours (undefined). Inactive token -> 401 `unauthorized`
 * (`WWW-Authenticate: Bearer error="invalid_token"`). Active token lacking scopes -> 403 `forbidden`
 * (`Bearer error="insufficient_scope", scope="..."`). Active token without a client member -> 401;
 * whose client has no accepted subscription -> 403 `forbidden`. Introspection endpoint down -> 503 `service_unavailable`.
 */
import { GatewayError, parseDuration } from '@gatehouse/core';
import { bearerChallenge, forwardClaims, readToken, removeToken, subscriptionForClaims } from '../jwt/bearer.js';
import { defineSecurity } from '../sdk/define.js';
import type { AuthOutcome, RequestContext } from '../sdk/types.js';
import { oauth2Contract } from './contract.js';
import { IntrospectionClient, IntrospectionUnavailableError } from './introspection.js';
import type { OAuth2Config } from './schema.js';
import { compileScopeRules, grantedScopes } from './scope-rules.js';

export const oauth2Security = defineSecurity<OAuth2Config>({
  ...oauth2Contract,
  create(config, env) {
    const client = new IntrospectionClient({
      url: config.introspectionUrl,
      clientId: config.clientId,
      clientSecret: loadClientSecret(config),
      tokenTypeHint: config.tokenTypeHint ?? 'access_token',
      timeoutMs: parseDuration(config.timeout ?? '5s'),
      maxEntries: config.cache?.maxEntries ?? 10_000,
      maxTtlMs: parseDuration(config.cache?.maxTtl ?? '5m'),
      negativeTtlMs: parseDuration(config.cache?.negativeTtl ?? '10s'),
      logger: env.logger,
    });
    const scopeRules = compileScopeRules(config.requiredScopes ?? [], config.scopes ?? {});
    const source = config.token ?? {};
    const scopeClaim = config.scopeClaim ?? 'scope';
    const clientIdClaims = config.clientIdClaims ?? ['client_id'];
    const claimHeaders = config.forwardClaims ?? {};

    return {
      async authenticate(ctx: RequestContext): Promise<AuthOutcome | undefined> {
        const found = readToken(ctx, source);
        if (!found) return undefined;
        let introspection: Awaited<ReturnType<IntrospectionClient['introspect']>>;
        try {
          introspection = await client.introspect(found.token);
        } catch (error) {
          if (!(error instanceof IntrospectionUnavailableError)) throw error;
          return {
            error: new GatewayError('service_unavailable', { detail: 'the token cannot be checked right now' }),
          };
        }
        if (!introspection.active) {
          return {
            error: new GatewayError('unauthorized', {
              detail: 'token is not active',
              headers: bearerChallenge('invalid_token'),
            }),
          };
        }
        const { claims } = introspection;

        const resolved = subscriptionForClaims(claims, clientIdClaims, env.lookup);
        if ('error' in resolved) return resolved;
        const { clientId, subscription } = resolved;

        const required = scopeRules.required(ctx.request.method, ctx.request.path);
        if (required.length > 0) {
          const granted = grantedScopes(claims[scopeClaim]);
          if (required.some((scope) => !granted.has(scope))) {
            return {
              error: new GatewayError('forbidden', {
                detail: 'token lacks a scope this request needs',
                headers: bearerChallenge('insufficient_scope', required),
              }),
            };
          }
        }

        if (!config.forwardToken) removeToken(ctx, source, found);
        forwardClaims(ctx, claimHeaders, claims);
        const principal =
          typeof claims.sub === 'string'
            ? claims.sub
            : typeof claims.username === 'string'
              ? claims.username
              : clientId;
        return { subscription, claims, principal };
      },
    };
  },
});

function loadClientSecret(config: OAuth2Config): string {
  if ((config.clientSecret === undefined) === (config.clientSecretEnv === undefined)) {
    throw new Error('set exactly one of clientSecret, clientSecretEnv');
  }
  if (config.clientSecret !== undefined) return config.clientSecret;
  const secret = process.env[config.clientSecretEnv!];
  if (!secret) throw new Error(`clientSecretEnv: environment variable ${config.clientSecretEnv} is not set`);
  return secret;
}
