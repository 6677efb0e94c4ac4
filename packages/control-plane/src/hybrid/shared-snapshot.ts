/**
 * A snapshot is built once per (environment, cursor, shard) and shared by every gateway asking for
 * it: the document is compiled, serialised to canonical JSON and gzip-compressed once. Each
 * gateway's message still carries its own binding (gateway, issuedAt) and signature, so the wire
 * format is unchanged: the shared canonical bytes are spliced with the gateway's small tail, which
 * gives exactly canonicalBytes(message) (keys sort as cursor, definitionVersion, document, then the
 * binding). Gzip members concatenate (RFC 1952), so the compressed body is the shared member
 * followed by a small per-gateway one.
 *
 * The cursor names the version: every change gateways receive appends to the change log first, so
 * a document built at head N is what any gateway at head N must get (it may include changes
 * committed after N, which the next delta repeats, as before).
 */
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { type MessageBody, signBytes } from '@gatehouse/config';
import { canonicalJson } from '@gatehouse/core';
import { buildEnvironmentDocument } from '../compiler/compile.js';
import type { Database } from '../db/connect.js';
import type { Signer } from './signing.js';

const gzip = promisify(gzipCallback);
/** Versions kept: the current one per shard, plus a few older while gateways catch up... */
const MAX_ENTRIES = 16;
/** ...within this many bytes (plain + gzip; 100,000 keys make ~21 MB), the newest always kept. */
const MAX_BYTES = 128 * 1024 * 1024;
const PLACEHOLDER = `\u0000document-${randomUUID()}\u0000`;

export interface SharedSnapshot {
  definitionVersion: string;
  /** `{"cursor":…,"definitionVersion":…,"document":<canonical document>` */
  head: Buffer;
  /** The same, as one gzip member (compressed once, off the main thread). */
  gzippedHead: Promise<Buffer>;
}

export class SnapshotCache {
  private readonly entries = new Map<string, Promise<SharedSnapshot>>();
  private readonly sizes = new Map<string, number>();
  /** Documents built (tests and the benchmark read it). */
  builds = 0;

  constructor(private readonly db: Database) {}

  get(envId: string, head: number, tags: readonly string[]): Promise<SharedSnapshot> {
    const key = `${envId}\u0000${head}\u0000${[...tags].sort().join(',')}`;
    let entry = this.entries.get(key);
    if (entry) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry;
    }
    entry = this.build(envId, head, tags);
    this.entries.set(key, entry);
    entry.then(
      async (built) => {
        const size = built.head.length + (await built.gzippedHead.catch(() => Buffer.alloc(0))).length;
        if (this.entries.get(key) === entry) this.sizes.set(key, size);
        this.evict();
      },
      // A failed build is not kept: the next gateway tries again.
      () => this.forget(key),
    );
    this.evict();
    return entry;
  }

  private evict(): void {
    let bytes = [...this.sizes.values()].reduce((a, b) => a + b, 0);
    while (this.entries.size > 1 && (this.entries.size > MAX_ENTRIES || bytes > MAX_BYTES)) {
      const oldest = this.entries.keys().next().value as string;
      bytes -= this.sizes.get(oldest) ?? 0;
      this.forget(oldest);
    }
  }

  private forget(key: string): void {
    this.entries.delete(key);
    this.sizes.delete(key);
  }

  private async build(envId: string, head: number, tags: readonly string[]): Promise<SharedSnapshot> {
    this.builds++;
    const { document, definitionVersion } = await buildEnvironmentDocument(this.db, envId, { shardTags: [...tags] });
    const prefix = canonicalJson({ cursor: `c:${head}`, definitionVersion, document: PLACEHOLDER }).split(
      `"document":${JSON.stringify(PLACEHOLDER)}`,
    )[0]!;
    const headBytes = Buffer.from(`${prefix}"document":${canonicalJson(document)}`);
    const gzippedHead = gzip(headBytes);
    gzippedHead.catch(() => undefined);
    return { definitionVersion, head: headBytes, gzippedHead };
  }
}

const caches = new WeakMap<Database, SnapshotCache>();

export function snapshotCache(db: Database): SnapshotCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new SnapshotCache(db);
    caches.set(db, cache);
  }
  return cache;
}

/** One gateway's sealed snapshot: the shared head plus its own tail (binding, keys, signatures). */
export async function sealSharedSnapshot(
  signer: Signer,
  body: Omit<Extract<MessageBody, { kind: 'snapshot' }>, 'document'>,
  shared: SharedSnapshot,
  gzipped: boolean,
): Promise<Buffer> {
  const { published, signing } = await signer.sealingKeys();
  const unsigned = canonicalJson({ ...body, keys: published, document: PLACEHOLDER });
  const marker = `"document":${JSON.stringify(PLACEHOLDER)}`;
  const at = unsigned.indexOf(marker);
  const expectedPrefix = shared.head.subarray(0, at).toString();
  if (at < 0 || unsigned.slice(0, at) !== expectedPrefix)
    throw new Error('shared snapshot: message members do not sort around the document');
  const tail = unsigned.slice(at + marker.length, -1);
  const signatures = signBytes(Buffer.concat([shared.head, Buffer.from(`${tail}}`)]), signing);
  const sentTail = Buffer.from(`${tail},"signatures":${JSON.stringify(signatures)}}`);
  if (!gzipped) return Buffer.concat([shared.head, sentTail]);
  return Buffer.concat([await shared.gzippedHead, await gzip(sentTail)]);
}
