/**
 * Address lists compiled once into node's BlockList (which masks ranges into numeric form). IPv4
 * clients that reach a dual-stack listener show up as `::ffff:a.b.c.d`; both entries and client
 * addresses are normalized to plain IPv4 so one list covers both forms.
 */
import { BlockList, isIP, isIPv4 } from 'node:net';

export interface AddressMatcher {
  readonly size: number;
  matches(address: string): boolean;
}

/** The 8 16-bit groups of a valid IPv6 address (handles `::` and a trailing dotted quad). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    // Drop the quad, and the colon before it unless that colon belongs to `::`.
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  const zeros = halves.length === 2 ? 8 - left.length - right.length - tail.length : 0;
  const groups = [...left, ...Array<number>(Math.max(0, zeros)).fill(0), ...right, ...tail];
  return groups.length === 8 ? groups : undefined;
}

/** `::ffff:1.2.3.4` (or its hex form) -> `1.2.3.4`; anything else unchanged (zone ids dropped). */
export function normalizeAddress(address: string): string {
  const plain = address.split('%')[0]!.toLowerCase();
  if (isIPv4(plain) || isIP(plain) !== 6 || !plain.includes('ffff')) return plain;
  const groups = ipv6Groups(plain);
  if (groups?.length !== 8 || groups.slice(0, 5).some((g) => g !== 0) || groups[5] !== 0xffff) return plain;
  return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
}

export function compileAddresses(entries: readonly string[], field: string): AddressMatcher {
  const list = new BlockList();
  for (const raw of entries) {
    const [addressPart, prefixPart, extra] = raw.trim().split('/');
    const family = isIP(addressPart!.split('%')[0]!);
    if (family === 0 || extra !== undefined) throw new Error(`${field}: "${raw}" is not an IP address or CIDR range`);
    let address = normalizeAddress(addressPart!);
    let prefix = prefixPart === undefined ? undefined : Number(prefixPart);
    const maxPrefix = family === 4 ? 32 : 128;
    if (prefix !== undefined && (!/^\d+$/.test(prefixPart!) || prefix > maxPrefix)) {
      throw new Error(`${field}: "${raw}" has an invalid prefix length (0-${maxPrefix})`);
    }
    // An IPv4-mapped IPv6 range becomes the IPv4 range it covers.
    if (family === 6 && isIPv4(address)) {
      if (prefix !== undefined && prefix < 96) {
        throw new Error(`${field}: "${raw}": IPv4-mapped ranges need a prefix of at least 96`);
      }
      prefix = prefix === undefined ? undefined : prefix - 96;
    } else if (family === 6) {
      address = addressPart!.split('%')[0]!;
    }
    const type = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return {
    size: entries.length,
    matches(clientIp) {
      const address = normalizeAddress(clientIp);
      const family = isIP(address);
      if (family === 0) return false;
      return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
