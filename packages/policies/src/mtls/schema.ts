import Type, { type Static } from 'typebox';

export const MtlsConfigSchema = Type.Object(
  {
    ca: Type.String({
      minLength: 1,
      description:
        'CA certificate(s) client certificates must chain to: inline PEM (several certificates allowed) or a PEM file path relative to the config file.',
    }),
    identities: Type.Optional(
      Type.Array(Type.Union([Type.Literal('fingerprint'), Type.Literal('subject')]), {
        minItems: 1,
        uniqueItems: true,
        default: ['fingerprint', 'subject'],
        description:
          "How the certificate is matched to an application's `certificates`, tried in order: `fingerprint` = `sha256:<hex of the DER, lowercase, no colons>`, `subject` = `subject:<DN>` in RFC 4514 order (`CN=client,O=Acme,C=US`, as `openssl x509 -noout -subject -nameopt RFC2253` prints).",
      }),
    ),
    requireClientAuthUsage: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'Refuse a leaf certificate whose extended key usage exists but does not allow TLS client authentication.',
      }),
    ),
    maxChainDepth: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10,
        default: 5,
        description: 'Most intermediate certificates followed between the leaf and a CA.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Client certificates (mutual TLS) verified against the configured CA.' },
);
export type MtlsConfig = Static<typeof MtlsConfigSchema>;
