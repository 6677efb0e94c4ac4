/**
 * Platform administration of the control plane's signing keys: list them, and rotate with an
 * overlap during which gateways learn the new key from messages the old key also signs.
 */
import { parseDuration } from '@gatehouse/core';
import Type from 'typebox';
import { actorOf } from '../auth/context.js';
import { errorResponses, Timestamp } from '../http/schemas.js';
import { invalid } from '../http/validation.js';
import { MAX_ROTATION_OVERLAP_MS } from '../hybrid/signing.js';
import { recordAudit } from '../services/audit.js';
import { type App, type RouteDeps, typed } from './deps.js';

const SigningKeyView = Type.Object(
  {
    keyId: Type.String(),
    alg: Type.Literal('Ed25519'),
    publicKeyPem: Type.String(),
    createdAt: Timestamp('Creation time.'),
    status: Type.Union([Type.Literal('current'), Type.Literal('previous'), Type.Literal('retired')], {
      description: 'current: signs; previous: still signs until retiresAt; retired: no longer trusted.',
    }),
    retiresAt: Type.Union([Timestamp('End of the overlap.'), Type.Null()]),
  },
  { additionalProperties: false },
);
const KeyList = Type.Object({ items: Type.Array(SigningKeyView) }, { additionalProperties: false });

export function signingKeyRoutes(root: App, deps: RouteDeps): void {
  const app = typed(root);
  app.get(
    '/api/v1/signing-keys',
    {
      config: { action: 'signing-keys:read' },
      schema: {
        tags: ['gateway protocol'],
        summary: 'The keys signing messages to gateways (current first)',
        response: { 200: KeyList, ...errorResponses() },
      },
    },
    async () => ({ items: await deps.signer.list() }),
  );

  app.post(
    '/api/v1/signing-keys/rotate',
    {
      config: { action: 'signing-keys:write' },
      schema: {
        tags: ['gateway protocol'],
        summary: 'Rotate the signing key: the new key signs at once, the old one also signs until the overlap ends',
        body: Type.Object(
          {
            overlap: Type.Optional(
              Type.String({
                pattern: '^[0-9]+(ms|s|m|h|d)$',
                default: '24h',
                description:
                  'How long the previous key keeps signing (at most 30d). Gateways offline longer must be re-pinned.',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: KeyList, ...errorResponses() },
      },
    },
    async (request) => {
      let overlapMs: number;
      try {
        overlapMs = parseDuration(request.body.overlap ?? '24h');
      } catch {
        throw invalid('body.overlap', 'must be a duration such as 24h');
      }
      if (overlapMs > MAX_ROTATION_OVERLAP_MS) throw invalid('body.overlap', 'must be at most 30d');
      const before = (await deps.signer.list()).find((k) => k.status === 'current');
      const items = await deps.signer.rotate(overlapMs);
      const current = items.find((k) => k.status === 'current')!;
      await recordAudit(deps.db, actorOf(request), {
        envId: null,
        action: 'signing-key.rotated',
        entityType: 'signing-key',
        entityId: current.keyId,
        before: before ? { keyId: before.keyId } : null,
        after: { keyId: current.keyId, previousRetiresAt: new Date(Date.now() + overlapMs).toISOString() },
      });
      return { items };
    },
  );
}
