import { isInlineMaterial } from '../jwt/bearer.js';
import { defineSecurityContract } from '../sdk/define.js';
import { parseCertificates } from './chain.js';
import { type MtlsConfig, MtlsConfigSchema } from './schema.js';

export const mtlsContract = defineSecurityContract<MtlsConfig>({
  type: 'mtls',
  version: '1.0.0',
  summary:
    "Client certificates (mutual TLS) verified against the plan's CA and matched to an application's certificates.",
  configSchema: MtlsConfigSchema,
  describe: () => ['Client certificate (mTLS)'],
  example: { type: 'mtls', config: { ca: 'certs/clients-ca.pem' } },
  priority: 5,
  check(config) {
    // A file path is read by each gateway at load; inline PEM can be checked here.
    if (!isInlineMaterial(config.ca)) return [];
    return parseCertificates(config.ca).length === 0 ? [{ path: 'ca', message: 'no PEM certificate found' }] : [];
  },
});
