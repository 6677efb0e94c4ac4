import { useQuery } from '@tanstack/react-query';
import { api, enc } from '../api';
import type { Analytics } from '../types';

export const RANGES: Record<string, number> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 24 * 3_600_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

export interface AnalyticsFilter {
  range: string;
  apiId?: string;
  applicationId?: string;
  groupBy?: 'api' | 'plan' | 'application' | 'status';
}

export function useAnalytics(env: string, filter: AnalyticsFilter, refreshMs: number | false) {
  return useQuery({
    queryKey: ['analytics', env, filter],
    queryFn: () => {
      const to = new Date();
      const from = new Date(to.getTime() - (RANGES[filter.range] ?? 3_600_000));
      return api.get<Analytics>(`/environments/${enc(env)}/analytics/requests`, {
        from: from.toISOString(),
        to: to.toISOString(),
        apiId: filter.apiId,
        applicationId: filter.applicationId,
        groupBy: filter.groupBy,
      });
    },
    refetchInterval: refreshMs,
  });
}

export const STATUS_COLORS = { '2xx': '#1a7f37', '3xx': '#1d4f91', '4xx': '#b7791f', '5xx': '#b42318' } as const;

export function errorRate(a: Analytics | undefined): string {
  if (!a || a.total === 0) return '—';
  return `${((100 * (a.byStatusClass['5xx'] + a.byStatusClass['4xx'])) / a.total).toFixed(1)}%`;
}

export const ms = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
