/** `gatehouse admin ...`: operator actions run against the database directly (no login needed). */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { GatewayError } from '@gatehouse/core';

export const ADMIN_HELP = `  gatehouse admin reset-password --email EMAIL [--password-stdin] [--data-dir ./.gatehouse/data]
      Sets a new password for a user (generated and printed, or read from stdin), ends the user's
      sessions and tokens, and records it in the audit trail. Uses DATABASE_URL, or the embedded
      database under --data-dir / GATEHOUSE_DATA_DIR (stop the control plane using it first).
`;

export async function runAdmin(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'reset-password') {
    process.stderr.write(`gatehouse admin: unknown action "${action ?? ''}"\n\nUsage:\n${ADMIN_HELP}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      'data-dir': { type: 'string', default: process.env.GATEHOUSE_DATA_DIR ?? './.gatehouse/data' },
    },
  });
  if (!values.email) {
    process.stderr.write(`gatehouse admin reset-password: --email is required\n\nUsage:\n${ADMIN_HELP}`);
    return 2;
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    if (!existsSync(values['data-dir'])) {
      process.stderr.write(
        `gatehouse: no embedded database under ${values['data-dir']} and DATABASE_URL is not set: nothing to reset\n`,
      );
      return 1;
    }
    const cpPort = Number(process.env.GATEHOUSE_CP_PORT ?? '8082');
    if (await portAnswers(cpPort)) {
      process.stderr.write(
        `gatehouse: a control plane answers on port ${cpPort}; stop it first (the embedded database serves one process at a time)\n`,
      );
      return 1;
    }
  }
  const password = values['password-stdin'] ? (await readStdin()).replace(/\r?\n$/, '') : generatedPassword();
  const { openDatabase, migrate, resetPassword } = await import('@gatehouse/control-plane');
  const handle = await openDatabase({ databaseUrl, dataDir: databaseUrl ? undefined : values['data-dir'] });
  try {
    await migrate(handle.db);
    const reset = await resetPassword(handle.db, values.email, password);
    process.stdout.write(
      [
        `Password reset for ${reset.email}; ${reset.revokedTokens} session(s) and token(s) ended; recorded in the audit trail.`,
        ...(values['password-stdin'] ? [] : ['New password (shown once):', '', `    ${password}`, '']),
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    if (error instanceof GatewayError) {
      process.stderr.write(`gatehouse: ${error.detail ?? error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await handle.close();
  }
}

function generatedPassword(): string {
  return randomBytes(18).toString('base64url');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
