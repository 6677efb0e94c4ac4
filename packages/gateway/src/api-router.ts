import { normalizeBasePath } from '@gatehouse/config';

/**
 * Maps (host, path) to an API: host exact > host wildcard (`*.example.com`) > any host, then the
 * longest basePath that is a whole-segment prefix of the path. Built once per config version.
 */
export interface Mount<T> {
  basePath: string;
  value: T;
}

export class ApiRouter<T> {
  private readonly exactHosts = new Map<string, Mount<T>[]>();
  private readonly wildcardHosts: Array<{ suffix: string; mounts: Mount<T>[] }> = [];
  private readonly anyHost: Mount<T>[] = [];

  add(hosts: readonly string[] | undefined, basePath: string, value: T): void {
    const mount = { basePath: normalizeBasePath(basePath), value };
    if (!hosts || hosts.length === 0) {
      insertByLength(this.anyHost, mount);
      return;
    }
    for (const rawHost of hosts) {
      const host = rawHost.toLowerCase();
      if (host.startsWith('*.')) {
        const suffix = host.slice(1);
        let entry = this.wildcardHosts.find((w) => w.suffix === suffix);
        if (!entry) {
          entry = { suffix, mounts: [] };
          this.wildcardHosts.push(entry);
          this.wildcardHosts.sort((a, b) => b.suffix.length - a.suffix.length);
        }
        insertByLength(entry.mounts, mount);
      } else {
        let list = this.exactHosts.get(host);
        if (!list) {
          list = [];
          this.exactHosts.set(host, list);
        }
        insertByLength(list, mount);
      }
    }
  }

  /** Returns the API and the path relative to its basePath (always starting with `/`). */
  match(host: string | undefined, path: string): { value: T; basePath: string } | undefined {
    if (host !== undefined && (this.exactHosts.size > 0 || this.wildcardHosts.length > 0)) {
      const name = stripPort(host).toLowerCase();
      const exact = this.exactHosts.get(name);
      const hit = exact && findMount(exact, path);
      if (hit) return hit;
      for (const w of this.wildcardHosts) {
        if (name.endsWith(w.suffix) && name.length > w.suffix.length) {
          const found = findMount(w.mounts, path);
          if (found) return found;
        }
      }
    }
    return findMount(this.anyHost, path);
  }
}

function insertByLength<T>(list: Mount<T>[], mount: Mount<T>): void {
  list.push(mount);
  list.sort((a, b) => b.basePath.length - a.basePath.length);
}

function findMount<T>(mounts: Mount<T>[], path: string): { value: T; basePath: string } | undefined {
  for (const mount of mounts) {
    const base = mount.basePath;
    if (base === '/') return mount;
    if (path.startsWith(base) && (path.length === base.length || path.charCodeAt(base.length) === 47) /* / */)
      return mount;
  }
  return undefined;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
