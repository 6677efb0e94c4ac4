/**
 * The Gatehouse config document, version 1: the central contract between the standalone YAML file,
 * the control plane's compiled output and every gateway. Every field has a type, a description and
 * (where optional) a default; docs/config-reference.md and schema/gatehouse.schema.json are generated
 * from this file.
 */

import { DURATION_PATTERN, SIZE_PATTERN } from '@gatehouse/core';
import Type, { type Static, type TSchema } from 'typebox';

/**
 * Schema keyword marking a header map (`{ name: value }`) whose values may carry credentials: the
 * control plane masks and encrypts the values of credential-like names in it. Secret fields
 * themselves are marked with the standard `writeOnly: true`.
 */
export const HEADER_MAP_KEYWORD = 'x-gatehouse-header-map';

export const SLUG_PATTERN = '^[a-z0-9](?:[a-z0-9-_.]{0,62}[a-z0-9])?$';

const slug = (description: string) => Type.String({ pattern: SLUG_PATTERN, description, minLength: 1, maxLength: 64 });
export const Duration = (description: string, defaultValue?: string) =>
  Type.String({
    pattern: DURATION_PATTERN,
    description: `${description} A duration such as \`500ms\`, \`10s\`, \`1m\`, \`1h\`, \`1d\`.`,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  });
export const ByteSize = (description: string, defaultValue?: string) =>
  Type.String({
    pattern: SIZE_PATTERN,
    description: `${description} Bytes, or a number with \`kb\`, \`mb\`, \`gb\`.`,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  });

export const PolicyRef = Type.Object(
  {
    policy: Type.String({ description: 'Name of a registered policy, e.g. `rate-limit`.', minLength: 1 }),
    id: Type.Optional(
      Type.String({
        description:
          'Stable identifier of this policy instance; keeps counters (rate limits, quotas) across config changes. Defaults to the position in its list.',
      }),
    ),
    enabled: Type.Optional(
      Type.Boolean({ description: 'Set to false to keep the policy in the file but not run it.', default: true }),
    ),
    when: Type.Optional(
      Type.String({
        description:
          'CEL condition over `request`, `context`, `attributes` and `claims`; the policy is skipped when it is false. Example: `request.method == "POST"`.',
      }),
    ),
    config: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          "The policy's configuration, validated against the policy's own schema (see the policy reference).",
        default: {},
      }),
    ),
  },
  { additionalProperties: false, description: 'A policy applied at a scope (global, API, plan or route).' },
);
export type PolicyRef = Static<typeof PolicyRef>;

const policyList = (scope: string) =>
  Type.Optional(
    Type.Array(PolicyRef, {
      description: `Policies applied to every request of this ${scope}, in order.`,
      default: [],
    }),
  );

export const Target = Type.Object(
  {
    url: Type.String({ description: 'Base URL of the target: `http(s)://host:port[/path]`.', format: 'http-url' }),
    weight: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1000,
        default: 1,
        description: 'Relative weight for `weighted` balancing; 0 takes the target out of rotation.',
      }),
    ),
  },
  { additionalProperties: false, description: 'One upstream server.' },
);

/** `GET /pets/{petId}`: a method and an OpenAPI path template, as keys of `mock.operations`. */
export const MOCK_OPERATION_PATTERN = '^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|TRACE) /\\S*$';

export const MockOperation = Type.Object(
  {
    status: Type.Optional(
      Type.Union([Type.Integer({ minimum: 100, maximum: 599 }), Type.Literal('default')], {
        description:
          'Response of the OpenAPI operation to answer with (a status it declares, or `default`); default: the lowest 2xx, else `default`, else the first.',
      }),
    ),
    contentType: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: "Media type of that response to answer with; default: the best match of the client's Accept.",
      }),
    ),
    example: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: "Name of an entry of the media type's `examples` to answer with; default: the first.",
      }),
    ),
  },
  { additionalProperties: false, description: 'What one operation answers in mock mode.' },
);

