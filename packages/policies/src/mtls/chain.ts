/**
 * Client certificate chain verification against configured trust anchors. The gateway's TLS server
 * requests certificates without judging them (rejectUnauthorized: false) because different plans
 * may trust different CAs; each mtls scheme therefore verifies the presented chain itself.
 */
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate } from 'node:tls';

export type ChainVerdict = { ok: true; leaf: X509Certificate } | { ok: false; reason: string };

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const ANY_EXTENDED_KEY_USAGE_OID = '2.5.29.37.0';
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function parseCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

/** The presented chain, leaf first, from Node's detailed peer certificate (which links issuers and loops at the root). */
export function presentedChain(peer: DetailedPeerCertificate, maxLength: number): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<DetailedPeerCertificate>();
  for (
    let cert: DetailedPeerCertificate | undefined = peer;
    cert?.raw && !seen.has(cert) && chain.length < maxLength;
    cert = cert.issuerCertificate
  ) {
    seen.add(cert);
    chain.push(new X509Certificate(cert.raw));
  }
  return chain;
}

function withinValidity(cert: X509Certificate, now: number): string | undefined {
  if (Date.parse(cert.validFrom) > now) return 'client certificate is not yet valid';
  if (Date.parse(cert.validTo) < now) return 'client certificate has expired';
  return undefined;
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

export interface VerifyOptions {
  anchors: readonly X509Certificate[];
  maxIntermediates: number;
  requireClientAuthUsage: boolean;
  now: number;
}

/** Walks leaf -> intermediates (presented by the client, must be CAs) -> a trust anchor, checking signatures and dates. */
export function verifyChain(chain: readonly X509Certificate[], options: VerifyOptions): ChainVerdict {
  const leaf = chain[0];
  if (!leaf) return { ok: false, reason: 'no client certificate' };
  if (options.requireClientAuthUsage) {
    const usages = leaf.keyUsage;
    if (
      usages &&
      usages.length > 0 &&
      !usages.includes(CLIENT_AUTH_OID) &&
      !usages.includes(ANY_EXTENDED_KEY_USAGE_OID)
    ) {
      return { ok: false, reason: 'client certificate is not meant for client authentication' };
    }
  }
  const intermediates = chain.slice(1);
  let current = leaf;
  for (let depth = 0; depth <= options.maxIntermediates; depth++) {
    const expired = withinValidity(current, options.now);
    if (expired)
      return { ok: false, reason: depth === 0 ? expired : 'a certificate of the client chain is outside its validity' };
    const anchor = options.anchors.find((a) => issuedBy(current, a));
    if (anchor) {
      if (withinValidity(anchor, options.now))
        return { ok: false, reason: 'the trusted CA certificate is outside its validity' };
      return { ok: true, leaf };
    }
    const next = intermediates.find((c) => c !== current && c.ca && issuedBy(current, c));
    if (!next) break;
    current = next;
  }
  return { ok: false, reason: 'client certificate is not trusted' };
}

/** `sha256:<hex>` of the DER certificate, the format applications list in `certificates`. */
export function fingerprintIdentity(cert: X509Certificate): string {
  return `sha256:${cert.fingerprint256.replaceAll(':', '').toLowerCase()}`;
}

/** `subject:CN=client,O=Acme,C=US`: Node lists the RDNs root-first, one per line; RFC 4514 reverses them. */
export function subjectIdentity(cert: X509Certificate): string {
  return `subject:${cert.subject
    .split('\n')
    .filter((rdn) => rdn !== '')
    .reverse()
    .join(',')}`;
}
