/**
 * `basic-auth` (request phase): HTTP Basic credentials checked against bcrypt/argon2 hashes from the
 * policy config. Missing or wrong credentials -> 401 `unauthorized` with `WWW-Authenticate: Basic
 * realm="..."`. On success the user name is set as attribute `basicAuth.username` (CEL:
 * `attributes["basicAuth.username"]`) and the Authorization header is removed before forwarding.
 * Successful checks are cached briefly under sha256(username:password), so the deliberately slow hash
 * is paid once per TTL rather than per request; failures are never cached.
 *
 * Hash checks run off the event loop with a process-wide cap (see password-hash.ts): past it, 503
 * `service_unavailable` with `Retry-After`. Failures are counted per (user name, client address);
 * past `maxFailures` in `failureWindow`, 429 `too_many_requests` without checking the hash.
 */
import { GatewayError, LruCache, parseDuration, sha256Hex } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import type { RequestContext } from '../sdk/types.js';
import { basicAuthContract } from './contract.js';
import { FailureThrottle } from './failure-throttle.js';
import { type HashKind, hashKind, verifiableHash, verifyPassword } from './password-hash.js';
import type { BasicAuthConfig } from './schema.js';

export const USERNAME_ATTRIBUTE = 'basicAuth.username';

interface Account {
  hash: string;
  kind: HashKind;
}

export const basicAuthPolicy = definePolicy<BasicAuthConfig>({
  ...basicAuthContract,
  create(config) {
    const accounts = new Map<string, Account>();
    // check() has refused unknown hash formats and duplicate users before create() runs.
    for (const { username, passwordHash } of config.credentials ?? []) {
      const kind = hashKind(passwordHash)!;
      accounts.set(username, { hash: verifiableHash(kind, passwordHash), kind });
    }
    // Unknown users are checked against a real hash too, so response time does not reveal which users exist.
    const decoy = accounts.values().next().value as Account | undefined;
    const challenge = { 'www-authenticate': `Basic realm="${config.realm ?? 'gatehouse'}", charset="UTF-8"` };
    const ttlMs = parseDuration(config.cacheTtl ?? '60s');
    const verified =
      ttlMs > 0 ? new LruCache<string, { expiresAt: number }>(config.cacheMaxEntries ?? 1000) : undefined;

    const throttle = new FailureThrottle(
      config.maxFailures ?? 5,
      parseDuration(config.failureWindow ?? '1m'),
      config.failureMaxEntries ?? 10_000,
    );

    const reject = (detail: string) => new GatewayError('unauthorized', { detail, headers: challenge });

    return {
      async request(ctx: RequestContext) {
        const credentials = parseBasic(ctx.request.headers.authorization);
        if (!credentials) throw reject('HTTP Basic credentials are required');
        const { username, password } = credentials;

        const cacheKey = sha256Hex(`${username}:${password}`);
        const hit = verified?.get(cacheKey);
        let ok = hit !== undefined && hit.expiresAt > Date.now();
        if (!ok) {
          const clientIp = ctx.request.clientIp;
          const retryAfter = throttle.retryAfter(username, clientIp);
          if (retryAfter > 0) {
            throw new GatewayError('too_many_requests', {
              detail: 'too many failed logins for this user from this address; try again later',
              headers: { 'retry-after': String(retryAfter) },
            });
          }
          const account = accounts.get(username);
          const checked = account ?? decoy;
          const matches = checked ? await verifyPassword(checked.kind, checked.hash, password) : false;
          if (matches === 'busy') {
            throw new GatewayError('service_unavailable', {
              detail: 'too many password checks in progress; try again shortly',
              headers: { 'retry-after': '1' },
            });
          }
          ok = account !== undefined && matches;
          if (ok) {
            verified?.set(cacheKey, { expiresAt: Date.now() + ttlMs });
            throttle.succeeded(username, clientIp);
          } else throttle.failed(username, clientIp);
        }
        if (!ok) throw reject('the user name or password is wrong');

        ctx.attributes[USERNAME_ATTRIBUTE] = username;
        if (!config.forwardCredentials) delete ctx.request.headers.authorization;
      },
    };
  },
});

/** `Basic base64(user:pass)` -> parts; the user name ends at the first colon (RFC 7617). */
function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  if (!header || header.length < 7 || header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
