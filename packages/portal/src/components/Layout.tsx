/** The frame of every environment page: header with the portal's name and logo, navigation, sign-in state. */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, NavLink, Outlet, useNavigate, useParams } from 'react-router';
import { ApiError, api, setCsrfToken, setUnauthorizedHandler } from '../api';
import { useViewer } from '../session';
import { EnvProvider, usePortalSettings } from '../settings';
import { ErrorBanner, Loading } from './ui';

export function EnvLayout() {
  const { env = '' } = useParams();
  const settings = usePortalSettings(env);
  const client = useQueryClient();
  useEffect(() => {
    // A call answered 401 (session over): the portal shows the visitor view again.
    setUnauthorizedHandler(() => client.setQueryData(['session'], null));
  }, [client]);
  if (settings.isPending) return <Loading />;
  if (settings.error) {
    const missing = settings.error instanceof ApiError && settings.error.status === 404;
    return (
      <main className="content">
        {missing ? <p>There is no developer portal here.</p> : <ErrorBanner error={settings.error} />}
      </main>
    );
  }
  return (
    <EnvProvider env={env} settings={settings.data}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <Header env={env} name={settings.data.name} logo={settings.data.logo} />
      <main id="main" className="content" tabIndex={-1}>
        <Outlet />
      </main>
    </EnvProvider>
  );
}

function Header({ env, name, logo }: { env: string; name: string; logo: string | null }) {
  const { session } = useViewer(env);
  const client = useQueryClient();
  const navigate = useNavigate();
  const signOut = async () => {
    try {
      await api.del('/auth/session');
    } finally {
      setCsrfToken(null);
      client.setQueryData(['session'], null);
      client.removeQueries({ queryKey: ['env', env] });
      navigate(`/${env}/`);
    }
  };
  return (
    <header className="topbar">
      <Link to={`/${env}/`} className="brand">
        {logo ? <img src={logo} alt="" width="28" height="28" /> : null}
        <span>{name}</span>
      </Link>
      <nav aria-label="Main" className="topnav">
        <NavLink to={`/${env}/`} end>
          APIs
        </NavLink>
        {session ? (
          <>
            <NavLink to={`/${env}/apps`}>My applications</NavLink>
            <button type="button" className="link-button" onClick={signOut}>
              Sign out
            </button>
          </>
        ) : (
          <>
            <NavLink to={`/${env}/login`}>Sign in</NavLink>
            <NavLink to={`/${env}/signup`}>Sign up</NavLink>
          </>
        )}
      </nav>
    </header>
  );
}
