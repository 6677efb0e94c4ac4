import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { ApiError, api, setCsrfToken } from '../api';
import { ErrorBanner, Field } from '../components/ui';

export function Login() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const client = useQueryClient();
  const navigate = useNavigate();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<{ csrfToken: string }>('/auth/session', { email, password });
      setCsrfToken(answer.csrfToken);
      await client.invalidateQueries({ queryKey: ['session'] });
      navigate('/');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const fieldErrors = (path: string) => (error instanceof ApiError ? error.at(path) : []);
  return (
    <main className="login-page">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand brand-dark">
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <rect width="32" height="32" rx="6" fill="#1f4e8c" />
            <path d="M8 24V12l8-5 8 5v12h-5v-7h-6v7z" fill="#fff" />
          </svg>
          <span>Gatehouse</span>
        </div>
        <h1 id="login-title">Sign in to the console</h1>
        {error instanceof ApiError && error.status !== 400 ? <ErrorBanner error={error} /> : null}
        <Field label="E-mail" errors={fieldErrors('body.email')}>
          {(p) => (
            <input
              {...p}
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label="Password" errors={fieldErrors('body.password')}>
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <button className="btn btn-primary btn-block" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="hint">Accounts are managed by platform administrators (Users).</p>
      </form>
    </main>
  );
}
