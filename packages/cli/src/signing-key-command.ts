/**
 * `gatehouse signing-key list|rotate`: the control plane's message-signing keys, through the
 * management API (a platform administrator's token), so every replica sees the same rotation.
 */
import { parseArgs } from 'node:util';

export const SIGNING_KEY_HELP = `  gatehouse signing-key list|rotate [--overlap 24h] [--url http://127.0.0.1:8082] [--token TOKEN]
      Lists the hybrid-mode signing keys, or rotates: the new key signs at once, the previous one
      also signs until the overlap ends (gateways follow without restart), then retires.
      Token from --token or GATEHOUSE_TOKEN (a platform administrator's session or access token).
`;

interface KeyView {
  keyId: string;
  status: string;
  createdAt: string;
  retiresAt: string | null;
}

export async function runSigningKey(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      overlap: { type: 'string', default: '24h' },
      url: { type: 'string', default: process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8082' },
      token: { type: 'string', default: process.env.GATEHOUSE_TOKEN },
    },
  });
  const [action] = positionals;
  if ((action !== 'list' && action !== 'rotate') || positionals.length !== 1) {
    process.stderr.write(`usage:\n${SIGNING_KEY_HELP}`);
    return 2;
  }
  if (!values.token) {
    process.stderr.write('gatehouse signing-key: a token is required (--token or GATEHOUSE_TOKEN)\n');
    return 2;
  }
  const base = String(values.url).replace(/\/+$/, '');
  const url = action === 'rotate' ? `${base}/api/v1/signing-keys/rotate` : `${base}/api/v1/signing-keys`;
  const response = await fetch(url, {
    method: action === 'rotate' ? 'POST' : 'GET',
    headers: {
      authorization: `Bearer ${values.token}`,
      ...(action === 'rotate' ? { 'content-type': 'application/json' } : {}),
    },
    ...(action === 'rotate' ? { body: JSON.stringify({ overlap: values.overlap }) } : {}),
  }).catch((error: Error & { cause?: { code?: string } }) => {
    process.stderr.write(
      `gatehouse signing-key ${action}: cannot reach ${base} (${error.cause?.code ?? error.message})\n`,
    );
    return undefined;
  });
  if (!response) return 1;
  const body = (await response.json().catch(() => ({}))) as { items?: KeyView[]; detail?: string; title?: string };
  if (!response.ok) {
    process.stderr.write(
      `gatehouse signing-key ${action}: HTTP ${response.status} ${body.detail ?? body.title ?? ''}\n`,
    );
    return 1;
  }
  for (const key of body.items ?? []) {
    const until = key.retiresAt ? `  ${key.status === 'retired' ? 'retired' : 'retires'} ${key.retiresAt}` : '';
    process.stdout.write(`${key.keyId}  ${key.status.padEnd(8)}  created ${key.createdAt}${until}\n`);
  }
  return 0;
}
