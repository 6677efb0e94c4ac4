/** The TanStack Query set-up both apps use, and who is signed in (GET /auth/session). */
import { QueryClient, useQuery } from '@tanstack/react-query';
import { ApiError, api, setCsrfToken } from './api';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // A 4xx does not get better by asking again.
        retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
        refetchOnWindowFocus: false,
        staleTime: 10_000,
      },
    },
  });
}

/** The session, or null for a visitor; keeps the CSRF token in memory only. */
export function useSessionQuery<S extends { csrfToken: string | null }>() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async () => {
      try {
        const session = await api.get<S>('/auth/session');
        setCsrfToken(session.csrfToken);
        return session;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}