export const Mock = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'Answer from the OpenAPI document; `false` forwards to the targets again (the block may stay).',
      }),
    ),
    operations: Type.Optional(
      Type.Record(Type.String({ pattern: MOCK_OPERATION_PATTERN }), MockOperation, {
        description:
          'Per-operation choices, keyed by method and OpenAPI path template, e.g. `"GET /pets/{petId}": { status: 404 }`.',
        default: {},
        additionalProperties: false,
      }),
    ),
    preferHeader: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'Let clients pick a declared response with `Prefer: code=404` and a named example with `Prefer: example=empty` (as Prism does).',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "Mock mode: the gateway answers every request from the API's `openapi` document (its examples, or values generated from its schemas) instead of calling the targets. Policies still run. Responses carry `x-gatehouse-mock: true`.",
  },
);
export type Mock = Static<typeof Mock>;

export const Upstream = Type.Object(
  {
    targets: Type.Array(Target, { minItems: 1, description: 'Servers the API forwards to.' }),
    loadBalancing: Type.Optional(
      Type.Union([Type.Literal('round-robin'), Type.Literal('weighted'), Type.Literal('least-connections')], {
        description: 'How a target is chosen for each request.',
        default: 'round-robin',
      }),
    ),
    timeouts: Type.Optional(
      Type.Object(
        {
          connect: Type.Optional(
            Duration('Time allowed to open a connection to a target (504 after; a refused connection is 502).', '2s'),
          ),
          response: Type.Optional(Duration('Time allowed for the target to send response headers (504 after).', '30s')),
          idle: Type.Optional(Duration('Time a body may stall between chunks before the exchange is aborted.', '60s')),
        },
        { additionalProperties: false, description: 'Upstream timeouts.', default: {} },
      ),
    ),
    retries: Type.Optional(
      Type.Object(
        {
          attempts: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 10,
              default: 1,
              description:
                'Extra attempts on the next target after a connection failure or timeout, for idempotent methods only.',
            }),
          ),
          onStatus: Type.Optional(
            Type.Array(Type.Integer({ minimum: 500, maximum: 599 }), {
              description: 'Upstream statuses that are retried too (idempotent methods).',
              default: [],
            }),
          ),
        },
        {
          additionalProperties: false,
          description: 'Retries of idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE).',
          default: {},
        },
      ),
    ),
    healthCheck: Type.Optional(
      Type.Object(
        {
          passive: Type.Optional(
            Type.Object(
              {
                enabled: Type.Optional(
                  Type.Boolean({ default: true, description: 'Eject targets that fail repeatedly.' }),
                ),
                failures: Type.Optional(
                  Type.Integer({
                    minimum: 1,
                    default: 3,
                    description:
                      'Consecutive failures (connection errors, timeouts, 5xx when `onStatus`) that eject a target.',
                  }),
                ),
                cooldown: Type.Optional(Duration('How long an ejected target stays out of rotation.', '30s')),
              },
              { additionalProperties: false, description: 'Passive health: learns from live traffic.', default: {} },
            ),
          ),
          active: Type.Optional(
            Type.Object(
              {
                path: Type.String({ description: 'Path probed on each target, e.g. `/health`.' }),
                interval: Type.Optional(Duration('Time between probes.', '10s')),
                timeout: Type.Optional(Duration('Probe timeout.', '2s')),
                healthyThreshold: Type.Optional(
                  Type.Integer({
                    minimum: 1,
                    default: 2,
                    description: 'Consecutive successes that bring a target back.',
                  }),
                ),
                unhealthyThreshold: Type.Optional(
                  Type.Integer({ minimum: 1, default: 2, description: 'Consecutive failures that take a target out.' }),
                ),
                expectStatus: Type.Optional(
                  Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), {
                    description: 'Statuses that count as healthy; default any 2xx or 3xx.',
                  }),
                ),
              },
              { additionalProperties: false, description: 'Active health checks: the gateway probes every target.' },
            ),
          ),
        },
        { additionalProperties: false, description: 'Target health.', default: {} },
      ),
    ),
    circuitBreaker: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean({ default: true, description: 'Turn the breaker on.' })),
          failureThreshold: Type.Optional(
            Type.Integer({
              minimum: 1,
              default: 5,
              description: 'Consecutive failed exchanges (all targets) that open the circuit.',
            }),
          ),
          openDuration: Type.Optional(
            Duration('How long the circuit stays open (503 at once) before probing half-open.', '30s'),
          ),
          halfOpenRequests: Type.Optional(
            Type.Integer({
              minimum: 1,
              default: 1,
              description: 'Requests let through while half-open; success closes the circuit, failure reopens it.',
            }),
          ),
        },
        { additionalProperties: false, description: 'Circuit breaker over the whole upstream.' },
      ),
    ),
    pool: Type.Optional(
      Type.Object(
        {
          connections: Type.Optional(
            Type.Integer({ minimum: 1, default: 256, description: 'Maximum connections per target.' }),
          ),
          keepAliveTimeout: Type.Optional(Duration('Idle time after which a pooled connection is closed.', '30s')),
          pipelining: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 100,
              default: 1,
              description: 'HTTP/1.1 pipelining depth per connection.',
            }),
          ),
        },
        { additionalProperties: false, description: 'Connection pool per target (undici, keep-alive).', default: {} },
      ),
    ),
    tls: Type.Optional(
      Type.Object(
        {
          rejectUnauthorized: Type.Optional(
            Type.Boolean({ default: true, description: 'Verify the target certificate.' }),
          ),
          ca: Type.Optional(Type.String({ description: 'PEM file path of a CA to trust for targets.' })),
          servername: Type.Optional(Type.String({ description: 'SNI name sent to targets.' })),
        },
        { additionalProperties: false, description: 'TLS to https targets.' },
      ),
    ),
    preserveHost: Type.Optional(
      Type.Boolean({ default: false, description: 'Forward the client Host header instead of the target host.' }),
    ),
    mock: Type.Optional(Mock),
  },
  { additionalProperties: false, description: 'Where and how requests are forwarded.' },
);
export type Upstream = Static<typeof Upstream>;

