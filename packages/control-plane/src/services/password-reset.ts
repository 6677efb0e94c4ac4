/**
 * `gatehouse admin reset-password`: the way back in when an admin password is lost. Runs against
 * the database directly (no login possible), sets the new password, ends every session and token of
 * the account (as a password change through the API does) and records it in the audit trail.
 */
import { GatewayError } from '@gatehouse/core';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/passwords.js';
import type { Database } from '../db/connect.js';
import { authTokens, users } from '../db/schema.js';
import { recordAudit } from './audit.js';
import { inTransaction } from './tx.js';

export interface PasswordReset {
  userId: string;
  email: string;
  /** Sessions and tokens ended. */
  revokedTokens: number;
}

export async function resetPassword(db: Database, email: string, password: string): Promise<PasswordReset> {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH)
    throw new GatewayError('validation_failed', {
      detail: `the password must have ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
    });
  const passwordHash = await hashPassword(password);
  return inTransaction(db, async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.email, email.toLowerCase())).limit(1);
    if (!user) throw new GatewayError('not_found', { detail: `no user with e-mail ${email}` });
    await tx
      .update(users)
      .set({ passwordHash, rowVersion: sql`${users.rowVersion} + 1`, updatedAt: new Date() })
      .where(eq(users.id, user.id));
    const revoked = await tx
      .update(authTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(authTokens.userId, user.id), isNull(authTokens.revokedAt)))
      .returning({ id: authTokens.id });
    await recordAudit(tx, null, {
      envId: null,
      action: 'user.password_reset',
      entityType: 'user',
      entityId: user.id,
      before: { password: 'set', activeTokens: revoked.length },
      after: { password: 'reset from the command line', activeTokens: 0 },
    });
    return { userId: user.id, email: user.email, revokedTokens: revoked.length };
  });
}
