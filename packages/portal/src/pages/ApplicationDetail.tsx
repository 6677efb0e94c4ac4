/** One application: edit/delete, its subscriptions (pending/active/rejected) and their keys. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { type Application, api, envPath, type Subscription, send } from '../api';
import { Keys } from '../components/Keys';
import { RequireMember } from '../components/RequireMember';
import { Badge, ErrorBanner, Field, fieldErrors, Loading } from '../components/ui';
import { useEnvSettings } from '../settings';

export default function ApplicationDetail() {
  return (
    <RequireMember>
      <Detail />
    </RequireMember>
  );
}

function Detail() {
  const { env } = useEnvSettings();
  const { app: appId = '' } = useParams();
  const path = `${envPath(env)}/applications/${encodeURIComponent(appId)}`;
  const app = useQuery({
    queryKey: ['env', env, 'applications', appId],
    queryFn: () => send<Application>('GET', path),
  });
  const subs = useQuery({
    queryKey: ['env', env, 'subscriptions', appId],
    queryFn: () =>
      api.get<{ items: Subscription[] }>(`${envPath(env)}/subscriptions`, { applicationId: appId, limit: 100 }),
  });
  if (app.isPending) return <Loading />;
  if (app.error) return <ErrorBanner error={app.error} />;
  return (
    <>
      <p>
        <Link to={`/${env}/apps`}>My applications</Link>
      </p>
      <h1>{app.data.data.name}</h1>
      <p>
        <Link to={`/${env}/apps/${encodeURIComponent(appId)}/usage`}>Usage of this application</Link>
      </p>
      <EditApplication env={env} path={path} app={app.data.data} etag={app.data.etag} />
      <section aria-labelledby="subs-title">
        <h2 id="subs-title">Subscriptions</h2>
        {subs.isPending ? <Loading /> : null}
        <ErrorBanner error={subs.error} />
        {subs.data?.items.length === 0 ? (
          <p>
            No subscriptions yet: pick a plan on an <Link to={`/${env}/`}>API's page</Link>.
          </p>
        ) : null}
        <ul className="subs">
          {subs.data?.items.map((s) => (
            <li key={s.id} className="panel">
              <h3>
                <Link to={`/${env}/apis/${encodeURIComponent(s.apiId)}`}>{s.apiId}</Link> · plan {s.planId}{' '}
                <Badge value={s.status} />
              </h3>
              {s.reason ? <p className="muted">Reason: {s.reason}</p> : null}
              {s.status === 'pending' ? <p>Waiting for the API's publisher to review the subscription.</p> : null}
              {s.status === 'accepted' ? <Keys env={env} subscription={s} clientId={app.data.data.clientId} /> : null}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

function EditApplication({
  env,
  path,
  app,
  etag,
}: {
  env: string;
  path: string;
  app: Application;
  etag: string | null;
}) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState(app.name);
  const [description, setDescription] = useState(app.description ?? '');
  const [clientId, setClientId] = useState(app.clientId ?? '');
  const [confirming, setConfirming] = useState(false);
  const save = useMutation({
    mutationFn: () =>
      api.patch<Application>(path, { name, description: description || null, clientId: clientId || null }, etag),
    onSuccess: () => client.invalidateQueries({ queryKey: ['env', env, 'applications'] }),
  });
  const remove = useMutation({
    mutationFn: () => api.del(path, etag),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['env', env, 'applications'] });
      navigate(`/${env}/apps`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} className="panel" aria-labelledby="edit-title">
      <h2 id="edit-title">Settings</h2>
      <Field label="Application name" errors={fieldErrors(save.error, 'body.name')}>
        {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Description" errors={fieldErrors(save.error, 'body.description')}>
        {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <Field
        label="OAuth client id"
        hint="For JWT/OAuth plans: the client id (azp/client_id claim) your tokens carry."
        errors={fieldErrors(save.error, 'body.clientId')}
      >
        {(p) => <input {...p} className="mono" value={clientId} onChange={(e) => setClientId(e.target.value)} />}
      </Field>
      {save.error && fieldErrors(save.error, 'body').length === 0 ? <ErrorBanner error={save.error} /> : null}
      {save.isSuccess ? <p role="status">Saved.</p> : null}
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          Save
        </button>
        {confirming ? (
          <>
            <span>Delete this application and its subscriptions?</span>
            <button type="button" className="btn btn-danger" onClick={() => remove.mutate()}>
              Yes, delete
            </button>
            <button type="button" className="btn" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </>
        ) : (
          <button type="button" className="btn btn-danger" onClick={() => setConfirming(true)}>
            Delete application
          </button>
        )}
      </div>
      <ErrorBanner error={remove.error} />
    </form>
  );
}
