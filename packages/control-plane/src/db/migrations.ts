/**
 * Versioned migrations, applied in order at start (see migrate.ts). Never edit a released migration:
 * append a new one. Each is a list of statements because PGlite's extended protocol runs one
 * statement per query, and so does a parameterised `pg` query.
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

const ts = 'timestamptz(3)';

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    statements: [
      `CREATE TABLE organizations (
        id uuid PRIMARY KEY,
        slug text NOT NULL UNIQUE,
        name text NOT NULL,
        created_at ${ts} NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE users (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organizations(id),
        email text NOT NULL UNIQUE CHECK (email = lower(email)),
        name text NOT NULL,
        password_hash text NOT NULL,
        is_admin boolean NOT NULL DEFAULT false,
        disabled boolean NOT NULL DEFAULT false,
        row_version integer NOT NULL DEFAULT 1,
        created_at ${ts} NOT NULL DEFAULT now(),
        updated_at ${ts} NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE environments (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organizations(id),
        slug text NOT NULL,
        name text NOT NULL,
        description text,
        row_version integer NOT NULL DEFAULT 1,
        created_at ${ts} NOT NULL DEFAULT now(),
        updated_at ${ts} NOT NULL DEFAULT now(),
        UNIQUE (org_id, slug)
      )`,
      `CREATE TABLE memberships (
        env_id uuid NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('admin', 'publisher', 'viewer', 'consumer')),
        row_version integer NOT NULL DEFAULT 1,
        created_at ${ts} NOT NULL DEFAULT now(),
        updated_at ${ts} NOT NULL DEFAULT now(),
        PRIMARY KEY (env_id, user_id)
      )`,
      'CREATE INDEX memberships_user ON memberships (user_id)',
      `CREATE TABLE auth_tokens (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('session', 'pat')),
        name text,
        token_hash text NOT NULL UNIQUE,
        prefix text NOT NULL,
        expires_at ${ts} NOT NULL,
        last_used_at ${ts},
        revoked_at ${ts},
        created_at ${ts} NOT NULL DEFAULT now()
      )`,
      'CREATE INDEX auth_tokens_user ON auth_tokens (user_id, kind, created_at)',
      `CREATE TABLE apis (
        pk uuid PRIMARY KEY,
        env_id uuid NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
        slug text NOT NULL,
        name text NOT NULL,
        description text,
        version text,
        base_path text NOT NULL,
        strip_base_path boolean,
        hosts jsonb,
        upstream jsonb NOT NULL,
        policies jsonb NOT NULL DEFAULT '[]',
        routes jsonb,
        tags jsonb NOT NULL DEFAULT '[]',
        sharding_tags jsonb NOT NULL DEFAULT '[]',
        lifecycle text NOT NULL CHECK (lifecycle IN ('draft', 'published', 'deprecated', 'retired')),
        visibility text NOT NULL CHECK (visibility IN ('public', 'private')),
        openapi jsonb,
        created_by uuid,
        row_version integer NOT NULL DEFAULT 1,
        created_at ${ts} NOT NULL DEFAULT now(),
        updated_at ${ts} NOT NULL DEFAULT now(),
        UNIQUE (env_id, slug)
      )`,
      'CREATE INDEX apis_env_name ON apis (env_id, name, pk)',
      'CREATE INDEX apis_env_created ON apis (env_id, created_at, pk)',
      `CREATE TABLE plans (
        pk uuid PRIMARY KEY,
        api_pk uuid NOT NULL REFERENCES apis(pk) ON DELETE CASCADE,
        slug text NOT NULL,
        name text NOT NULL,
        description text,
        security_type text NOT NULL,
        security_config jsonb NOT NULL DEFAULT '{}',
        policies jsonb NOT NULL DEFAULT '[]',
        approval text NOT NULL CHECK (approval IN ('auto', 'manual')),
        status text NOT NULL CHECK (status IN ('staging', 'published', 'deprecated', 'closed')),
        row_version integer NOT NULL DEFAULT 1,
        created_at ${ts} NOT NULL DEFAULT now(),
        updated_at ${ts} NOT NULL DEFAULT now(),
        UNIQUE (api_pk, slug)
      )`,
      `CREATE TABLE deployments (
        id uuid PRIMARY KEY,
        api_pk uuid NOT NULL REFERENCES apis(pk) ON DELETE CASCADE,
        revision integer NOT NULL CHECK (revision > 0),
        snapshot jsonb NOT NULL,
        author_id uuid,
        author_email text,
        message text,
        rollback_of integer,
        created_at ${ts} NOT NULL DEFAULT now(),
        UNIQUE (api_pk, revision)
      )`,
      `CREATE TABLE applications (
        id uuid PRIMARY KEY,
        env_id uuid NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        owner_id uuid NOT NULL REFERENCES users(id),
        client_id text,
        row_version integer NOT NULL DEFAULT 1,
        created_at ${ts} NOT NULL DEFAULT now(),
        updated_at ${ts} NOT NULL DEFAULT now(),
        UNIQUE (env_id, client_id)
      )`,
      'CREATE INDEX applications_env_name ON applications (env_id, name, id)',
      'CREATE INDEX applications_owner ON applications (env_id, owner_id)',
      `CREATE TABLE subscriptions (
        id uuid PRIMARY KEY,
        env_id uuid NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
        application_id uuid NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        api_pk uuid NOT NULL REFERENCES apis(pk) ON DELETE CASCADE,
        plan_pk uuid NOT NULL REFERENCES plans(pk) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'closed')),
        reason text,
        requested_by uuid,
        reviewed_by uuid,
        reviewed_at ${ts},
        closed_at ${ts},
        row_version integer NOT NULL DEFAULT 1,
        created_at ${ts} NOT NULL DEFAULT now(),
        updated_at ${ts} NOT NULL DEFAULT now()
      )`,
      // One live subscription per application and API: the gateway matches a request to one plan.
      `CREATE UNIQUE INDEX subscriptions_one_open ON subscriptions (application_id, api_pk)
        WHERE status IN ('pending', 'accepted')`,
      'CREATE INDEX subscriptions_env_created ON subscriptions (env_id, created_at, id)',
      `CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        subscription_id uuid NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        key_hash text NOT NULL UNIQUE,
        prefix text NOT NULL,
        expires_at ${ts},
        revoked_at ${ts},
        replaced_by uuid,
        created_by uuid,
        created_at ${ts} NOT NULL DEFAULT now()
      )`,
      'CREATE INDEX api_keys_subscription ON api_keys (subscription_id, created_at)',
      `CREATE TABLE gateways (
        id uuid PRIMARY KEY,
        env_id uuid NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
        name text NOT NULL,
        tags jsonb NOT NULL DEFAULT '[]',
        token_hash text NOT NULL UNIQUE,
        token_prefix text NOT NULL,
        last_seen_at ${ts},
        row_version integer NOT NULL DEFAULT 1,
        created_at ${ts} NOT NULL DEFAULT now(),
        updated_at ${ts} NOT NULL DEFAULT now(),
        UNIQUE (env_id, name)
      )`,
      `CREATE TABLE audit_events (
        seq bigserial PRIMARY KEY,
        id uuid NOT NULL UNIQUE,
        env_id uuid,
        actor_id uuid,
        actor_email text,
        action text NOT NULL,
        entity_type text NOT NULL,
        entity_id text NOT NULL,
        diff jsonb NOT NULL,
        request_id text,
        created_at ${ts} NOT NULL DEFAULT now()
      )`,
      'CREATE INDEX audit_env_seq ON audit_events (env_id, seq)',
    ],
  },
  {
    version: 2,
    name: 'hybrid mode: gateway tokens, heartbeats, change log, signing keys, analytics',
    statements: [
      'ALTER TABLE gateways ADD COLUMN previous_token_hash text',
      `ALTER TABLE gateways ADD COLUMN previous_token_expires_at ${ts}`,
      `ALTER TABLE gateways ADD COLUMN revoked_at ${ts}`,
      'CREATE INDEX gateways_previous_token ON gateways (previous_token_hash) WHERE previous_token_hash IS NOT NULL',
      `CREATE TABLE gateway_heartbeats (
        gateway_id uuid PRIMARY KEY REFERENCES gateways(id) ON DELETE CASCADE,
        received_at ${ts} NOT NULL,
        instance_id text,
        version text,
        hostname text,
        config_version text,
        cursor text,
        applied jsonb NOT NULL DEFAULT '{}',
        uptime_seconds double precision,
        requests jsonb,
        capabilities jsonb,
        backup jsonb,
        errors jsonb NOT NULL DEFAULT '[]'
      )`,
      // What changed, in commit order per environment: gateways holding cursor c:<seq> get the rest
      // as a delta. No foreign key on application_id: a deleted application must still be announced.
      `CREATE TABLE config_changes (
        seq bigserial PRIMARY KEY,
        env_id uuid NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('credentials', 'definition')),
        application_id uuid,
        api_tags jsonb,
        created_at ${ts} NOT NULL DEFAULT now()
      )`,
      'CREATE INDEX config_changes_env_seq ON config_changes (env_id, seq)',
      `CREATE TABLE signing_keys (
        id text PRIMARY KEY,
        alg text NOT NULL,
        public_key_pem text NOT NULL,
        private_key_pem text NOT NULL,
        created_at ${ts} NOT NULL DEFAULT now()
      )`,
      // No foreign key to gateways: traffic history outlives a deregistered gateway.
      `CREATE TABLE analytics_requests (
        id uuid PRIMARY KEY,
        env_id uuid NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
        gateway_id uuid,
        time ${ts} NOT NULL,
        api text,
        plan text,
        application text,
        subscription text,
        method text NOT NULL,
        route text,
        status integer NOT NULL,
        latency_ms double precision NOT NULL,
        upstream_latency_ms double precision,
        bytes_in bigint,
        bytes_out bigint,
        client_ip text,
        error_code text
      )`,
      'CREATE INDEX analytics_env_time ON analytics_requests (env_id, time)',
    ],
  },
  {
    version: 3,
    name: 'analytics retention: index by time alone',
    statements: [
      // The retention job deletes by age across environments; (env_id, time) cannot serve that.
      'CREATE INDEX analytics_time ON analytics_requests (time)',
    ],
  },
  {
    version: 4,
    name: 'hybrid: signing-key rotation',
    // A rotated key keeps signing until retires_at (the overlap), then is retired; null = current.
    statements: [`ALTER TABLE signing_keys ADD COLUMN retires_at ${ts}`],
  },
  {
    version: 5,
    name: 'login throttling per (account, address), shared by replicas',
    statements: [
      // account '*' counts every account tried from one address (password spraying).
      `CREATE TABLE login_throttle (
        account text NOT NULL,
        address text NOT NULL,
        failures integer NOT NULL,
        last_failure_at ${ts} NOT NULL,
        locked_until ${ts},
        PRIMARY KEY (account, address)
      )`,
      'CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure_at)',
    ],
  },
  {
    version: 6,
    name: 'developer portal: settings per environment, API documentation pages, API categories',
    statements: [
      `ALTER TABLE apis ADD COLUMN categories jsonb NOT NULL DEFAULT '[]'::jsonb`,
      // One row per environment once an admin saves settings; no row = portal disabled.
      `CREATE TABLE portal_settings (
        env_id uuid PRIMARY KEY REFERENCES environments(id) ON DELETE CASCADE,
        enabled boolean NOT NULL DEFAULT false,
        name text,
        logo text,
        primary_color text NOT NULL,
        home_markdown text NOT NULL,
        signup text NOT NULL CHECK (signup IN ('open', 'approval', 'invitation')),
        try_it_base_url text,
        row_version integer NOT NULL DEFAULT 1,
        created_at ${ts} NOT NULL DEFAULT now(),
        updated_at ${ts} NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE api_pages (
        id uuid PRIMARY KEY,
        api_pk uuid NOT NULL REFERENCES apis(pk) ON DELETE CASCADE,
        slug text NOT NULL,
        title text NOT NULL,
        markdown text NOT NULL,
        position integer NOT NULL,
        row_version integer NOT NULL DEFAULT 1,
        created_at ${ts} NOT NULL DEFAULT now(),
        updated_at ${ts} NOT NULL DEFAULT now(),
        UNIQUE (api_pk, slug)
      )`,
      'CREATE INDEX api_pages_order ON api_pages (api_pk, position, slug)',
    ],
  },
  {
    version: 7,
    name: 'developer portal accounts: sign-ups and mailed tokens',
    statements: [
      // user_id goes null when a rejected sign-up's account is deleted; the row stays as the record.
      `CREATE TABLE portal_signups (
        id uuid PRIMARY KEY,
        env_id uuid NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
        user_id uuid REFERENCES users(id) ON DELETE SET NULL,
        email text NOT NULL,
        name text NOT NULL,
        status text NOT NULL CHECK (status IN ('unverified', 'pending', 'active', 'rejected')),
        reason text,
        reviewed_by uuid,
        reviewed_at ${ts},
        created_at ${ts} NOT NULL DEFAULT now(),
        updated_at ${ts} NOT NULL DEFAULT now()
      )`,
      'CREATE INDEX portal_signups_env_status ON portal_signups (env_id, status, created_at)',
      'CREATE INDEX portal_signups_user ON portal_signups (user_id)',
      // Only the sha256 of a mailed token is stored; used_at makes it single use.
      `CREATE TABLE portal_tokens (
        token_hash text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('verify', 'reset', 'invitation')),
        env_id uuid NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
        user_id uuid REFERENCES users(id) ON DELETE CASCADE,
        email text NOT NULL,
        expires_at ${ts} NOT NULL,
        used_at ${ts},
        created_by uuid,
        created_at ${ts} NOT NULL DEFAULT now()
      )`,
      'CREATE INDEX portal_tokens_expiry ON portal_tokens (expires_at)',
    ],
  },
  {
    version: 8,
    name: 'analytics: daily partitions of raw records; minute, hour and day rollups with latency histograms',
    statements: [
      // The existing table becomes the first partition (no copy): it covers everything up to the end of
      // today and is dropped whole by retention once all of it is past; daily partitions follow.
      'ALTER TABLE analytics_requests RENAME TO analytics_requests_legacy',
      // A partition's key must match the parent's (time, id).
      'ALTER TABLE analytics_requests_legacy DROP CONSTRAINT analytics_requests_pkey',
      'ALTER TABLE analytics_requests_legacy ADD CONSTRAINT analytics_requests_legacy_pkey PRIMARY KEY (time, id)',
      'ALTER INDEX analytics_env_time RENAME TO analytics_legacy_env_time',
      'DROP INDEX analytics_time',
      // The partition key must be part of the key; a replayed record has the same (time, id), so replays
      // still count once.
      `CREATE TABLE analytics_requests (
        id uuid NOT NULL,
        env_id uuid NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
        gateway_id uuid,
        time ${ts} NOT NULL,
        api text,
        plan text,
        application text,
        subscription text,
        method text NOT NULL,
        route text,
        status integer NOT NULL,
        latency_ms double precision NOT NULL,
        upstream_latency_ms double precision,
        bytes_in bigint,
        bytes_out bigint,
        client_ip text,
        error_code text,
        PRIMARY KEY (time, id)
      ) PARTITION BY RANGE (time)`,
      'CREATE INDEX analytics_env_time ON analytics_requests (env_id, time)',
      // '' stands for "none" in the key columns (a primary key admits no null). Counts of one
      // histogram bucket stay far below 2^31 per row (at most a day of one group).
      `CREATE TABLE analytics_rollups (
        env_id uuid NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
        grain integer NOT NULL CHECK (grain IN (60, 3600, 86400)),
        bucket ${ts} NOT NULL,
        api text NOT NULL,
        plan text NOT NULL,
        application text NOT NULL,
        status integer NOT NULL,
        count bigint NOT NULL,
        errors bigint NOT NULL,
        latency_sum double precision NOT NULL,
        latency_hist integer[] NOT NULL,
        PRIMARY KEY (env_id, grain, bucket, api, plan, application, status)
      ) WITH (fillfactor = 70)`,
      'CREATE INDEX analytics_rollups_bucket ON analytics_rollups (bucket)',
      // Rollups of the records kept so far (same buckets as services/latency-histogram.ts).
      `INSERT INTO analytics_rollups
        (env_id, grain, bucket, api, plan, application, status, count, errors, latency_sum, latency_hist)
      SELECT env_id, grain, bucket, api, plan, application, status, n, e, s,
        (SELECT array_agg(coalesce((SELECT sum(x.n) FROM unnest(idxs, ns) AS x(i, n) WHERE x.i = k), 0)::int ORDER BY k)
          FROM generate_series(0, 95) AS k)
      FROM (
        SELECT env_id, grain, bucket, api, plan, application, status,
          array_agg(idx) AS idxs, array_agg(n) AS ns, sum(n) AS n, sum(e) AS e, sum(s) AS s
        FROM (
          SELECT r.env_id, g.grain, to_timestamp(floor(extract(epoch FROM r.time) / g.grain) * g.grain) AS bucket,
            coalesce(r.api, '') AS api, coalesce(r.plan, '') AS plan, coalesce(r.application, '') AS application,
            r.status,
            CASE WHEN r.latency_ms >= 0.05 THEN least(95, 1 + floor(ln(r.latency_ms / 0.05) / ln(2) * 4)::int) ELSE 0 END AS idx,
            count(*) AS n, count(r.error_code) AS e, sum(r.latency_ms) AS s
          FROM analytics_requests_legacy r CROSS JOIN (VALUES (60), (3600), (86400)) AS g(grain)
          GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        ) per_bucket
        GROUP BY 1, 2, 3, 4, 5, 6, 7
      ) per_key`,
      `DO $$
      DECLARE latest timestamptz;
      BEGIN
        SELECT max(time) INTO latest FROM analytics_requests_legacy;
        IF latest IS NULL THEN
          DROP TABLE analytics_requests_legacy;
        ELSE
          EXECUTE format(
            'ALTER TABLE analytics_requests ATTACH PARTITION analytics_requests_legacy FOR VALUES FROM (MINVALUE) TO (%L)',
            date_trunc('day', greatest(latest, now()), 'UTC') + interval '1 day');
        END IF;
      END $$`,
    ],
  },
  {
    version: 9,
    name: 'hybrid: change-log horizon (the highest sequence number pruned, per environment)',
    statements: [
      `CREATE TABLE config_change_horizons (
        env_id uuid PRIMARY KEY REFERENCES environments(id) ON DELETE CASCADE,
        pruned_through bigint NOT NULL
      )`,
    ],
  },
  {
    version: 10,
    name: 'developer portal: invitations get an id (list and revoke them without exposing the token hash)',
    statements: [
      'ALTER TABLE portal_tokens ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid()',
      'CREATE UNIQUE INDEX portal_tokens_id ON portal_tokens (id)',
      'CREATE INDEX portal_tokens_env_kind ON portal_tokens (env_id, kind, created_at)',
    ],
  },
  {
    version: 11,
    name: 'analytics: raw records without the foreign key to environments (a check per row at ingest)',
    statements: [
      // The key was checked once per record (a trigger and a lookup: 17 % of PostgreSQL's ingest CPU,
      // decisions/0015). Records come from an authenticated gateway of the environment, environments
      // are never deleted by Gatehouse, and retention drops raw partitions whole. Partitions' copies
      // of the key go with the parent's; the rollups keep theirs (a few hundred rows a batch).
      `DO $$ DECLARE c record; BEGIN
        FOR c IN SELECT conname FROM pg_constraint
          WHERE conrelid = 'analytics_requests'::regclass AND contype = 'f' AND conparentid = 0 LOOP
          EXECUTE format('ALTER TABLE analytics_requests DROP CONSTRAINT %I', c.conname);
        END LOOP;
      END $$`,
    ],
  },
  {
    version: 12,
    name: 'hybrid: definition changes name their API and revision (definition deltas, decisions/0021)',
    statements: [
      // No foreign key: a deleted API's row stays in the log. NULL in older rows (and for changes
      // that name no API): a gateway behind such a row gets a snapshot, as before.
      'ALTER TABLE config_changes ADD COLUMN api_pk uuid',
      'ALTER TABLE config_changes ADD COLUMN api_revision integer',
    ],
  },
];
