/**
 * Which environments have a portal, and their sign-up mode. The portal settings (enabled, signup)
 * belong to portal-api's settings table; accounts read them only through `PortalSettingsReader`,
 * so pointing this at that table is a one-function change.
 */
import { GatewayError } from '@gatehouse/core';
import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { environments } from '../db/schema.js';

export const SIGNUP_MODES = ['open', 'approval', 'invitation'] as const;
export type SignupMode = (typeof SIGNUP_MODES)[number];

export interface PortalSettings {
  enabled: boolean;
  signup: SignupMode;
}

export type PortalSettingsReader = (db: Database, envId: string) => Promise<PortalSettings>;

/**
 * Until the portal settings table is merged: every environment's portal takes sign-ups that an
 * administrator approves (the safest of the three modes).
 */
export const defaultPortalSettings: PortalSettingsReader = async () => ({ enabled: true, signup: 'approval' });

export interface PortalEnv {
  id: string;
  slug: string;
  name: string;
  signup: SignupMode;
}

/** The environment behind /portal/:env; 404 when it does not exist or its portal is off (same answer). */
export async function findPortal(
  db: Database,
  orgId: string,
  slug: string,
  read: PortalSettingsReader,
): Promise<PortalEnv> {
  const [env] = await db
    .select({ id: environments.id, slug: environments.slug, name: environments.name })
    .from(environments)
    .where(and(eq(environments.orgId, orgId), eq(environments.slug, slug)))
    .limit(1);
  const settings = env ? await read(db, env.id) : undefined;
  if (!env || !settings?.enabled) throw new GatewayError('not_found', { detail: 'No such portal.' });
  return { ...env, signup: settings.signup };
}
