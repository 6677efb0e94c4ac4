import { describe, expect, it } from 'vitest';
import { counterKey } from './redis-counters.js';
import { describeRedisTarget, parseRedisUrl } from './redis-url.js';

describe('parseRedisUrl', () => {
  it('leaves redis:// and rediss:// to ioredis, unchanged', () => {
    expect(parseRedisUrl('redis://:pw@10.0.0.1:6380/2')).toEqual({
      kind: 'single',
      url: 'redis://:pw@10.0.0.1:6380/2',
      tls: false,
    });
    expect(parseRedisUrl('rediss://cache.internal')).toMatchObject({ kind: 'single', tls: true });
  });

  it('reads Cluster seed nodes, credentials and TLS', () => {
    expect(parseRedisUrl('rediss+cluster://app:p%40ss@a.internal:7000,b.internal,[::1]:7002')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'a.internal', port: 7000 },
        { host: 'b.internal', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
  });

  it('reads sentinels (default port 26379), the master name, the db and the sentinels own password', () => {
    expect(parseRedisUrl('redis+sentinel://:secret@s1:26380,s2/mymaster/3?sentinelPassword=s%3Bpw')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
      ],
      name: 'mymaster',
      db: 3,
      password: 'secret',
      sentinelPassword: 's;pw',
      tls: false,
    });
    // A lone userinfo is the password, as in redis-cli and ioredis.
    expect(parseRedisUrl('redis+sentinel://secret@s1/m')).toMatchObject({ password: 'secret', db: 0 });
  });

  it.each([
    ['redis+sentinel://s1:26379', 'master name'],
    ['redis+sentinel://s1/m/x', '/master[/db]'],
    ['redis+cluster://a:7000/1', 'only database 0'],
    ['redis+cluster://', 'at least one host'],
    ['redis+cluster://a:99999', 'malformed host'],
    ['redis+cluster://:topsecret@a:7000?tls=1', 'unknown parameter'],
    ['http://:topsecret@a:7000', 'must be redis://'],
    ['redis+replica://a', 'must be redis://'],
  ])('refuses %s without quoting it', (url, reason) => {
    let message = '';
    try {
      parseRedisUrl(url);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(reason);
    expect(message).not.toContain('topsecret');
  });

  it('describes a target for logs without its passwords', () => {
    const described = [
      'redis://:topsecret@h:1',
      'redis+cluster://:topsecret@a:7000,b:7001',
      'redis+sentinel://:topsecret@s1,[::1]:26380/mymaster?sentinelPassword=topsecret',
    ].map((url) => describeRedisTarget(parseRedisUrl(url)));
    expect(described).toEqual(['h:1', 'cluster a:7000,b:7001', 'sentinel mymaster@s1:26379,[::1]:26380']);
  });
});

describe('counterKey', () => {
  it('keeps the keys of single-node users unchanged', () => {
    expect(counterKey('gatehouse:', 'rl:api:ip:1.2.3.4')).toBe('gatehouse:counter:{rl:api:ip:1.2.3.4}');
    expect(counterKey('gatehouse:', 'a{b')).toBe('gatehouse:counter:{a{b}');
    // A } further in only shortens the tag (`ip:`), the same for the window keys derived from it.
    expect(counterKey('gatehouse:', 'ip:}x')).toBe('gatehouse:counter:{ip:}x}');
  });

  it('encodes keys starting with } (an empty hash tag) so the tag covers the whole key, without collisions', () => {
    const encoded = counterKey('gatehouse:', '}x');
    expect(encoded).toBe(`gatehouse:counter:b:{${Buffer.from('}x').toString('base64url')}}`);
    // The tag is the text between the first { and the next }: the whole encoded key.
    expect(/\{([^}]*)\}/.exec(encoded)?.[1]).toBe(Buffer.from('}x').toString('base64url'));
    expect(counterKey('gatehouse:', `b:{${Buffer.from('}x').toString('base64url')}`)).not.toBe(encoded);
  });
});
