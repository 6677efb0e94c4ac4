import { isIPv4, isIPv6 } from 'node:net';

export type ClientIpAnonymization = 'none' | 'truncate';
export const CLIENT_IP_ANONYMIZATIONS: readonly ClientIpAnonymization[] = ['none', 'truncate'];

/**
 * `truncate` zeroes the last IPv4 octet or the last 80 bits of an IPv6 address (keeps the /48),
 * enough to locate a network without identifying a person.
 */
export function anonymizeIp(ip: string, mode: ClientIpAnonymization): string {
  if (mode === 'none' || ip === '') return ip;
  if (isIPv4(ip)) return ip.slice(0, ip.lastIndexOf('.')) + '.0';
  if (isIPv6(ip)) return truncateIpv6(ip);
  // Not an address (a proxy sent garbage in X-Forwarded-For): keep nothing of it.
  return '';
}

function truncateIpv6(ip: string): string {
  const withoutZone = ip.split('%')[0]!;
  const [head, tail] = withoutZone.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) lies inside the zeroed 80 bits anyway.
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array(Math.max(0, missing)).fill('0'), ...tailGroups];
  const kept = groups.slice(0, 3).map((g) => (g.includes('.') ? '0' : g.toLowerCase().replace(/^0+(?=.)/, '')));
  return `${kept.join(':')}::`;
}
