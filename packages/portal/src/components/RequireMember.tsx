/** Pages for signed-in consumers: visitors are sent to sign in, accounts not yet approved are told so. */
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useViewer } from '../session';
import { useEnvSettings } from '../settings';
import { Loading, Notice } from './ui';

export function RequireMember({ children }: { children: ReactNode }) {
  const { env } = useEnvSettings();
  const { session, member, loading } = useViewer(env);
  const location = useLocation();
  if (loading) return <Loading />;
  if (!session) return <Navigate to={`/${env}/login`} replace state={{ from: location.pathname }} />;
  if (!member)
    return <Notice tone="warn">Your account is not active in this portal yet (waiting for approval).</Notice>;
  return <>{children}</>;
}
