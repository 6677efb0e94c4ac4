/**
 * First start: organization `default`, environment `default`, and a platform admin. Idempotent:
 * later starts find them and change nothing (the admin password is never reset from the env).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from './db/connect.js';
import { organizations, users } from './db/schema.js';
import { createEnvironment } from './services/environments.js';
import { createUser } from './services/users.js';

export const DEFAULT_ADMIN_EMAIL = 'admin@gatehouse.local';

export interface BootstrapResult {
  orgId: string;
  /** Set only when this start created the admin with a generated password. */
  generatedPassword?: string;
  adminEmail?: string;
}

export async function bootstrap(
  db: Database,
  options: { adminEmail?: string | undefined; adminPassword?: string | undefined },
): Promise<BootstrapResult> {
  const findOrg = async () =>
    (await db.select().from(organizations).where(eq(organizations.slug, 'default')).limit(1))[0];
  let org = await findOrg();
  if (!org) {
    // Another replica may bootstrap at the same moment: conflicts are fine, we re-read.
    await db
      .insert(organizations)
      .values({ id: randomUUID(), slug: 'default', name: 'Default organization' })
      .onConflictDoNothing();
    org = await findOrg();
    await createEnvironment(db, org!.id, null, { id: 'default', name: 'Default' }).catch(() => undefined);
  }
  const [anyUser] = await db.select({ id: users.id }).from(users).limit(1);
  if (anyUser) return { orgId: org!.id };
  const email = (options.adminEmail ?? DEFAULT_ADMIN_EMAIL).toLowerCase();
  const generated = options.adminPassword ? undefined : randomBytes(18).toString('base64url');
  await createUser(db, org!.id, null, {
    email,
    name: 'Administrator',
    password: options.adminPassword ?? generated!,
    isAdmin: true,
  });
  return { orgId: org!.id, adminEmail: email, ...(generated ? { generatedPassword: generated } : {}) };
}
