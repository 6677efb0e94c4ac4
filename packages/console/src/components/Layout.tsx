/** The frame of every signed-in screen: left navigation, top bar with environment switcher and user menu. */
import { useQueryClient } from '@tanstack/react-query';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { api, setCsrfToken } from '../api';
import { useCan, useEnv, useSession } from '../session';
import { useToast } from './toast';

interface NavItem {
  to: string;
  label: string;
  action: string;
}

const ENV_NAV: NavItem[] = [
  { to: '', label: 'Overview', action: 'environments:read' },
  { to: 'apis', label: 'APIs', action: 'apis:read' },
  { to: 'applications', label: 'Applications', action: 'applications:read' },
  { to: 'subscriptions', label: 'Subscriptions', action: 'subscriptions:read' },
  { to: 'gateways', label: 'Gateways', action: 'gateways:read' },
  { to: 'analytics', label: 'Analytics', action: 'analytics:read' },
  { to: 'audit', label: 'Audit trail', action: 'audit:read' },
  { to: 'members', label: 'Members', action: 'members:read' },
  { to: 'portal', label: 'Portal', action: 'portal:manage' },
  { to: 'signups', label: 'Sign-ups', action: 'portal-signups:read' },
];

function NavEntry({ env, item }: { env: string; item: NavItem }) {
  const allowed = useCan(item.action);
  if (!allowed) return null;
  return (
    <li>
      <NavLink
        end={item.to === ''}
        to={`/e/${env}/${item.to}`}
        className={({ isActive }) => (isActive ? 'active' : '')}
      >
        {item.label}
      </NavLink>
    </li>
  );
}

export function Layout() {
  const session = useSession();
  const { env, role } = useEnv();
  const navigate = useNavigate();
  const location = useLocation();
  const client = useQueryClient();
  const toast = useToast();
  const canUsers = session.platformActions.includes('users:read');

  const signOut = async () => {
    try {
      await api.post('/auth/logout');
    } catch (error) {
      toast.error(error);
    }
    setCsrfToken(null);
    client.clear();
    client.setQueryData(['session'], null);
    navigate('/login');
  };

  const switchEnv = (next: string) => {
    // Stay on the same screen in the other environment (top-level list, not a detail page).
    const section = location.pathname.split('/')[3] ?? '';
    navigate(`/e/${next}/${section}`);
  };

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
            <rect width="32" height="32" rx="6" fill="#3d7ee0" />
            <path d="M8 24V12l8-5 8 5v12h-5v-7h-6v7z" fill="#fff" />
          </svg>
          <span>Gatehouse</span>
        </div>
        <nav aria-label="Main">
          {env && (
            <>
              <p className="nav-section">Environment</p>
              <ul>
                {ENV_NAV.map((item) => (
                  <NavEntry key={item.to} env={env} item={item} />
                ))}
              </ul>
            </>
          )}
          {canUsers && (
            <>
              <p className="nav-section">Platform</p>
              <ul>
                <li>
                  <NavLink to="/users">Users</NavLink>
                </li>
              </ul>
            </>
          )}
        </nav>
      </aside>
      <div className="main-col">
        <header className="topbar">
          <div className="env-switch">
            <label htmlFor="env-select">Environment</label>
            <select id="env-select" value={env} onChange={(e) => switchEnv(e.target.value)}>
              {!env && <option value="">Choose…</option>}
              {session.environments.map((e) => (
                <option key={e.id} value={e.id}>
                  {e.name}
                </option>
              ))}
            </select>
            {role && <span className={`badge badge-role`}>{role}</span>}
          </div>
          <details className="user-menu">
            <summary>
              <span className="avatar" aria-hidden="true">
                {session.user.email.slice(0, 1).toUpperCase()}
              </span>
              <span>{session.user.email}</span>
            </summary>
            <div className="menu">
              <p className="muted">{session.user.isAdmin ? 'Platform administrator' : 'Member'}</p>
              <a href="/api/v1/docs/">API reference</a>
              <button type="button" onClick={signOut}>
                Sign out
              </button>
            </div>
          </details>
        </header>
        <main id="main" className="content">
          <Outlet />
        </main>
      </div>
    </div>
  );
}
