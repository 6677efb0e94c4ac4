/** My applications: list and create. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { type Application, api, envPath } from '../api';
import { RequireMember } from '../components/RequireMember';
import { ErrorBanner, Field, fieldErrors, Loading } from '../components/ui';
import { useEnvSettings } from '../settings';

export default function Applications() {
  return (
    <RequireMember>
      <ApplicationList />
    </RequireMember>
  );
}

export function useApplications(env: string) {
  return useQuery({
    queryKey: ['env', env, 'applications'],
    queryFn: () => api.get<{ items: Application[] }>(`${envPath(env)}/applications`, { limit: 100 }),
  });
}

function ApplicationList() {
  const { env } = useEnvSettings();
  const apps = useApplications(env);
  const client = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const create = useMutation({
    mutationFn: () =>
      api.post<Application>(`${envPath(env)}/applications`, { name, ...(description ? { description } : {}) }),
    onSuccess: async (app) => {
      await client.invalidateQueries({ queryKey: ['env', env, 'applications'] });
      navigate(`/${env}/apps/${app.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <>
      <h1>My applications</h1>
      {apps.isPending ? <Loading /> : null}
      <ErrorBanner error={apps.error} />
      {apps.data ? (
        apps.data.items.length === 0 ? (
          <p>You have no applications yet.</p>
        ) : (
          <ul className="cards">
            {apps.data.items.map((a) => (
              <li key={a.id} className="card">
                <h2 className="card-title">
                  <Link to={`/${env}/apps/${a.id}`}>{a.name}</Link>
                </h2>
                {a.description ? <p className="card-text">{a.description}</p> : null}
              </li>
            ))}
          </ul>
        )
      ) : null}
      <form onSubmit={submit} className="panel" aria-labelledby="new-app-title">
        <h2 id="new-app-title">New application</h2>
        <Field label="Application name" errors={fieldErrors(create.error, 'body.name')}>
          {(p) => <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Description (optional)" errors={fieldErrors(create.error, 'body.description')}>
          {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        {create.error && fieldErrors(create.error, 'body').length === 0 ? <ErrorBanner error={create.error} /> : null}
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          Create application
        </button>
      </form>
    </>
  );
}
