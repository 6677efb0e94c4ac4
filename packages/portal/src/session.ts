/** Who is signed in (GET /auth/session); null for visitors. The CSRF token is kept in memory only. */
import { useSessionQuery as useSessionQueryOf } from '@gatehouse/ui';
import type { SessionInfo } from './api';

export function useSessionQuery() {
  return useSessionQueryOf<SessionInfo>();
}

/** The signed-in user, or null; `member` when they belong to this environment (as a consumer or more). */
export function useViewer(env: string) {
  const query = useSessionQuery();
  const session = query.data ?? null;
  const member = session?.environments.find((e) => e.id === env) ?? null;
  return { session, member, loading: query.isPending };
}

/**
 * Keys are shown once by the server; the portal keeps the ones created in this tab in memory
 * (never in storage) so Try it can pre-fill them. A reload forgets them, as it should.
 */
const keysByApi = new Map<string, string>();
export const rememberKey = (env: string, apiId: string, key: string) => keysByApi.set(`${env}/${apiId}`, key);
export const rememberedKey = (env: string, apiId: string) => keysByApi.get(`${env}/${apiId}`) ?? '';
