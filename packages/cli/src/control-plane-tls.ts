/**
 * `--tls-cert/--tls-key` of `gatehouse control-plane` and `gatehouse up`: the management API (and
 * the gateway endpoints, where gateway tokens travel) served over HTTPS.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, setGlobalDispatcher } from 'undici';

export const TLS_FLAGS = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const;

/** The TLS files, or undefined; throws when only one of the two flags is given. */
export function controlPlaneTls(values: {
  'tls-cert'?: string | undefined;
  'tls-key'?: string | undefined;
}): { certFile: string; keyFile: string } | undefined {
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) {
    throw new Error('--tls-cert and --tls-key go together');
  }
  return values['tls-cert'] && values['tls-key']
    ? { certFile: values['tls-cert'], keyFile: values['tls-key'] }
    : undefined;
}

/**
 * `gatehouse up` connects its own gateway to its own HTTPS control plane: this process trusts that
 * certificate (self-signed ones included) besides the usual roots. Remote gateways use
 * NODE_EXTRA_CA_CERTS for a private CA.
 */
export function trustOwnCertificate(certFile: string): void {
  setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, readFileSync(certFile, 'utf8')] } }));
}
