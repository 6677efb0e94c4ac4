/** The snapshot cache's sharing of one build per version, without a database (builder injected). */
import { describe, expect, it } from 'vitest';
import type { BuiltDocument } from '../compiler/document-build.js';
import type { Database } from '../db/connect.js';
import { SnapshotCache } from './shared-snapshot.js';

const built = (text: string): BuiltDocument => ({
  bytes: Buffer.from(text),
  digest: `sha256:${text}`,
  gzip: Buffer.from(`gz:${text}`),
  configVersion: 'c',
  definitionVersion: 'd',
});

function deferred() {
  let resolve!: (value: BuiltDocument) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<BuiltDocument>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SnapshotCache', () => {
  it('shares one build in flight among concurrent requests for the same version', async () => {
    const pending = deferred();
    let calls = 0;
    const cache = new SnapshotCache({} as Database, async () => {
      calls++;
      return pending.promise;
    });
    const waiters = [cache.get('env', 7, ['b', 'a']), cache.get('env', 7, ['a', 'b']), cache.get('env', 7, ['a', 'b'])];
    // Another version or shard is another build.
    const other = cache.get('env', 8, []);
    expect(calls).toBe(2);
    pending.resolve(built('{"v":7}'));
    const [first, ...rest] = await Promise.all(waiters);
    for (const snapshot of rest) expect(snapshot).toBe(first);
    expect(first!.document.toString()).toBe('{"v":7}');
    expect(first!.digest).toBe('sha256:{"v":7}');
    expect((await first!.gzippedDocument()).toString()).toBe('gz:{"v":7}');
    expect(cache.builds).toBe(2);
    await other;
  });

  it('rejects every waiter of a failing build, and the next request builds again', async () => {
    const attempts = [deferred(), deferred()];
    let calls = 0;
    const cache = new SnapshotCache({} as Database, () => attempts[calls++]!.promise);
    const waiters = [cache.get('env', 1, []), cache.get('env', 1, [])];
    attempts[0]!.reject(new Error('database went away'));
    for (const waiter of waiters) await expect(waiter).rejects.toThrow('database went away');
    const retry = cache.get('env', 1, []);
    expect(calls).toBe(2);
    attempts[1]!.resolve(built('{"v":1}'));
    expect((await retry).document.toString()).toBe('{"v":1}');
  });
});
