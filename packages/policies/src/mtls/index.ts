/**
 * `mtls` plan security: the client certificate of the TLS connection, verified against this plan's
 * CA, identifies the application (`sha256:<fingerprint>` or `subject:<DN>` in its `certificates`).
 *
 * Outcomes: plain HTTP or no client certificate -> not ours (undefined). Certificate not chaining to
 * the CA, outside its dates or not for client auth -> 401 `unauthorized`. Trusted certificate of no
 * subscribed application -> 403 `forbidden` (consistent with jwt and oauth2).
 * The verdict is remembered per TLS connection (a connection's certificate cannot change), so
 * keep-alive requests pay a WeakMap lookup and a date check.
 */

import type { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { GatewayError } from '@gatehouse/core';
import { isInlineMaterial } from '../jwt/bearer.js';
import { defineSecurity } from '../sdk/define.js';
import type { AuthOutcome, RequestContext } from '../sdk/types.js';
import {
  type ChainVerdict,
  fingerprintIdentity,
  parseCertificates,
  presentedChain,
  subjectIdentity,
  verifyChain,
} from './chain.js';
import { mtlsContract } from './contract.js';
import type { MtlsConfig } from './schema.js';

interface ConnectionVerdict {
  verdict: ChainVerdict;
  identities: string[];
  validTo: number;
}

export const mtlsSecurity = defineSecurity<MtlsConfig>({
  ...mtlsContract,
  create(config, env) {
    const pem = isInlineMaterial(config.ca) ? config.ca : readFileSync(env.resolvePath(config.ca), 'utf8');
    const anchors = parseCertificates(pem);
    if (anchors.length === 0) throw new Error('ca: no PEM certificate found');
    const identityKinds = config.identities ?? ['fingerprint', 'subject'];
    const maxIntermediates = config.maxChainDepth ?? 5;
    const requireClientAuthUsage = config.requireClientAuthUsage ?? true;
    // Keyed by connection: entries vanish with their sockets.
    const verdicts = new WeakMap<TLSSocket, ConnectionVerdict>();

    const identitiesOf = (leaf: X509Certificate) =>
      identityKinds.map((kind) => (kind === 'fingerprint' ? fingerprintIdentity(leaf) : subjectIdentity(leaf)));

    const judge = (socket: TLSSocket): ConnectionVerdict | undefined => {
      const cached = verdicts.get(socket);
      if (cached) return cached;
      const peer = socket.getPeerCertificate(true);
      if (!peer?.raw) return undefined;
      let judged: ConnectionVerdict;
      try {
        const chain = presentedChain(peer, maxIntermediates + 1);
        const verdict = verifyChain(chain, { anchors, maxIntermediates, requireClientAuthUsage, now: Date.now() });
        judged = {
          verdict,
          identities: verdict.ok ? identitiesOf(verdict.leaf) : [],
          validTo: verdict.ok ? Date.parse(verdict.leaf.validTo) : 0,
        };
      } catch {
        judged = { verdict: { ok: false, reason: 'client certificate cannot be read' }, identities: [], validTo: 0 };
      }
      verdicts.set(socket, judged);
      return judged;
    };

    return {
      authenticate(ctx: RequestContext): AuthOutcome | undefined {
        const socket = ctx.request.tlsSocket;
        if (!socket) return undefined;
        const judged = judge(socket);
        if (!judged) return undefined;
        if (!judged.verdict.ok) return { error: new GatewayError('unauthorized', { detail: judged.verdict.reason }) };
        // Long-lived connections can outlive the certificate.
        if (judged.validTo < Date.now())
          return { error: new GatewayError('unauthorized', { detail: 'client certificate has expired' }) };
        for (const identity of judged.identities) {
          const subscription = env.lookup.certificate(identity);
          if (subscription) return { subscription, principal: identity };
        }
        return {
          error: new GatewayError('forbidden', {
            detail: 'the client certificate belongs to no application subscribed to this API',
          }),
        };
      },
    };
  },
});
