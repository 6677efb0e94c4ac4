/** One documentation page of an API, Markdown sanitised at render. */
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { portalApi } from '../api';
import { ApiFrame } from '../components/ApiFrame';
import { ErrorBanner, Loading, Markdown } from '../components/ui';
import { useEnvSettings } from '../settings';

export default function DocPageView() {
  return <ApiFrame>{() => <PageBody />}</ApiFrame>;
}

function PageBody() {
  const { env } = useEnvSettings();
  const { api = '', page = '' } = useParams();
  const query = useQuery({
    queryKey: ['portal', env, 'api', api, 'page', page],
    queryFn: () => portalApi.page(env, api, page),
  });
  if (query.isPending) return <Loading />;
  if (query.error) return <ErrorBanner error={query.error} />;
  return (
    <section aria-labelledby="doc-title">
      <h2 id="doc-title">{query.data.title}</h2>
      <Markdown source={query.data.markdown} />
    </section>
  );
}
