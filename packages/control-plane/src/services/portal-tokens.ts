/**
 * One-time tokens the portal mails: e-mail verification, password reset, invitation. Random (32
 * bytes), stored as sha256 only, bound to one environment and kind, expiring, and consumed by a
 * conditional UPDATE so two concurrent uses cannot both succeed.
 */
import { and, eq, gt, isNull, lt, or } from 'drizzle-orm';
import { hashToken, issueSecret } from '../auth/secrets.js';
import type { Database } from '../db/connect.js';
import { portalTokens } from '../db/schema.js';

export type TokenKind = 'verify' | 'reset' | 'invitation';

export const TOKEN_TTL_MS: Record<TokenKind, number> = {
  verify: 48 * 3_600_000,
  reset: 30 * 60_000,
  invitation: 7 * 86_400_000,
};

export type TokenRow = typeof portalTokens.$inferSelect;

export async function issueToken(
  db: Database,
  input: { kind: TokenKind; envId: string; email: string; userId?: string | null; createdBy?: string | null },
): Promise<{ token: string; expiresAt: Date }> {
  const secret = issueSecret('mail');
  const expiresAt = new Date(Date.now() + TOKEN_TTL_MS[input.kind]);
  await db.insert(portalTokens).values({
    tokenHash: secret.hash,
    kind: input.kind,
    envId: input.envId,
    userId: input.userId ?? null,
    email: input.email,
    expiresAt,
    createdBy: input.createdBy ?? null,
  });
  // Now and then, forget dead tokens so the table stays the size of the live ones.
  if (Math.random() < 0.01) await pruneTokens(db);
  return { token: secret.secret, expiresAt };
}

function usable(kind: TokenKind, envId: string, token: string) {
  return and(
    eq(portalTokens.tokenHash, hashToken(token)),
    eq(portalTokens.kind, kind),
    eq(portalTokens.envId, envId),
    isNull(portalTokens.usedAt),
    gt(portalTokens.expiresAt, new Date()),
  );
}

/** The token's row while it is still usable, without using it. */
export async function peekToken(db: Database, kind: TokenKind, envId: string, token: string) {
  const [row] = await db
    .select()
    .from(portalTokens)
    .where(usable(kind, envId, token))
    .limit(1);
  return row;
}

/** Uses the token: its row, or undefined when it is unknown, used, expired, or of another kind/environment. */
export async function consumeToken(db: Database, kind: TokenKind, envId: string, token: string) {
  const [row] = await db
    .update(portalTokens)
    .set({ usedAt: new Date() })
    .where(usable(kind, envId, token))
    .returning();
  return row;
}

/** Ends every open token of a kind for a user (a new reset link makes older ones useless). */
export async function revokeTokens(db: Database, kind: TokenKind, userId: string): Promise<void> {
  await db
    .update(portalTokens)
    .set({ usedAt: new Date() })
    .where(and(eq(portalTokens.kind, kind), eq(portalTokens.userId, userId), isNull(portalTokens.usedAt)));
}

/** Forgets tokens expired or used more than a day ago. */
export async function pruneTokens(db: Database): Promise<void> {
  const dayAgo = new Date(Date.now() - 86_400_000);
  await db.delete(portalTokens).where(or(lt(portalTokens.expiresAt, dayAgo), lt(portalTokens.usedAt, dayAgo)));
}
