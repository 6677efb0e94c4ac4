/**
 * The hybrid wire contract (docs/hybrid-protocol.md), the one definition both planes use: the
 * control plane's route schemas and the gateway's compiled validators are these objects.
 *
 * Compatibility rule (tested both ways in protocol.test.ts):
 *  - `protocol` is the contract version. Within a version, changes are additive only: a new member
 *    is optional and its absence means the behaviour before it existed. Receivers ignore members
 *    they do not know; the signature covers them anyway (it is over the message as received), so a
 *    gateway verifies a newer control plane's message and applies what it understands.
 *  - A change older receivers would misread bumps `protocol`. A gateway refuses a message whose
 *    version is above PROTOCOL_VERSION ("upgrade the gateway") or below MIN_PROTOCOL_VERSION
 *    ("upgrade the control plane": version 1 messages were not bound to an environment, gateway and
 *    position, so accepting them would reopen replay), and keeps serving what it has.
 *  - Bodies gateways send (heartbeat, analytics) accept unknown members, so a newer gateway can
 *    report to an older control plane.
 *  - Version negotiation (from protocol 3): a gateway names the versions it accepts in the
 *    PROTOCOL_HEADER of `GET /sync` (e.g. `3, 2`); the control plane answers in the highest one it
 *    speaks too (negotiateProtocol). Without the header (a gateway from before protocol 3) it answers
 *    protocol 2, so an older gateway keeps working against a newer control plane, and a newer
 *    gateway against an older control plane (which ignores the header) gets the protocol 2 it accepts.
 *  - Protocol 3 changes only what the signature covers (signing.ts): snapshots and deltas carry
 *    `digest`, the sha256 of the canonical JSON of their `document` / `applications`, and the
 *    signature covers the message without that member (the envelope). A gateway accepts either
 *    version from any control plane at any time (see "Downgrade" in docs/hybrid-protocol.md).
 *  - Protocol 4 adds the `definition` kind (a definition delta, docs/decisions/0021): the new
 *    definition (the document without its applications) plus the credential changes since the
 *    gateway's cursor. Snapshots, deltas and `unchanged` are as in protocol 3. An older receiver
 *    would not know the kind, hence the bump; a `definition` message labelled below 4 is refused.
 */
import Type, { type Static, type TSchema } from 'typebox';

export const PROTOCOL_VERSION = 4;
/** The first version with the `definition` kind (a definition delta). */
export const DEFINITION_DELTA_PROTOCOL = 4;
export const MIN_PROTOCOL_VERSION = 2;
/** Spoken by both planes before negotiation existed: the answer to a gateway that names no version. */
export const UNNEGOTIATED_PROTOCOL_VERSION = 2;
/** Request header of `GET /sync` naming the protocol versions the gateway accepts. */
export const PROTOCOL_HEADER = 'gatehouse-protocol';

/**
 * Request header of `GET /sync`: the cursor a change event announced. The control plane keeps each
 * environment's head in memory, moved by the same events; a replica that has not heard of this
 * cursor yet reads the head from the database instead of answering `unchanged`.
 */
export const EXPECT_CURSOR_HEADER = 'gatehouse-expect-cursor';

/** The PROTOCOL_HEADER value a gateway sends: every version it accepts, highest first. */
export function acceptedProtocols(): string {
  const versions: number[] = [];
  for (let v = PROTOCOL_VERSION; v >= MIN_PROTOCOL_VERSION; v--) versions.push(v);
  return versions.join(', ');
}

/**
 * The version to answer in: the highest one both sides speak. A missing or unreadable header means
 * a gateway from before negotiation (protocol 2); a list with no common version gets protocol 2 too,
 * which that gateway then refuses with a message saying which side to upgrade.
 */
export function negotiateProtocol(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  let best = 0;
  for (const part of value.split(',')) {
    const text = part.trim();
    if (!/^\d{1,3}$/.test(text)) continue;
    const v = Number(text);
    if (v >= MIN_PROTOCOL_VERSION && v <= PROTOCOL_VERSION && v > best) best = v;
  }
  return best || UNNEGOTIATED_PROTOCOL_VERSION;
}

/**
 * The request headers of `GET /sync`, for the route schema and so the OpenAPI document: one
 * declaration beside the constants above. Both are hints the control plane reads leniently (an
 * unreadable value means "absent", see negotiateProtocol and the head cache), so the schema
 * describes them without constraining them: a stricter schema would answer 400 where the protocol
 * answers protocol 2 or reads the head from the database. The example is this build's own list.
 */
