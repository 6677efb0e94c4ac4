/**
 * `jwt` plan security: a bearer JWT verified at the gateway (HS*, RS*, PS*, ES*, EdDSA; inline key or
 * JWK Set URL), its client claim matched to an application's `clientId`.
 *
 * Outcomes: no bearer token, a token that is not a compact JWS (an opaque token for `oauth2`), or a
 * JWS whose `alg` this plan never accepts or whose `iss` is not its issuer (a token of another jwt
 * plan's identity provider) -> not ours (undefined). Invalid token -> 401 `unauthorized` with `WWW-Authenticate: Bearer
 * error="invalid_token"`. Valid token without a client claim -> 401. Valid token whose client has no
 * accepted subscription to the API -> 403 `forbidden`: the caller is authenticated, just not allowed
 * here (RFC 6750's 401 is for credentials that are themselves invalid).
 */
import type { GatewayError } from '@gatehouse/core';
import { defineSecurity } from '../sdk/define.js';
import type { AuthOutcome, RequestContext } from '../sdk/types.js';
import { type FoundToken, forwardClaims, readToken, removeToken, subscriptionForClaims } from './bearer.js';
import { jwtContract } from './contract.js';
import { loadVerificationKey } from './keys.js';
import type { JwtConfig } from './schema.js';
import { type Claims, createTokenVerifier } from './verify.js';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export const jwtSecurity = defineSecurity<JwtConfig>({
  ...jwtContract,
  create(config, env) {
    const key = loadVerificationKey(config, env.resolvePath, env.logger);
    const verifier = createTokenVerifier(config, key);
    const source = config.token ?? {};
    const clientIdClaims = config.clientIdClaims ?? ['client_id', 'azp'];
    const claimHeaders = config.forwardClaims ?? {};
    const forwardsClaims = Object.keys(claimHeaders).length > 0;

    /** A verified token's claims become the request's identity (or a 401/403 when no subscription fits). */
    const accept = (ctx: RequestContext, found: FoundToken, claims: Claims): AuthOutcome => {
      const resolved = subscriptionForClaims(claims, clientIdClaims, env.lookup);
      if ('error' in resolved) return resolved;
      const { clientId, subscription } = resolved;
      if (!config.forwardToken) removeToken(ctx, source, found);
      if (forwardsClaims) forwardClaims(ctx, claimHeaders, claims);
      const principal = typeof claims.sub === 'string' ? claims.sub : clientId;
      return { subscription, claims, principal };
    };

    return {
      // Synchronous for a token verified before (the common case): no promise, no microtask.
      authenticate(ctx: RequestContext): AuthOutcome | undefined | Promise<AuthOutcome | undefined> {
        const found = readToken(ctx, source);
        if (!found) return undefined;
        const hit = verifier.cached(found.token);
        if (hit !== undefined) return accept(ctx, found, hit);
        if (!COMPACT_JWS.test(found.token)) return undefined;
        return verifier.verify(found.token).then(
          (claims) => (claims === undefined ? undefined : accept(ctx, found, claims)),
          (error: unknown) => ({ error: error as GatewayError }),
        );
      },
    };
  },
});
