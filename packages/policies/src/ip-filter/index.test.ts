import { GatewayError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { createAtPath, validatePolicyConfig } from '../sdk/define.js';
import { createTestContext } from '../testing/context.js';
import { testPolicyEnv } from '../testing/index.js';
import { ipFilterPolicy } from './index.js';
import { compileAddresses, normalizeAddress } from './ranges.js';

function policy(rawConfig: unknown) {
  return createAtPath('config', () =>
    ipFilterPolicy.create(validatePolicyConfig(ipFilterPolicy, rawConfig, 'config'), testPolicyEnv()),
  );
}

async function verdict(rawConfig: unknown, clientIp: string): Promise<'pass' | number> {
  try {
    await policy(rawConfig).preSecurity?.(createTestContext({ clientIp }));
    return 'pass';
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'ip_forbidden') return error.status;
    throw error;
  }
}

describe('ip-filter', () => {
  const config = { allow: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'], deny: ['10.6.6.0/24', '2001:db8:bad::/48'] };

  it('admits listed IPv4 and IPv6 clients and refuses others with 403', async () => {
    expect(await verdict(config, '10.1.2.3')).toBe('pass');
    expect(await verdict(config, '192.0.2.7')).toBe('pass');
    expect(await verdict(config, '2001:db8:1::5')).toBe('pass');
    expect(await verdict(config, '192.0.2.8')).toBe(403);
    expect(await verdict(config, '11.0.0.1')).toBe(403);
    expect(await verdict(config, '2001:db9::1')).toBe(403);
  });

  it('lets deny win over allow', async () => {
    expect(await verdict(config, '10.6.6.1')).toBe(403);
    expect(await verdict(config, '2001:db8:bad::1')).toBe(403);
  });

  it('matches IPv4-mapped IPv6 clients against IPv4 entries, and mapped entries against IPv4 clients', async () => {
    expect(await verdict(config, '::ffff:10.1.2.3')).toBe('pass');
    expect(await verdict(config, '::ffff:10.6.6.9')).toBe(403);
    expect(await verdict(config, '::FFFF:a01:203')).toBe('pass');
    expect(await verdict({ deny: ['::ffff:203.0.113.0/120'] }, '203.0.113.9')).toBe(403);
    expect(await verdict({ deny: ['::ffff:203.0.113.0/120'] }, '203.0.114.9')).toBe('pass');
  });

  it('with only a deny list, admits everyone else; an unparseable client address fails an allow list', async () => {
    expect(await verdict({ deny: ['198.51.100.0/24'] }, '203.0.113.1')).toBe('pass');
    expect(await verdict({ deny: ['198.51.100.0/24'] }, '198.51.100.200')).toBe(403);
    expect(await verdict({ allow: ['10.0.0.0/8'] }, 'unknown')).toBe(403);
  });

  it('rejects malformed entries at load', () => {
    expect(() => policy({ allow: ['10.0.0.300'] })).toThrow(/allow\[0\]: "10.0.0.300" is not an IP address/);
    expect(() => policy({ deny: ['10.0.0.0/33'] })).toThrow(/prefix length/);
    expect(() => policy({ deny: ['2001:db8::/129'] })).toThrow(/prefix length/);
    expect(() => policy({ deny: ['10.0.0.0/8/8'] })).toThrow(/not an IP address/);
    expect(() => policy({ deny: ['::ffff:10.0.0.0/64'] })).toThrow(/at least 96/);
  });
});

describe('address normalization', () => {
  it('unwraps IPv4-mapped IPv6 in dotted and hex forms, and leaves other addresses alone', () => {
    expect(normalizeAddress('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeAddress('0:0:0:0:0:ffff:102:304')).toBe('1.2.3.4');
    expect(normalizeAddress('::1')).toBe('::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeAddress('2001:db8::ffff:1:2')).toBe('2001:db8::ffff:1:2');
  });

  it('masks host bits of a CIDR entry', () => {
    expect(compileAddresses(['10.1.2.3/8'], 'allow').matches('10.200.0.1')).toBe(true);
  });
});
