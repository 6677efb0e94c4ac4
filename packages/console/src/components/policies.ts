import { useQuery } from '@tanstack/react-query';
import { api } from '../api';
import type { JsonSchema, PolicyInfo } from '../types';

/** GET /api/v1/policies: the catalog the control plane and the gateways check configs with. */
interface Catalog {
  policies: Array<{ name: string; summary: string; phases: string[]; scopes: string[]; configSchema: JsonSchema }>;
  securityTypes: Array<{ type: string; summary: string; configSchema: JsonSchema }>;
}

/** The policy catalog with each policy's (and plan security type's) JSON Schema, for the forms. */
export function usePolicyCatalog() {
  return useQuery({
    queryKey: ['policy-catalog'],
    queryFn: async (): Promise<PolicyInfo[]> => {
      const catalog = await api.get<Catalog>('/policies');
      return [
        ...catalog.policies.map((p) => ({
          name: p.name,
          description: p.summary,
          kind: 'policy' as const,
          schema: p.configSchema,
          phases: p.phases,
          scopes: p.scopes,
        })),
        ...catalog.securityTypes.map((s) => ({
          name: s.type,
          description: s.summary,
          kind: 'security' as const,
          schema: s.configSchema,
          phases: ['security'],
          scopes: ['plan'],
        })),
      ];
    },
    staleTime: Number.POSITIVE_INFINITY,
  });
}
