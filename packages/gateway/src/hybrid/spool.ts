/**
 * A bounded on-disk FIFO of analytics batches, one file per batch, for while the control plane is
 * unreachable. Names carry the order and the record count (`000000000042-500.json`), so dropping
 * the oldest batch on overflow needs no read.
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

interface SpoolEntry {
  name: string;
  bytes: number;
  records: number;
}

const NAME = /^(\d{12})-(\d+)\.json$/;

export class DiskSpool {
  private entries: SpoolEntry[] = [];
  private totalBytes = 0;
  private nextSeq = 0;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly onDrop: (records: number) => void,
  ) {}

  /** Picks up batches spooled by a previous run (replayed like any other). */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const found: SpoolEntry[] = [];
    for (const name of await readdir(this.dir)) {
      const match = NAME.exec(name);
      if (!match) continue;
      const bytes = (await stat(path.join(this.dir, name))).size;
      found.push({ name, bytes, records: Number(match[2]) });
      this.nextSeq = Math.max(this.nextSeq, Number(match[1]) + 1);
    }
    found.sort((a, b) => (a.name < b.name ? -1 : 1));
    this.entries = found;
    this.totalBytes = found.reduce((sum, e) => sum + e.bytes, 0);
  }

  get batches(): number {
    return this.entries.length;
  }

  get records(): number {
    return this.entries.reduce((sum, e) => sum + e.records, 0);
  }

  get bytes(): number {
    return this.totalBytes;
  }

  async push(records: unknown[]): Promise<void> {
    const data = Buffer.from(JSON.stringify(records));
    if (data.length > this.maxBytes) {
      this.onDrop(records.length);
      return;
    }
    while (this.entries.length > 0 && this.totalBytes + data.length > this.maxBytes)
      await this.drop(this.entries[0]!, true);
    const name = `${String(this.nextSeq++).padStart(12, '0')}-${records.length}.json`;
    await writeFileAtomic(path.join(this.dir, name), data);
    this.entries.push({ name, bytes: data.length, records: records.length });
    this.totalBytes += data.length;
  }

  /** The oldest batch, or undefined when empty. An unreadable file is dropped (counted) rather than blocking the queue. */
  async oldest(): Promise<{ name: string; records: unknown[] } | undefined> {
    while (this.entries.length > 0) {
      const entry = this.entries[0]!;
      try {
        const records = JSON.parse(await readFile(path.join(this.dir, entry.name), 'utf8')) as unknown[];
        if (Array.isArray(records)) return { name: entry.name, records };
      } catch {
        // fall through: corrupt or vanished
      }
      await this.drop(entry, true);
    }
    return undefined;
  }

  async remove(name: string): Promise<void> {
    const entry = this.entries.find((e) => e.name === name);
    if (entry) await this.drop(entry, false);
  }

  private async drop(entry: SpoolEntry, lost: boolean): Promise<void> {
    this.entries = this.entries.filter((e) => e !== entry);
    this.totalBytes -= entry.bytes;
    if (lost) this.onDrop(entry.records);
    await rm(path.join(this.dir, entry.name), { force: true });
  }
}
