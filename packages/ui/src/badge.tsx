/** A status as a coloured badge; the colour says ok / warn / bad / info / muted. */
const TONES: Record<string, string> = {
  online: 'ok',
  active: 'ok',
  accepted: 'ok',
  published: 'ok',
  applied: 'ok',
  stale: 'warn',
  pending: 'warn',
  expiring: 'warn',
  deprecated: 'warn',
  staging: 'info',
  draft: 'info',
  'never-seen': 'muted',
  offline: 'bad',
  revoked: 'bad',
  rejected: 'bad',
  closed: 'muted',
  retired: 'muted',
  expired: 'muted',
};

export function Badge({ value, tone, label = value }: { value: string; tone?: string; label?: string }) {
  return <span className={`badge badge-${tone ?? TONES[value] ?? 'muted'}`}>{label}</span>;
}