export const Security = Type.Object(
  {
    type: Type.String({
      description: 'Plan security type: `api-key`, `keyless`, `jwt`, `oauth2`, `mtls` (see the policy reference).',
      minLength: 1,
    }),
    config: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          "Security settings, validated against the security type's schema (for `api-key`: `header`, `query`).",
        default: {},
      }),
    ),
  },
  { additionalProperties: false, description: 'How consumers of the plan authenticate.' },
);

export const Plan = Type.Object(
  {
    id: slug('Plan id, unique within its API.'),
    name: Type.Optional(Type.String({ description: 'Display name.' })),
    security: Security,
    policies: policyList('plan'),
    status: Type.Optional(
      Type.Union([Type.Literal('published'), Type.Literal('deprecated')], {
        description: 'Deprecated plans keep serving existing subscriptions.',
        default: 'published',
      }),
    ),
  },
  { additionalProperties: false, description: 'A plan: a security type plus policies, which subscriptions attach to.' },
);
export type Plan = Static<typeof Plan>;

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const Route = Type.Object(
  {
    id: Type.Optional(Type.String({ description: 'Route id for logs and analytics; defaults to `METHODS path`.' })),
    path: Type.String({
      pattern: '^/',
      description:
        'Path relative to the API basePath. `:name` matches one segment (available as a parameter), a trailing `*` matches the rest.',
    }),
    methods: Type.Optional(
      Type.Array(Type.Union(HTTP_METHODS.map((m) => Type.Literal(m))), {
        description: 'Allowed methods; any method when omitted. Others get 405.',
        uniqueItems: true,
      }),
    ),
    policies: policyList('route'),
  },
  {
    additionalProperties: false,
    description: 'A route inside an API. When an API lists routes, other paths answer 404.',
  },
);
export type Route = Static<typeof Route>;

