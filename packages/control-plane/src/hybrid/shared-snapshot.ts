/**
 * A snapshot is built once per (environment, cursor, shard) and shared by every gateway asking for
 * it: the document is compiled, serialised to canonical JSON, hashed (sha256) and, on first use,
 * gzip-compressed once, all off the event loop (compiler/document-build.ts). Each gateway's message still carries its own binding (gateway, issuedAt)
 * and signature; only that small part is built per gateway (seal.ts). Gzip members concatenate
 * (RFC 1952), so the compressed body is small per-gateway members around the shared one.
 *
 * Protocol 3 signs the envelope holding the document's digest, a few hundred bytes per gateway.
 * Protocol 2 (gateways from before negotiation) signs the whole canonical message: the shared
 * document spliced between the gateway's small prefix and tail gives exactly canonicalBytes()
 * (keys sort as cursor, definitionVersion, document, then the binding).
 *
 * The cursor names the version: every change gateways receive appends to the change log first, so
 * a document built at head N is what any gateway at head N must get (it may include changes
 * committed after N, which the next delta repeats, as before).
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { type MessageBody, signBytes } from '@gatehouse/config';
import { canonicalJson } from '@gatehouse/core';
import { type BuiltDocument, buildServedDocument } from '../compiler/document-build.js';
import type { Database } from '../db/connect.js';
import type { Signer } from './signing.js';

/** Versions kept: the current one per shard, plus a few older while gateways catch up... */
const MAX_ENTRIES = 16;
/** ...within this many bytes (plain + gzip; 100,000 keys make ~21 MB), the newest always kept. */
const MAX_BYTES = 128 * 1024 * 1024;
const PLACEHOLDER = `\u0000document-${randomUUID()}\u0000`;

export interface SharedSnapshot {
  definitionVersion: string;
  /** The canonical JSON of the document. */
  document: Buffer;
  /** digestOf(document), computed once per version: what protocol 3 signs instead of the document. */
  digest: string;
  /** The document as one gzip member (compressed once, in the build's worker thread). */
  gzippedDocument(): Promise<Buffer>;
}

/** How a version's document is built: buildServedDocument (tests put their own). */
export type DocumentBuilder = (db: Database, envId: string, shardTags: string[]) => Promise<BuiltDocument>;

const offTheLoop: DocumentBuilder = (db, envId, shardTags) => buildServedDocument(db, envId, { shardTags });

export class SnapshotCache {
  private readonly entries = new Map<string, Promise<SharedSnapshot>>();
  private readonly sizes = new Map<string, number>();
  /** Documents built (tests and the benchmark read it). */
  builds = 0;

  constructor(
    private readonly db: Database,
    private readonly buildDocument: DocumentBuilder = offTheLoop,
  ) {}

  get(envId: string, head: number, tags: readonly string[]): Promise<SharedSnapshot> {
    const key = `${envId}\u0000${head}\u0000${[...tags].sort().join(',')}`;
    let entry = this.entries.get(key);
    if (entry) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry;
    }
    // Stored before it settles: concurrent requests for this version share the one build in flight.
    entry = this.build(envId, tags);
    this.entries.set(key, entry);
    entry.then(
      async (built) => {
        // The plain document and its compressed copy (about a third).
        const size = Math.ceil(built.document.length * 1.5);
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

  private async build(envId: string, tags: readonly string[]): Promise<SharedSnapshot> {
    this.builds++;
    const built = await this.buildDocument(this.db, envId, [...tags]);
    const gzipped = Promise.resolve(built.gzip);
    return {
      definitionVersion: built.definitionVersion,
      document: built.bytes,
      digest: built.digest,
      gzippedDocument: () => gzipped,
    };
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

const DOCUMENT_OPEN = '{"document":';
const GZIPPED_DOCUMENT_OPEN = gzipSync(DOCUMENT_OPEN);
/** Per-gateway parts are a few hundred bytes: compressed inline, cheaper than a thread-pool round trip. */
const gzipSmall = (text: string) => gzipSync(text);

/**
 * One gateway's sealed snapshot: the shared document plus its own envelope (binding, keys, digest,
 * signatures), as the chunks to send in order. Not concatenated: copying a 4 MB gzip member into a
 * fresh buffer per gateway cost more CPU than the rest of a protocol 3 seal.
 */
export async function sealSharedSnapshot(
  signer: Signer,
  body: Omit<Extract<MessageBody, { kind: 'snapshot' }>, 'document' | 'digest'>,
  shared: SharedSnapshot,
  gzipped: boolean,
): Promise<Buffer[]> {
  const { published, signing } = await signer.sealingKeys();
  if (body.protocol < 3) return sealV2(body, published, signing, shared, gzipped);
  const envelope = { ...body, keys: published, digest: shared.digest };
  const signatures = signBytes(Buffer.from(canonicalJson(envelope)), signing);
  // Member order on the wire is free: protocol 3 verifies the digest and the canonical envelope.
  const tail = `,${JSON.stringify({ ...envelope, signatures }).slice(1)}`;
  if (!gzipped) return [Buffer.from(DOCUMENT_OPEN), shared.document, Buffer.from(tail)];
  return [GZIPPED_DOCUMENT_OPEN, await shared.gzippedDocument(), gzipSmall(tail)];
}

/** Protocol 2: the signature is over the whole canonical message, document included. */
async function sealV2(
  body: Omit<Extract<MessageBody, { kind: 'snapshot' }>, 'document' | 'digest'>,
  published: Awaited<ReturnType<Signer['sealingKeys']>>['published'],
  signing: Awaited<ReturnType<Signer['sealingKeys']>>['signing'],
  shared: SharedSnapshot,
  gzipped: boolean,
): Promise<Buffer[]> {
  const unsigned = canonicalJson({ ...body, keys: published, document: PLACEHOLDER });
  const marker = `"document":${JSON.stringify(PLACEHOLDER)}`;
  const at = unsigned.indexOf(marker);
  if (at < 0 || !unsigned.startsWith('{"cursor":') || unsigned.slice(0, at).includes('"gateway"'))
    throw new Error('shared snapshot: message members do not sort around the document');
  const prefix = `${unsigned.slice(0, at)}"document":`;
  const tail = unsigned.slice(at + marker.length, -1);
  const signatures = signBytes(Buffer.concat([Buffer.from(prefix), shared.document, Buffer.from(`${tail}}`)]), signing);
  const sentTail = `${tail},"signatures":${JSON.stringify(signatures)}}`;
  if (!gzipped) return [Buffer.from(prefix), shared.document, Buffer.from(sentTail)];
  return [gzipSmall(prefix), await shared.gzippedDocument(), gzipSmall(sentTail)];
}