export const SyncRequestHeaders = Type.Object(
  {
    [PROTOCOL_HEADER]: Type.Optional(
      Type.String({
        description:
          'The protocol versions this gateway accepts, comma-separated, highest first. The answer is in the highest version the control plane speaks too; without the header (a gateway from before negotiation), or with no version in common, it is protocol 2. The answer varies on this header.',
        examples: [acceptedProtocols()],
      }),
    ),
    [EXPECT_CURSOR_HEADER]: Type.Optional(
      Type.String({
        description:
          'The cursor (`c:<seq>`) a `changed` event announced. A control-plane replica whose cached head is behind it reads the head from the database instead of answering `unchanged`. Anything else is ignored.',
        examples: ['c:42'],
      }),
    ),
  },
  { additionalProperties: true },
);

/** `sha256:<hex>` of the canonical JSON of a message's shared part (protocol 3). */
export const DIGEST_PATTERN = '^sha256:[0-9a-f]{64}$';
const digest = Type.Optional(
  Type.String({
    pattern: DIGEST_PATTERN,
    description:
      'Protocol 3 (required there): sha256 of the canonical JSON of `document` (snapshot) or `applications` (delta); the signature covers the message without that member.',
  }),
);

export const CURSOR_PATTERN = '^c:\\d{1,15}$';

export const MessageSignature = Type.Object(
  {
    alg: Type.Literal('Ed25519'),
    keyId: Type.String({ minLength: 1, maxLength: 100, description: 'The signing key (see `keys`).' }),
    value: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Base64 Ed25519 signature of the canonical bytes.',
    }),
  },
  { additionalProperties: true },
);
export type MessageSignature = Static<typeof MessageSignature>;

export const PublishedKey = Type.Object(
  {
    keyId: Type.String({ minLength: 1, maxLength: 100 }),
    alg: Type.Literal('Ed25519'),
    publicKeyPem: Type.String({ minLength: 1, maxLength: 1000 }),
    notAfter: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'The key is retired then: messages it signs are refused after.',
      }),
    ),
  },
  { additionalProperties: true },
);
export type PublishedKey = Static<typeof PublishedKey>;

/** Members every sync message has: what it is bound to, where it stands, who signed it. */
const common = {
  protocol: Type.Integer({ minimum: 1, description: 'Contract version (see the compatibility rule).' }),
  environment: Type.String({ minLength: 1, maxLength: 200, description: 'Environment id the message is for.' }),
  gateway: Type.String({ minLength: 1, maxLength: 200, description: 'Gateway id the message is for.' }),
  cursor: Type.String({ pattern: CURSOR_PATTERN, description: "Position in the environment's change log." }),
  issuedAt: Type.String({ format: 'date-time', description: 'When the control plane issued the message.' }),
  keys: Type.Optional(
    Type.Array(PublishedKey, {
      minItems: 1,
      maxItems: 8,
      description: "The control plane's signing keys (current, and previous until its notAfter) for key rotation.",
    }),
  ),
  signatures: Type.Array(MessageSignature, {
    minItems: 1,
    maxItems: 8,
    description: 'One per active signing key; a gateway needs one from a key it trusts.',
  }),
};

const definitionDigest = Type.String({
  pattern: DIGEST_PATTERN,
  description:
    'sha256 of the canonical JSON of `definition`: shared by every gateway of the shard at this version, hashed once.',
});

const ApplicationRef = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: true, description: 'An application as in the config document (validated when applied).' },
);

