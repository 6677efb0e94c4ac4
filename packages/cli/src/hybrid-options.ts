/** `gatehouse gateway --control-plane URL --token TOKEN ...`: flags and environment of hybrid mode. */
import { readFileSync } from 'node:fs';
import { parseDuration, parseSize } from '@gatehouse/core';
import {
  CLIENT_IP_ANONYMIZATIONS,
  type ClientIpAnonymization,
  DEFAULT_BACKUP_DIR,
  type HybridGatewayOptions,
} from '@gatehouse/gateway';

const env = process.env;

export const hybridFlags = {
  'control-plane': { type: 'string', default: env.GATEHOUSE_CONTROL_PLANE_URL },
  // Prefer GATEHOUSE_GATEWAY_TOKEN: a flag shows in the process list.
  token: { type: 'string', default: env.GATEHOUSE_GATEWAY_TOKEN },
  'control-plane-key': { type: 'string', default: env.GATEHOUSE_CP_PUBLIC_KEY_FILE },
  'heartbeat-interval': { type: 'string', default: env.GATEHOUSE_HEARTBEAT_INTERVAL ?? '60s' },
  'poll-interval': { type: 'string', default: env.GATEHOUSE_POLL_INTERVAL ?? '10s' },
  'backup-dir': { type: 'string', default: env.GATEHOUSE_BACKUP_DIR ?? DEFAULT_BACKUP_DIR },
  backup: { type: 'string', default: env.GATEHOUSE_BACKUP ?? 'on' },
  'client-ip-anonymization': { type: 'string', default: env.GATEHOUSE_CLIENT_IP_ANONYMIZATION ?? 'none' },
  'analytics-spool-size': { type: 'string', default: env.GATEHOUSE_ANALYTICS_SPOOL_SIZE ?? '50mb' },
} as const;

export const HYBRID_HELP = `  gatehouse gateway --control-plane URL --token TOKEN [--port 8080] [--admin-port 8081]
                    [--heartbeat-interval 60s] [--poll-interval 10s] [--backup-dir DIR] [--backup on|off]
                    [--client-ip-anonymization none|truncate] [--analytics-spool-size 50mb]
                    [--control-plane-key PEM-FILE]
      Runs a gateway in hybrid mode: config, credentials and analytics through the control plane
      (env: GATEHOUSE_CONTROL_PLANE_URL, GATEHOUSE_GATEWAY_TOKEN, GATEHOUSE_CP_PUBLIC_KEY (PEM) or
      GATEHOUSE_CP_PUBLIC_KEY_FILE, GATEHOUSE_HEARTBEAT_INTERVAL, GATEHOUSE_BACKUP_DIR, GATEHOUSE_BACKUP,
      GATEHOUSE_CLIENT_IP_ANONYMIZATION). Serves its encrypted last-known-good backup while the
      control plane is unreachable.
`;

type HybridValues = { [K in keyof typeof hybridFlags]?: string | undefined };

/** The hybrid part of the gateway options, or a usage problem to print. */
export function hybridOptions(
  values: HybridValues,
): { ok: true; options: HybridGatewayOptions } | { ok: false; problem: string } {
  const url = values['control-plane'];
  const token = values.token;
  if (!url || !token)
    return { ok: false, problem: '--control-plane URL and --token TOKEN (or GATEHOUSE_GATEWAY_TOKEN) go together' };
  if (!/^https?:\/\//.test(url)) return { ok: false, problem: `--control-plane must be an http(s) URL, got "${url}"` };
  const anonymization = values['client-ip-anonymization'] as ClientIpAnonymization;
  if (!CLIENT_IP_ANONYMIZATIONS.includes(anonymization))
    return { ok: false, problem: `--client-ip-anonymization must be one of ${CLIENT_IP_ANONYMIZATIONS.join(', ')}` };
  if (values.backup !== 'on' && values.backup !== 'off') return { ok: false, problem: '--backup must be on or off' };
  let publicKey = env.GATEHOUSE_CP_PUBLIC_KEY;
  try {
    if (values['control-plane-key']) publicKey = readFileSync(values['control-plane-key'], 'utf8');
    return {
      ok: true,
      options: {
        controlPlaneUrl: url,
        token,
        heartbeatIntervalMs: parseDuration(values['heartbeat-interval'] ?? '60s'),
        pollIntervalMs: parseDuration(values['poll-interval'] ?? '10s'),
        backupDir: values['backup-dir'] ?? DEFAULT_BACKUP_DIR,
        backup: values.backup === 'on',
        clientIpAnonymization: anonymization,
        analyticsSpoolMaxBytes: parseSize(values['analytics-spool-size'] ?? '50mb'),
        ...(publicKey ? { controlPlanePublicKey: publicKey } : {}),
      },
    };
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
}
