/**
 * REDIS_URL names one Redis, a Redis Cluster or a Sentinel-managed master. WHATWG URL cannot hold a
 * comma-separated host list, so the multi-host forms are parsed here (the forms Lettuce, redis-py and
 * Kong users know):
 *
 *   redis://[[user]:password@]host[:6379][/db]                      one Redis (ioredis parses it)
 *   redis+cluster://[[user]:password@]host:port[,host:port...]      Cluster seed nodes
 *   redis+sentinel://[[user]:password@]host:port[,host:port...]/master[/db][?sentinelPassword=...]
 *
 * `rediss` in place of `redis` turns TLS on (for Sentinel: to the sentinels and the master). The
 * user and password are the data nodes'; sentinels take `sentinelUsername`/`sentinelPassword`.
 * Errors never quote the URL: it may hold a password.
 */

export interface HostPort {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
  tls: boolean;
}

export type RedisTarget =
  | { kind: 'single'; url: string; tls: boolean }
  | ({ kind: 'cluster'; nodes: HostPort[] } & Credentials)
  | ({
      kind: 'sentinel';
      sentinels: HostPort[];
      /** The master group name the sentinels monitor. */
      name: string;
      db: number;
      sentinelUsername?: string;
      sentinelPassword?: string;
    } & Credentials);

const FORM = /^(rediss?)(?:\+(cluster|sentinel))?:\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/;

export function parseRedisUrl(url: string): RedisTarget {
  const match = FORM.exec(url.trim());
  if (!match) {
    throw new Error(
      'REDIS_URL must be redis://, rediss://, redis+cluster://host:port,... or redis+sentinel://host:port,.../master',
    );
  }
  const [, scheme = 'redis', topology, userinfo, hostList = '', path = '', query = ''] = match;
  const tls = scheme === 'rediss';
  if (!topology) return { kind: 'single', url: url.trim(), tls };
  const credentials = { tls, ...parseUserinfo(userinfo) };
  const params = new URLSearchParams(query);
  const hosts = parseHosts(hostList, topology === 'sentinel' ? 26379 : 6379, topology);
  const segments = path.split('/').filter((segment) => segment !== '');
  if (topology === 'cluster') {
    if (segments.length > 0) throw new Error('redis+cluster:// takes no path: a Cluster has only database 0');
    rejectUnknown(params, []);
    return { kind: 'cluster', nodes: hosts, ...credentials };
  }
  const [name, db = '0', ...rest] = segments.map(decodeURIComponent);
  if (!name)
    throw new Error('redis+sentinel:// needs the master name as its path: redis+sentinel://host:26379/mymaster');
  if (rest.length > 0 || !/^\d{1,2}$/.test(db)) throw new Error('redis+sentinel:// path is /master[/db]');
  rejectUnknown(params, ['sentinelUsername', 'sentinelPassword']);
  const sentinelUsername = params.get('sentinelUsername') ?? undefined;
  const sentinelPassword = params.get('sentinelPassword') ?? undefined;
  return {
    kind: 'sentinel',
    sentinels: hosts,
    name,
    db: Number(db),
    ...credentials,
    ...(sentinelUsername ? { sentinelUsername } : {}),
    ...(sentinelPassword ? { sentinelPassword } : {}),
  };
}

/** Where the target is, for logs: never the password. */
export function describeRedisTarget(target: RedisTarget): string {
  const list = (hosts: HostPort[]) => hosts.map(({ host, port }) => `${bracket(host)}:${port}`).join(',');
  switch (target.kind) {
    case 'cluster':
      return `cluster ${list(target.nodes)}`;
    case 'sentinel':
      return `sentinel ${target.name}@${list(target.sentinels)}`;
    default:
      try {
        const parsed = new URL(target.url);
        return `${parsed.hostname}:${parsed.port || '6379'}`;
      } catch {
        return 'redis';
      }
  }
}

function parseUserinfo(userinfo: string | undefined): { username?: string; password?: string } {
  if (!userinfo) return {};
  const colon = userinfo.indexOf(':');
  const username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? '' : decodeURIComponent(userinfo.slice(colon + 1));
  // `redis://secret@host` is the password in redis-cli and ioredis alike: keep that reading.
  if (colon < 0) return username ? { password: username } : {};
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

function parseHosts(list: string, defaultPort: number, topology: string): HostPort[] {
  const hosts = list
    .split(',')
    .filter((item) => item !== '')
    .map((item) => {
      const found = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(item);
      const port = Number(found?.[2] ?? defaultPort);
      if (!found?.[1] || port < 1 || port > 65535) throw new Error(`redis+${topology}:// has a malformed host:port`);
      return { host: found[1].replace(/^\[|\]$/g, ''), port };
    });
  if (hosts.length === 0) throw new Error(`redis+${topology}:// needs at least one host:port`);
  return hosts;
}

function rejectUnknown(params: URLSearchParams, known: string[]): void {
  for (const name of params.keys()) {
    if (!known.includes(name)) throw new Error(`REDIS_URL has an unknown parameter "${name}"`);
  }
}

const bracket = (host: string) => (host.includes(':') ? `[${host}]` : host);
