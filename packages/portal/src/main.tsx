import { createQueryClient } from '@gatehouse/ui';
import { QueryClientProvider, useQuery } from '@tanstack/react-query';
import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import { portalApi } from './api';
import { seedFromDocument } from './boot-data';
import { EnvLayout } from './components/Layout';
import { ErrorBanner, Loading } from './components/ui';
import { catalogFilters, catalogQuery } from './pages/catalog';
import Home from './pages/Home';
import '@gatehouse/ui/base.css';
import './styles.css';

// Screens load on first visit, except the catalog (Home, a few KB): the first screen of most visits,
// it renders with the entry script and the data index.html carries, with no request in between.
const ApiOverview = lazy(() => import('./pages/ApiOverview'));
const DocPageView = lazy(() => import('./pages/DocPage'));
const Reference = lazy(() => import('./pages/Reference'));
const TryIt = lazy(() => import('./pages/TryIt'));
const Applications = lazy(() => import('./pages/Applications'));
const ApplicationDetail = lazy(() => import('./pages/ApplicationDetail'));
const Usage = lazy(() => import('./pages/Usage'));
const Auth = lazy(() => import('./pages/Auth'));

const queryClient = createQueryClient();
seedFromDocument(queryClient);

/** /portal/ goes to the first environment whose portal is enabled. */
function Landing() {
  const query = useQuery({ queryKey: ['portal', 'environments'], queryFn: portalApi.environments });
  if (query.isPending) return <Loading />;
  if (query.error) return <ErrorBanner error={query.error} />;
  const first = query.data.items[0];
  if (!first) return <p className="content">No developer portal is open here yet.</p>;
  return <Navigate to={`/${first.slug}/`} replace />;
}

const page = (element: React.ReactNode) => <Suspense fallback={<Loading />}>{element}</Suspense>;

const router = createBrowserRouter(
  [
    { path: '/', element: <Landing /> },
    {
      path: '/:env',
      element: <EnvLayout />,
      children: [
        {
          index: true,
          element: page(<Home />),
          // Not awaited: the catalog's first page loads beside the settings (unless index.html had both).
          loader: ({ params, request }) => {
            void queryClient.prefetchInfiniteQuery(
              catalogQuery(params.env ?? '', catalogFilters(new URL(request.url).searchParams)),
            );
            return null;
          },
        },
        { path: 'apis/:api', element: page(<ApiOverview />) },
        { path: 'apis/:api/pages/:page', element: page(<DocPageView />) },
        { path: 'apis/:api/reference', element: page(<Reference />) },
        { path: 'apis/:api/try', element: page(<TryIt />) },
        { path: 'apps', element: page(<Applications />) },
        { path: 'apps/:app', element: page(<ApplicationDetail />) },
        { path: 'apps/:app/usage', element: page(<Usage />) },
        { path: 'login', element: page(<Auth screen="login" />) },
        { path: 'signup', element: page(<Auth screen="signup" />) },
        { path: 'verify', element: page(<Auth screen="verify" />) },
        { path: 'verify-email', element: page(<Auth screen="verify" />) },
        { path: 'forgot', element: page(<Auth screen="forgot" />) },
        { path: 'reset', element: page(<Auth screen="reset" />) },
        { path: 'reset-password', element: page(<Auth screen="reset" />) },
        { path: '*', element: <p>Nothing here.</p> },
      ],
    },
  ],
  { basename: '/portal' },
);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
