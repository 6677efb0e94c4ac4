/**
 * Calendar periods (day, week, month) in an IANA time zone, as absolute instants. Local days are
 * not always 24 hours (DST: 23 or 25), so bounds are found by asking Intl for local dates, not by
 * adding fixed offsets.
 */
export type QuotaPeriod = 'day' | 'week' | 'month';
export type WeekStart = 'monday' | 'sunday';

export interface PeriodBounds {
  startMs: number;
  endMs: number;
}

const MINUTE = 60_000;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

interface LocalDate {
  year: number;
  month: number;
  day: number;
  weekday: number;
}

/** Returns a function giving the period containing an instant; validates the time zone at once. */
export function createPeriodCalculator(period: QuotaPeriod, timeZone: string, weekStart: WeekStart = 'monday') {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
      hourCycle: 'h23',
    });
  } catch {
    throw new Error(`unknown time zone "${timeZone}": use an IANA name such as UTC or Europe/Paris`);
  }

  const localDate = (instant: number): LocalDate => {
    const out: LocalDate = { year: 0, month: 0, day: 0, weekday: 0 };
    for (const part of format.formatToParts(instant)) {
      if (part.type === 'year') out.year = Number(part.value);
      else if (part.type === 'month') out.month = Number(part.value);
      else if (part.type === 'day') out.day = Number(part.value);
      else if (part.type === 'weekday') out.weekday = WEEKDAYS.indexOf(part.value);
    }
    return out;
  };
  const dateKey = (d: { year: number; month: number; day: number }) => d.year * 10_000 + d.month * 100 + d.day;

  /**
   * First instant whose local date is `date` or later. Local dates only move forward in the
   * zones we care about, so a binary search over minutes (transitions fall on minute boundaries)
   * within +-15 hours of UTC midnight finds it, whatever the offset or DST gap.
   */
  const startOfLocalDate = (year: number, month: number, day: number): number => {
    // Normalizes overflow such as day 32 or month 13.
    const utc = new Date(Date.UTC(year, month - 1, day));
    const target = dateKey({ year: utc.getUTCFullYear(), month: utc.getUTCMonth() + 1, day: utc.getUTCDate() });
    let low = utc.getTime() / MINUTE - 15 * 60;
    let high = utc.getTime() / MINUTE + 15 * 60;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (dateKey(localDate(mid * MINUTE)) >= target) high = mid;
      else low = mid + 1;
    }
    return low * MINUTE;
  };

  return (instant: number): PeriodBounds => {
    const today = localDate(instant);
    switch (period) {
      case 'day':
        return {
          startMs: startOfLocalDate(today.year, today.month, today.day),
          endMs: startOfLocalDate(today.year, today.month, today.day + 1),
        };
      case 'week': {
        const first = weekStart === 'monday' ? 1 : 0;
        const back = (today.weekday - first + 7) % 7;
        return {
          startMs: startOfLocalDate(today.year, today.month, today.day - back),
          endMs: startOfLocalDate(today.year, today.month, today.day - back + 7),
        };
      }
      case 'month':
        return {
          startMs: startOfLocalDate(today.year, today.month, 1),
          endMs: startOfLocalDate(today.year, today.month + 1, 1),
        };
    }
  };
}
