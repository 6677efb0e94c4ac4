import { useQuery } from '@tanstack/react-query';
import { api } from '../api';
import type { PolicyInfo } from '../types';

/** The policy catalog with each policy's JSON Schema (GET /api/v1/policies). */
export function usePolicyCatalog() {
  return useQuery({
    queryKey: ['policy-catalog'],
    queryFn: async () => {
      const answer = await api.get<{ items: PolicyInfo[] } | PolicyInfo[]>('/policies');
      return Array.isArray(answer) ? answer : answer.items;
    },
    staleTime: Number.POSITIVE_INFINITY,
  });
}
