/**
 * Rollups of one ingested batch, built in the control plane: records are grouped per minute and
 * key (one string key a record), then the minute groups are merged into hour and day groups (a few
 * hundred, not one per record and grain). The rows come out in one global key order, so concurrent
 * batches upserting the same rollup rows wait for each other instead of deadlocking.
 */
import { bucketOf, emptyHistogram, mergeInto, toPgArray } from './latency-histogram.js';

export const ROLLUP_GRAINS = [60, 3600, 86_400] as const;

export interface RollupInput {
  api?: string | null | undefined;
  plan?: string | null | undefined;
  application?: string | null | undefined;
  status: number;
  latencyMs: number;
  errorCode?: string | null | undefined;
}

interface Group {
  grain: number;
  bucket: number;
  api: string;
  plan: string;
  application: string;
  status: number;
  count: number;
  errors: number;
  sum: number;
  histogram: number[];
}

/** A group as sent to the database: the histogram as PostgreSQL array text. */
export type RollupRow = Omit<Group, 'histogram'> & { hist: string };

export class RollupAccumulator {
  private readonly minutes = new Map<string, Group>();

  /** One record, at `timeMs` (the time it is stored with). */
  add(record: RollupInput, timeMs: number): void {
    const bucket = Math.floor(timeMs / 60_000) * 60;
    const api = record.api ?? '';
    const plan = record.plan ?? '';
    const application = record.application ?? '';
    const key = `${bucket}\u0000${api}\u0000${plan}\u0000${application}\u0000${record.status}`;
    let group = this.minutes.get(key);
    if (!group) {
      group = newGroup(60, bucket, api, plan, application, record.status);
      this.minutes.set(key, group);
    }
    group.count++;
    if (record.errorCode) group.errors++;
    group.sum += record.latencyMs;
    group.histogram[bucketOf(record.latencyMs)]!++;
  }

  /** Minute, hour and day rows, sorted by (grain, bucket, api, plan, application, status). */
  rows(): RollupRow[] {
    const all = new Map<string, Group>();
    for (const minute of this.minutes.values()) {
      for (const grain of ROLLUP_GRAINS) {
        const bucket = minute.bucket - (minute.bucket % grain);
        const key = `${grain}\u0000${bucket}\u0000${minute.api}\u0000${minute.plan}\u0000${minute.application}\u0000${minute.status}`;
        let group = all.get(key);
        if (!group) {
          group = newGroup(grain, bucket, minute.api, minute.plan, minute.application, minute.status);
          all.set(key, group);
        }
        group.count += minute.count;
        group.errors += minute.errors;
        group.sum += minute.sum;
        mergeInto(group.histogram, minute.histogram);
      }
    }
    return [...all.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, { histogram, ...rest }]) => ({ ...rest, hist: toPgArray(histogram) }));
  }
}

function newGroup(grain: number, bucket: number, api: string, plan: string, application: string, status: number) {
  return { grain, bucket, api, plan, application, status, count: 0, errors: 0, sum: 0, histogram: emptyHistogram() };
}
