import { createQueryClient } from '@gatehouse/ui';
import { QueryClientProvider } from '@tanstack/react-query';
import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Navigate, Outlet, RouterProvider, useLocation } from 'react-router';
import { Layout } from './components/Layout';
import { ToastProvider } from './components/toast';
import { ErrorBanner, Loading } from './components/ui';
import { Login } from './pages/Login';
import { SessionProvider, useSession, useSessionQuery } from './session';
import '@gatehouse/ui/base.css';
import './styles.css';

// Screens load on first visit: the sign-in page and the frame stay small.
const Home = lazy(() => import('./pages/Home'));
const ApiList = lazy(() => import('./pages/ApiList'));
const ApiCreate = lazy(() => import('./pages/ApiCreate'));
const ApiDetail = lazy(() => import('./pages/ApiDetail'));
const Applications = lazy(() => import('./pages/Applications'));
const ApplicationDetail = lazy(() => import('./pages/ApplicationDetail'));
const Subscriptions = lazy(() => import('./pages/Subscriptions'));
const Gateways = lazy(() => import('./pages/Gateways'));
const Analytics = lazy(() => import('./pages/Analytics'));
const Audit = lazy(() => import('./pages/Audit'));
const Members = lazy(() => import('./pages/Members'));
const Signups = lazy(() => import('./pages/Signups'));
const Users = lazy(() => import('./pages/Users'));
const Portal = lazy(() => import('./pages/Portal'));

const queryClient = createQueryClient();

function RequireSession() {
  const query = useSessionQuery();
  const location = useLocation();
  if (query.isPending) return <Loading />;
  if (query.error) return <ErrorBanner error={query.error} />;
  if (!query.data) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return (
    <SessionProvider session={query.data}>
      <Outlet />
    </SessionProvider>
  );
}

function LoginRoute() {
  const query = useSessionQuery();
  if (query.isPending) return <Loading />;
  if (query.data) return <Navigate to="/" replace />;
  return <Login />;
}

function Landing() {
  const session = useSession();
  const first = session.environments[0];
  if (first) return <Navigate to={`/e/${first.id}/`} replace />;
  if (session.platformActions.includes('users:read')) return <Navigate to="/users" replace />;
  return <p className="content">You are not a member of any environment yet. Ask an administrator to add you.</p>;
}

const page = (element: React.ReactNode) => <Suspense fallback={<Loading />}>{element}</Suspense>;

const router = createBrowserRouter(
  [
    { path: '/login', element: <LoginRoute /> },
    {
      element: <RequireSession />,
      children: [
        { path: '/', element: <Landing /> },
        {
          element: <Layout />,
          children: [
            { path: '/users', element: page(<Users />) },
            { path: '/e/:env', element: page(<Home />) },
            { path: '/e/:env/apis', element: page(<ApiList />) },
            { path: '/e/:env/apis/new', element: page(<ApiCreate />) },
            { path: '/e/:env/apis/:apiId', element: page(<ApiDetail />) },
            { path: '/e/:env/applications', element: page(<Applications />) },
            { path: '/e/:env/applications/:appId', element: page(<ApplicationDetail />) },
            { path: '/e/:env/subscriptions', element: page(<Subscriptions />) },
            { path: '/e/:env/gateways', element: page(<Gateways />) },
            { path: '/e/:env/analytics', element: page(<Analytics />) },
            { path: '/e/:env/audit', element: page(<Audit />) },
            { path: '/e/:env/members', element: page(<Members />) },
            { path: '/e/:env/portal', element: page(<Portal />) },
            { path: '/e/:env/signups', element: page(<Signups />) },
            { path: '*', element: <p>Nothing here.</p> },
          ],
        },
      ],
    },
  ],
  { basename: '/console' },
);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <RouterProvider router={router} />
      </ToastProvider>
    </QueryClientProvider>
  </StrictMode>,
);