export const Api = Type.Object(
  {
    id: slug('API id, unique in the document.'),
    name: Type.String({ description: 'Display name.', minLength: 1 }),
    description: Type.Optional(Type.String({ description: 'Free text.' })),
    version: Type.Optional(Type.String({ description: 'Version label of the API.' })),
    basePath: Type.String({
      pattern: '^/',
      description: 'Path prefix the API is served under; stripped before forwarding. Longest match wins.',
    }),
    stripBasePath: Type.Optional(
      Type.Boolean({ default: true, description: 'Remove the basePath before forwarding.' }),
    ),
    hosts: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Host names the API answers on (`*.example.com` allowed); any host when omitted.',
      }),
    ),
    tags: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Sharding tags: gateways serve APIs whose tags match theirs.',
        default: [],
      }),
    ),
    upstream: Upstream,
    policies: policyList('API'),
    plans: Type.Array(Plan, {
      minItems: 1,
      description: 'Plans of the API; a request is matched to one by its credentials.',
    }),
    routes: Type.Optional(
      Type.Array(Route, { description: 'Routes; when omitted every path under basePath is served.' }),
    ),
    openapi: Type.Optional(
      Type.Union([Type.String(), Type.Record(Type.String(), Type.Unknown())], {
        description:
          'OpenAPI 3.x document (a file path relative to the config file, or inline) used by `openapi-validation`.',
      }),
    ),
    revision: Type.Optional(Type.Integer({ minimum: 0, description: 'Deployed revision (set by the control plane).' })),
  },
  { additionalProperties: false, description: 'An API served by the gateway.' },
);
export type Api = Static<typeof Api>;

export const ApiKey = Type.Object(
  {
    id: Type.Optional(Type.String({ description: 'Key id (for logs and revocation); never the secret.' })),
    key: Type.Optional(
      Type.String({ minLength: 8, description: 'The key in clear text (convenient for local files).' }),
    ),
    keyHash: Type.Optional(
      Type.String({
        pattern: '^sha256:[0-9a-f]{64}$',
        description: '`sha256:<hex>` of the key, so files need not hold secrets.',
      }),
    ),
    expiresAt: Type.Optional(
      Type.String({ format: 'date-time', description: 'The key stops working at this time (ISO 8601).' }),
    ),
    revoked: Type.Optional(Type.Boolean({ default: false, description: 'A revoked key answers 401.' })),
  },
  { additionalProperties: false, description: 'An API key of a subscription: `key` or `keyHash`, one of the two.' },
);
export type ApiKey = Static<typeof ApiKey>;

export const Subscription = Type.Object(
  {
    id: Type.Optional(Type.String({ description: 'Subscription id; defaults to `<application>:<api>:<plan>`.' })),
    api: slug('Id of the subscribed API.'),
    plan: slug('Id of the plan within that API.'),
    status: Type.Optional(
      Type.Union([Type.Literal('accepted'), Type.Literal('paused'), Type.Literal('closed')], {
        description: 'Only accepted subscriptions let requests through.',
        default: 'accepted',
      }),
    ),
    apiKeys: Type.Optional(Type.Array(ApiKey, { description: 'API keys for `api-key` plans.', default: [] })),
  },
  { additionalProperties: false, description: "An application's subscription to an API plan." },
);
export type Subscription = Static<typeof Subscription>;

export const Application = Type.Object(
  {
    id: slug('Application id.'),
    name: Type.String({ description: 'Display name.', minLength: 1 }),
    clientId: Type.Optional(
      Type.String({ description: 'OAuth client id matched against the JWT/introspection client claim.' }),
    ),
    certificates: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Client certificate identities for `mtls` plans: `sha256:<fingerprint hex>` or `subject:<DN>`.',
        default: [],
      }),
    ),
    credentials: Type.Optional(
      Type.Array(
        Type.Object(
          {
            username: Type.String({ description: 'User name for `basic-auth`.' }),
            passwordHash: Type.String({ writeOnly: true, description: 'bcrypt or argon2 hash of the password.' }),
          },
          { additionalProperties: false },
        ),
        { description: 'Basic-auth credentials of the application.', default: [] },
      ),
    ),
    subscriptions: Type.Array(Subscription, { description: 'Plans this application is subscribed to.', default: [] }),
  },
  { additionalProperties: false, description: 'A consumer of APIs.' },
);
export type Application = Static<typeof Application>;