const ApplicationChanges = Type.Object(
  {
    upsert: Type.Array(ApplicationRef),
    delete: Type.Array(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: true },
);

export const SnapshotMessage = Type.Object(
  {
    kind: Type.Literal('snapshot'),
    ...common,
    definitionVersion: Type.String({ minLength: 1, maxLength: 200 }),
    digest,
    document: Type.Record(Type.String(), Type.Unknown(), { description: "The gateway's shard of the document." }),
  },
  { additionalProperties: true },
);
export type SnapshotMessage = Static<typeof SnapshotMessage>;

export const DeltaMessage = Type.Object(
  {
    kind: Type.Literal('delta'),
    ...common,
    fromCursor: Type.String({ pattern: CURSOR_PATTERN }),
    definitionVersion: Type.String({ minLength: 1, maxLength: 200 }),
    digest,
    applications: ApplicationChanges,
  },
  { additionalProperties: true },
);
export type DeltaMessage = Static<typeof DeltaMessage>;

/**
 * Protocol 4: the definition changed and the gateway's cursor is known. `definition` is the new
 * document of the gateway's shard without `applications`; `applications` are the changes since
 * `fromCursor` (those whose credentials changed, and those entering, leaving or changing in the shard
 * because the definition changed), applied to the applications the gateway holds. Both parts are
 * left out of the signed bytes, each covered by its digest.
 */
export const DefinitionMessage = Type.Object(
  {
    kind: Type.Literal('definition'),
    ...common,
    fromCursor: Type.String({ pattern: CURSOR_PATTERN }),
    definitionVersion: Type.String({ minLength: 1, maxLength: 200 }),
    definitionDigest,
    digest: Type.String({
      pattern: DIGEST_PATTERN,
      description: 'sha256 of the canonical JSON of `applications`.',
    }),
    definition: Type.Record(Type.String(), Type.Unknown(), {
      description: "The gateway's shard of the document, without `applications`.",
    }),
    applications: ApplicationChanges,
  },
  { additionalProperties: true },
);
export type DefinitionMessage = Static<typeof DefinitionMessage>;

export const UnchangedMessage = Type.Object(
  { kind: Type.Literal('unchanged'), ...common },
  { additionalProperties: true },
);
export type UnchangedMessage = Static<typeof UnchangedMessage>;

export const SyncMessage = Type.Union([SnapshotMessage, DeltaMessage, DefinitionMessage, UnchangedMessage], {
  description: 'See docs/hybrid-protocol.md for each kind.',
});
export type SyncMessage = Static<typeof SyncMessage>;
/** Messages that carry config (kept in the gateway's backup). */
export type ConfigMessage = SnapshotMessage | DeltaMessage | DefinitionMessage;
/** Messages a gateway applies on top of what it holds (kept in the backup's delta journal). */
export type IncrementalMessage = DeltaMessage | DefinitionMessage;

/** A message before it is signed. */
export type UnsignedMessage<M extends SyncMessage = SyncMessage> = M extends unknown ? Omit<M, 'signatures'> : never;
/** What the control plane builds: the signer adds `keys` and `signatures`. */
export type MessageBody<M extends SyncMessage = SyncMessage> = M extends unknown
  ? Omit<M, 'signatures' | 'keys'>
  : never;

export const SigningKeyAnswer = Type.Object(
  {
    keyId: Type.String(),
    alg: Type.Literal('Ed25519'),
    publicKeyPem: Type.String(),
    keys: Type.Optional(Type.Array(PublishedKey, { description: 'Every key in use (current first).' })),
  },
  { additionalProperties: true },
);
export type SigningKeyAnswer = Static<typeof SigningKeyAnswer>;

const nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

export const Heartbeat = Type.Object(
  {
    protocol: Type.Optional(Type.Integer({ minimum: 1, description: 'Highest contract version the gateway speaks.' })),
    instanceId: Type.Optional(Type.String({ maxLength: 200, description: 'Id of the gateway process.' })),
    version: Type.Optional(Type.String({ maxLength: 100 })),
    hostname: Type.Optional(Type.String({ maxLength: 255 })),
    configVersion: nullable(Type.String({ maxLength: 200 })),
    cursor: nullable(Type.String({ maxLength: 200 })),
    appliedRevisions: Type.Optional(
      Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: 'API id -> revision served.' }),
    ),
    uptimeSeconds: Type.Optional(Type.Number({ minimum: 0 })),
    requests: Type.Optional(Type.Record(Type.String(), Type.Number())),
    capabilities: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.String({ maxLength: 200 }),
          version: Type.String({ maxLength: 100 }),
          kind: Type.String({ maxLength: 50 }),
        }),
        { maxItems: 1000 },
      ),
    ),
    backup: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    errors: Type.Optional(
      Type.Array(Type.Object({ at: Type.String({ maxLength: 64 }), message: Type.String({ maxLength: 2000 }) }), {
        maxItems: 100,
      }),
    ),
  },
  { additionalProperties: true },
);
export type Heartbeat = Static<typeof Heartbeat>;

export const HeartbeatAnswer = Type.Object(
  { serverTime: Type.String({ format: 'date-time' }), heartbeatInterval: Type.String() },
  { additionalProperties: false },
);
export type HeartbeatAnswer = Static<typeof HeartbeatAnswer>;

export const AnalyticsRecord = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Unique per request: replays are deduplicated on it.' }),
    time: Type.String({ format: 'date-time' }),
    api: nullable(Type.String({ maxLength: 200 })),
    plan: nullable(Type.String({ maxLength: 200 })),
    application: nullable(Type.String({ maxLength: 200 })),
    subscription: nullable(Type.String({ maxLength: 200 })),
    method: Type.String({ minLength: 1, maxLength: 16 }),
    route: nullable(Type.String({ maxLength: 500 })),
    status: Type.Integer({ minimum: 100, maximum: 599 }),
    latencyMs: Type.Number({ minimum: 0 }),
    upstreamLatencyMs: nullable(Type.Number({ minimum: 0 })),
    bytesIn: nullable(Type.Integer({ minimum: 0 })),
    bytesOut: nullable(Type.Integer({ minimum: 0 })),
    clientIp: nullable(Type.String({ maxLength: 64 })),
    errorCode: nullable(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: true },
);
export type AnalyticsRecord = Static<typeof AnalyticsRecord>;

export const MAX_ANALYTICS_BATCH = 5000;
export const AnalyticsBatch = Type.Object(
  { records: Type.Array(AnalyticsRecord, { maxItems: MAX_ANALYTICS_BATCH }) },
  { additionalProperties: true },
);
