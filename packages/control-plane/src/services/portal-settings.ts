/**
 * Developer portal settings, one row per environment (no row: the portal is off). Everything an
 * admin sends is checked here, because the portal shows it to anonymous visitors: the logo must be
 * a real raster image in a data: URL (SVG can carry script), the colour a plain hex value, and the
 * try-it base URL a plain http(s) URL (never javascript:, data: or credentials).
 */
import { GatewayError } from '@gatehouse/core';
import { eq } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import type { Database } from '../db/connect.js';
import { portalSettings } from '../db/schema.js';
import type { IfMatch } from '../http/etag.js';
import { iso } from '../http/schemas.js';
import { invalid } from '../http/validation.js';
import { recordAudit } from './audit.js';
import { inTransaction } from './tx.js';

export type PortalSettingsRow = typeof portalSettings.$inferSelect;
export const SIGNUP_MODES = ['open', 'approval', 'invitation'] as const;
export type SignupMode = (typeof SIGNUP_MODES)[number];

export const MAX_LOGO_BYTES = 256 * 1024;
/** Base64 of MAX_LOGO_BYTES plus the longest `data:image/...;base64,` prefix: the schema's bound. */
export const MAX_LOGO_CHARS = Math.ceil(MAX_LOGO_BYTES / 3) * 4 + 32;
export const MAX_HOME_MARKDOWN = 100_000;
export const COLOR_PATTERN = '^#[0-9a-fA-F]{6}$';

export interface PortalSettingsInput {
  enabled?: boolean | undefined;
  name?: string | null | undefined;
  logo?: string | null | undefined;
  primaryColor?: string | undefined;
  homeMarkdown?: string | undefined;
  signup?: SignupMode | undefined;
  tryItBaseUrl?: string | null | undefined;
}

export const DEFAULT_SETTINGS = {
  enabled: false,
  name: null,
  logo: null,
  primaryColor: '#1f6feb',
  homeMarkdown: '',
  signup: 'approval' as SignupMode,
  tryItBaseUrl: null,
};

// Magic numbers: the declared type must be what the bytes are (no HTML or SVG under an image label).
const SIGNATURES: Record<string, (b: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => /^GIF8[79]a$/.test(b.subarray(0, 6).toString('latin1')),
  'image/webp': (b) =>
    b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
};
const DATA_URL = /^data:(image\/[a-z+.-]+);base64,([A-Za-z0-9+/]*={0,2})$/;

/** A `data:image/<png|jpeg|gif|webp>;base64,...` URL of at most 256 KB whose bytes are that image type. */
export function checkLogo(logo: string): void {
  const match = DATA_URL.exec(logo);
  if (!match) throw invalid('body.logo', 'must be a data:image/<png|jpeg|gif|webp>;base64,... URL');
  const type = match[1]!;
  const signature = SIGNATURES[type];
  if (!signature)
    throw invalid('body.logo', `type ${type} is not allowed (png, jpeg, gif or webp; SVG can carry script)`);
  const bytes = Buffer.from(match[2]!, 'base64');
  if (bytes.length > MAX_LOGO_BYTES) throw invalid('body.logo', `is ${bytes.length} bytes; at most ${MAX_LOGO_BYTES}`);
  if (!signature(bytes)) throw invalid('body.logo', `is not a ${type} image`);
}

/** An absolute http(s) URL without credentials, query or fragment; returned without a trailing slash. */
export function normalizeTryItBaseUrl(value: string): string {
  // The URL parser would percent-encode these; refuse them instead, so what an admin sees is what is used.
  if (/[\s"'<>\\`]/.test(value)) throw invalid('body.tryItBaseUrl', 'must not contain spaces, quotes or brackets');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('body.tryItBaseUrl', 'is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid('body.tryItBaseUrl', 'must be an http or https URL');
  if (url.username || url.password) throw invalid('body.tryItBaseUrl', 'must not carry credentials');
  if (url.search || url.hash || value.includes('?') || value.includes('#'))
    throw invalid('body.tryItBaseUrl', 'must not have a query or fragment');
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function checkedColumns(input: PortalSettingsInput) {
  if (input.logo) checkLogo(input.logo);
  const tryItBaseUrl = input.tryItBaseUrl ? normalizeTryItBaseUrl(input.tryItBaseUrl) : null;
  return {
    enabled: input.enabled ?? DEFAULT_SETTINGS.enabled,
    name: input.name?.trim() ? input.name.trim() : null,
    logo: input.logo || null,
    primaryColor: (input.primaryColor ?? DEFAULT_SETTINGS.primaryColor).toLowerCase(),
    homeMarkdown: input.homeMarkdown ?? DEFAULT_SETTINGS.homeMarkdown,
    signup: input.signup ?? DEFAULT_SETTINGS.signup,
    tryItBaseUrl,
  };
}

/** The admin view: what is stored (name null = the environment's name). */
export function portalSettingsView(row: PortalSettingsRow | undefined) {
  return {
    ...DEFAULT_SETTINGS,
    ...(row
      ? {
          enabled: row.enabled,
          name: row.name,
          logo: row.logo,
          primaryColor: row.primaryColor,
          homeMarkdown: row.homeMarkdown,
          signup: row.signup,
          tryItBaseUrl: row.tryItBaseUrl,
        }
      : {}),
    updatedAt: iso(row?.updatedAt),
  };
}

/** The audit trail keeps the logo's size, not the image. */
function auditView(row: PortalSettingsRow | undefined) {
  const view = portalSettingsView(row);
  return { ...view, logo: view.logo ? `<${view.logo.length} characters>` : null };
}

export async function getPortalSettingsRow(db: Database, envId: string): Promise<PortalSettingsRow | undefined> {
  const [row] = await db.select().from(portalSettings).where(eq(portalSettings.envId, envId)).limit(1);
  return row;
}

/** PUT semantics: omitted fields take their defaults. */
export async function putPortalSettings(
  scope: EnvScope,
  ifMatch: IfMatch,
  input: PortalSettingsInput,
): Promise<PortalSettingsRow> {
  const columns = checkedColumns(input);
  return inTransaction(scope.db, async (tx) => {
    const current = await getPortalSettingsRow(tx, scope.env.id);
    ifMatch(scope.env.id, current?.rowVersion ?? 0);
    let row: PortalSettingsRow | undefined;
    if (current) {
      [row] = await tx
        .update(portalSettings)
        .set({ ...columns, rowVersion: current.rowVersion + 1, updatedAt: new Date() })
        .where(eq(portalSettings.envId, scope.env.id))
        .returning();
    } else {
      [row] = await tx
        .insert(portalSettings)
        .values({ envId: scope.env.id, ...columns })
        .onConflictDoNothing()
        .returning();
    }
    if (!row)
      throw new GatewayError('precondition_failed', { detail: 'Settings changed meanwhile; fetch them again.' });
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'portal.update',
      entityType: 'portal',
      entityId: scope.env.slug,
      before: current ? auditView(current) : null,
      after: auditView(row),
    });
    return row;
  });
}
