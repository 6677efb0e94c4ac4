/** Database-free units: throttle backoff, audit redaction, cursors, OpenAPI import, migrations list. */
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THROTTLE, lockDuration } from './auth/throttle.js';
import { MIGRATIONS } from './db/migrations.js';
import { users } from './db/schema.js';
import { loggableError } from './http/hardening.js';
import { keyset } from './http/pagination.js';
import { diffOf, REDACTED } from './services/audit.js';
import { apiFromOpenApi, slugify } from './services/openapi-import.js';

describe('login throttle backoff', () => {
  const options = { ...DEFAULT_THROTTLE, baseLockMs: 1000, maxLockMs: 8000 };
  it('is free up to the allowance, then doubles up to the cap', () => {
    expect([3, 4, 5, 6, 7, 8, 9, 40].map((n) => lockDuration(options, n, 5))).toEqual([
      0, 0, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
  });
});

describe('audit diff', () => {
  it('records changed fields only and redacts secrets', () => {
    const diff = diffOf(
      { name: 'a', password: 'p1', nested: { token: 't' }, same: 1 },
      { name: 'b', password: 'p2', nested: { token: 'u' }, same: 1 },
    );
    expect(diff.name).toEqual({ from: 'a', to: 'b' });
    expect(diff.same).toBeUndefined();
    expect(JSON.stringify(diff)).not.toMatch(/p1|p2|"t"|"u"/);
    expect(JSON.stringify(diffOf({}, { keyHash: 'sha256:x' }))).toContain(REDACTED);
  });
});

describe('keyset pagination', () => {
  it('refuses a cursor of another sort order and garbage', () => {
    const cols = {
      email: { column: users.email, kind: 'text' as const },
      createdAt: { column: users.createdAt, kind: 'date' as const },
    };
    const first = keyset({ limit: 1 }, cols, users.id, 'email');
    const page = first.page(
      [
        { email: 'a', id: '1' },
        { email: 'b', id: '2' },
      ],
      (r) => r.email,
      (r) => r.id,
    );
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).toBeTruthy();
    expect(() => keyset({ cursor: page.nextCursor!, sort: 'createdAt' }, cols, users.id, 'email')).toThrow(
      /another sort/,
    );
    expect(() => keyset({ cursor: 'zzz' }, cols, users.id, 'email')).toThrow(/not a valid cursor/);
  });
});

describe('OpenAPI import', () => {
  it('reads Swagger 2 host/basePath and paths', () => {
    const api = apiFromOpenApi(
      {
        swagger: '2.0',
        info: { title: 'Legacy Billing!', version: '1' },
        host: 'billing.internal:8443',
        basePath: '/v1',
        schemes: ['https'],
        paths: { '/invoices/{id}': { get: {}, parameters: [] } },
      },
      {},
    );
    expect(api).toMatchObject({
      id: 'legacy-billing',
      upstream: { targets: [{ url: 'https://billing.internal:8443/v1' }] },
      routes: [{ path: '/invoices/:id', methods: ['GET'] }],
    });
  });
  it('needs an upstream when the document has no absolute server', () => {
    expect(() =>
      apiFromOpenApi(
        { openapi: '3.1.0', info: { title: 'x' }, servers: [{ url: '/v1' }], paths: { '/a': { get: {} } } },
        {},
      ),
    ).toThrow();
  });
  it('slugifies titles', () => {
    expect(slugify('  Hello, World API ')).toBe('hello-world-api');
  });
});

describe('migrations', () => {
  it('are numbered 1..n without gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });
});

describe('error logging', () => {
  it('never keeps a failed query its parameters', () => {
    const driver = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    const error = new DrizzleQueryError(
      'select * from users where email = $1 and x = $2',
      ['a@b.c', 'hunter2-pw'],
      driver,
    );
    const logged = JSON.stringify(loggableError(error));
    expect(logged).not.toContain('hunter2-pw');
    expect(logged).not.toContain('a@b.c');
    expect(logged).toContain('22021');
    expect(logged).toContain('select * from users');
  });
});
