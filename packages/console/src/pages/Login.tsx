import { useSignIn } from '@gatehouse/ui';
import { useNavigate } from 'react-router';
import { ApiError } from '../api';
import { ErrorBanner } from '../components/ui';

export function Login() {
  const navigate = useNavigate();
  const { submit, error, fields } = useSignIn(() => navigate('/'));
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
        {fields}
        <p className="hint">Accounts are managed by platform administrators (Users).</p>
      </form>
    </main>
  );
}
