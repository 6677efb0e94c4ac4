/** Who is signed in and what they may do: from GET /auth/session, refreshed on sign-in/out. */

import { useSessionQuery as useSessionQueryOf } from '@gatehouse/ui';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect } from 'react';
import { useParams } from 'react-router';
import { setUnauthorizedHandler } from './api';
import type { SessionInfo } from './types';

const SessionContext = createContext<SessionInfo | null>(null);

export function useSessionQuery() {
  return useSessionQueryOf<SessionInfo>();
}

export function SessionProvider({ session, children }: { session: SessionInfo; children: ReactNode }) {
  const client = useQueryClient();
  useEffect(() => {
    // A call answered 401 (session expired or ended elsewhere): back to the sign-in page.
    setUnauthorizedHandler(() => client.setQueryData(['session'], null));
  }, [client]);
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionInfo {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The environment in the URL, and the caller's role and actions in it. */
export function useEnv() {
  const { env = '' } = useParams();
  const session = useSession();
  const current = session.environments.find((e) => e.id === env);
  return { env, role: current?.role, actions: current?.actions ?? [], environment: current };
}

/** Whether to offer an action; the server checks again on every call. */
export function useCan(action: string): boolean {
  const { actions } = useEnv();
  const session = useSession();
  return actions.includes(action) || session.platformActions.includes(action);
}