export const GatewaySettings = Type.Object(
  {
    trustProxy: Type.Optional(
      Type.Union([Type.Boolean(), Type.Array(Type.String(), { minItems: 1 })], {
        default: false,
        description:
          'Whose X-Forwarded-For/-Proto/-Host to believe. `false`: nobody, the client is the connecting peer. A list of addresses or CIDR ranges of your load balancers (e.g. `["10.0.0.0/8"]`): only peers in it, and the client is the right-most X-Forwarded-For address outside the list. `true`: any peer, the left-most address (only when nothing but a proxy can reach the gateway).',
      }),
    ),
    requestIdHeader: Type.Optional(
      Type.String({
        default: 'x-request-id',
        description: 'Header carrying the request id (propagated or generated).',
      }),
    ),
    maxHeaderSize: Type.Optional(ByteSize('Largest request header block accepted (431 beyond).', '16kb')),
    headersTimeout: Type.Optional(Duration('Time allowed to receive the request headers.', '10s')),
    requestTimeout: Type.Optional(Duration('Time allowed to receive the whole request.', '60s')),
    keepAliveTimeout: Type.Optional(Duration('Idle keep-alive time of client connections.', '5s')),
    drainTimeout: Type.Optional(
      Duration('On shutdown, how long in-flight requests may run before they are cut.', '30s'),
    ),
    maxBodyBuffer: Type.Optional(ByteSize('Largest body a policy may buffer (413 beyond).', '10mb')),
    requestBodyBuffer: Type.Optional(
      ByteSize(
        'Request bodies up to this size are read from the client before an upstream connection is taken, so slow clients hold none (nginx buffers likewise). Larger bodies stream.',
        '64kb',
      ),
    ),
    clientBodyTimeout: Type.Optional(
      Duration(
        'Longest pause between two pieces of a request body from the client (408 beyond, never counted against the upstream).',
        '10s',
      ),
    ),
    maxStreamingUploadsPerClient: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: 16,
        description:
          'Request bodies one client address may stream to upstreams at once (bodies larger than `requestBodyBuffer`); beyond, 429.',
      }),
    ),
    http2MaxConcurrentStreams: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: 100,
        description: 'Streams one HTTP/2 client connection may have open at once (advertised and enforced).',
      }),
    ),
    escapedSlashes: Type.Optional(
      Type.Union([Type.Literal('reject'), Type.Literal('keep')], {
        default: 'reject',
        description:
          'Paths containing `%2F`, `%5C` or `\\`: `reject` answers 400 (backends disagree on whether they separate segments); `keep` routes and forwards them escaped, as opaque characters.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Gateway-wide settings.' },
);

export const ConfigDocument = Type.Object(
  {
    version: Type.Literal(1, { description: 'Document format version.' }),
    gateway: Type.Optional(GatewaySettings),
    policies: policyList('gateway (global scope)'),
    apis: Type.Array(Api, { description: 'APIs served by the gateway.', default: [] }),
    applications: Type.Optional(
      Type.Array(Application, { description: 'Applications and their subscriptions.', default: [] }),
    ),
    metadata: Type.Optional(
      Type.Object(
        {
          environment: Type.Optional(Type.String({ description: 'Environment the document was compiled for.' })),
          configVersion: Type.Optional(Type.String({ description: 'Version stamp set by the control plane.' })),
          compiledAt: Type.Optional(Type.String({ description: 'When the control plane compiled it.' })),
        },
        { additionalProperties: false, description: 'Set by the control plane; informative.' },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'A Gatehouse gateway configuration document.',
    $id: 'https://gatehouse.dev/schema/config-v1.json',
    title: 'Gatehouse config document v1',
  },
);
export type ConfigDocument = Static<typeof ConfigDocument>;

export type { Static, TSchema };
