/** Sign up, verify e-mail, sign in, forgot and reset password: one small form each. */

import { ApiError, fieldErrors, InputField, useSignIn, useSubmit } from '@gatehouse/ui';
import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { portalApi } from '../api';
import { ErrorBanner, Loading, Notice } from '../components/ui';
import { useViewer } from '../session';
import { useEnvSettings } from '../settings';

type Screen = 'login' | 'signup' | 'verify' | 'forgot' | 'reset';

export default function Auth({ screen }: { screen: Screen }) {
  switch (screen) {
    case 'login':
      return <Login />;
    case 'signup':
      return <Signup />;
    case 'verify':
      return <Verify />;
    case 'forgot':
      return <Forgot />;
    case 'reset':
      return <Reset />;
  }
}

/**
 * Mailed links carry their token in the fragment (`#token=`: never sent to a server or in a
 * Referer); `?token=` is accepted too.
 */
function useLinkToken(name = 'token'): string {
  const [params] = useSearchParams();
  const { hash } = useLocation();
  return new URLSearchParams(hash.replace(/^#/, '')).get(name) ?? params.get(name) ?? '';
}

function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="auth-card">
      <h1>{title}</h1>
      {children}
    </div>
  );
}

/** Input type and autofill hint per account field (a new password on sign-up and reset alike). */
const ACCOUNT_FIELDS = {
  name: { type: 'text', autoComplete: 'name' },
  email: { type: 'email', autoComplete: 'email' },
  password: { type: 'password', autoComplete: 'new-password' },
} as const;

/** A required account field showing the server's errors for `body.<field>`. */
function AccountField({
  field,
  label,
  value,
  onChange,
  error,
}: {
  field: keyof typeof ACCOUNT_FIELDS;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error: unknown;
}) {
  return (
    <InputField
      label={label}
      {...ACCOUNT_FIELDS[field]}
      required
      value={value}
      onChange={onChange}
      errors={fieldErrors(error, `body.${field}`)}
    />
  );
}

function NoMailNotice() {
  const { settings } = useEnvSettings();
  if (settings.emailConfigured) return null;
  return (
    <Notice tone="warn">
      E-mail is not configured on this portal: sign-ups are not verified by mail and wait for an administrator's
      approval, and password resets cannot be sent. Ask the portal's administrator.
    </Notice>
  );
}

function Login() {
  const { env } = useEnvSettings();
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from;
  const { submit, error, fields } = useSignIn(() =>
    navigate(from?.startsWith(`/portal/${env}/`) ? from.slice('/portal'.length) : (from ?? `/${env}/apps`)),
  );
  return (
    <Card title="Sign in">
      <form onSubmit={submit}>
        {error && fieldErrors(error, 'body').length === 0 ? <ErrorBanner error={error} /> : null}
        {fields}
      </form>
      <p>
        <Link to={`/${env}/forgot`}>Forgot your password?</Link> · <Link to={`/${env}/signup`}>Create an account</Link>
      </p>
    </Card>
  );
}

const SIGNUP_RESULT: Record<string, string> = {
  verification_sent: 'Check your mailbox: we sent you a link to verify your e-mail address.',
  pending_approval: 'Thanks! An administrator will review your sign-up; you can sign in once it is approved.',
  active: 'Your account is ready: you can sign in now.',
};

function Signup() {
  const { env, settings } = useEnvSettings();
  const invitationParam = useLinkToken('invitation');
  const tokenParam = useLinkToken();
  const invitation = invitationParam || tokenParam;
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const { submit, error, busy } = useSubmit(async () => {
    const answer = await portalApi.signup(env, { email, password, name, ...(invitation ? { invitation } : {}) });
    setStatus(answer.status);
  });
  const { session } = useViewer(env);
  const location = useLocation();
  // An invitation for someone who already has an account (another environment's consumer): join with it.
  if (invitation && session) return <AcceptInvitation token={invitation} email={session.user.email} />;
  const hasAccount = Boolean(invitation) && error instanceof ApiError && error.status === 409;
  if (status) {
    return (
      <Card title="Sign up">
        <Notice tone="ok">{SIGNUP_RESULT[status] ?? status}</Notice>
        {status === 'active' ? <Link to={`/${env}/login`}>Sign in</Link> : null}
      </Card>
    );
  }
  return (
    <Card title="Sign up">
      <NoMailNotice />
      {settings.signup === 'invitation' && !invitation ? (
        <Notice>Sign-up on this portal is by invitation: use the link in your invitation mail.</Notice>
      ) : null}
      {settings.signup === 'approval' ? <p className="muted">New accounts are approved by an administrator.</p> : null}
      {hasAccount ? (
        <Notice>
          This address already has an account.{' '}
          <Link to={`/${env}/login`} state={{ from: `${location.pathname}${location.hash}` }}>
            Sign in to accept the invitation
          </Link>{' '}
          with it.
        </Notice>
      ) : null}
      <form onSubmit={submit}>
        {error && !hasAccount && fieldErrors(error, 'body').length === 0 ? <ErrorBanner error={error} /> : null}
        <AccountField field="name" label="Name" value={name} onChange={setName} error={error} />
        <AccountField field="email" label="E-mail" value={email} onChange={setEmail} error={error} />
        <AccountField field="password" label="Password" value={password} onChange={setPassword} error={error} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          Create account
        </button>
      </form>
      <p>
        Already have an account? <Link to={`/${env}/login`}>Sign in</Link>
      </p>
    </Card>
  );
}

function AcceptInvitation({ token, email }: { token: string; email: string }) {
  const { env, settings } = useEnvSettings();
  const client = useQueryClient();
  const navigate = useNavigate();
  const { submit, error, busy } = useSubmit(async () => {
    await portalApi.acceptInvitation(env, token);
    await client.invalidateQueries({ queryKey: ['session'] });
    navigate(`/${env}/apps`);
  });
  return (
    <Card title={`Join ${settings.name}`}>
      <p>
        You are signed in as <strong>{email}</strong>. Accept the invitation to use this portal with the same account.
      </p>
      <form onSubmit={submit}>
        <ErrorBanner error={error} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          Accept invitation
        </button>
      </form>
    </Card>
  );
}

function Verify() {
  const { env } = useEnvSettings();
  const token = useLinkToken();
  const [state, setState] = useState<{ status?: string; error?: unknown }>({});
  const started = useRef(false);
  useEffect(() => {
    // Once only (StrictMode runs effects twice; the token is single use).
    if (started.current || !token) return;
    started.current = true;
    portalApi.verify(env, token).then(
      (answer) => setState({ status: answer.status }),
      (error) => setState({ error }),
    );
  }, [env, token]);
  if (!token) return <Card title="Verify e-mail">{<Notice tone="bad">This link has no token.</Notice>}</Card>;
  if (state.error) {
    return (
      <Card title="Verify e-mail">
        <ErrorBanner error={state.error} />
        <p>The link may have expired or been used already.</p>
      </Card>
    );
  }
  if (!state.status) return <Loading label="Verifying your e-mail…" />;
  return (
    <Card title="Verify e-mail">
      <Notice tone="ok">
        {state.status === 'active'
          ? 'Your e-mail address is verified: you can sign in.'
          : 'Your e-mail address is verified. An administrator will approve your account.'}
      </Notice>
      <Link to={`/${env}/login`}>Sign in</Link>
    </Card>
  );
}

function Forgot() {
  const { env } = useEnvSettings();
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const { submit, error, busy } = useSubmit(async () => {
    await portalApi.forgot(env, email);
    setSent(true);
  });
  return (
    <Card title="Forgot password">
      <NoMailNotice />
      {sent ? (
        <Notice tone="ok">If an account exists for this address, we sent it a link to choose a new password.</Notice>
      ) : (
        <form onSubmit={submit}>
          {error && fieldErrors(error, 'body.email').length === 0 ? <ErrorBanner error={error} /> : null}
          <AccountField field="email" label="E-mail" value={email} onChange={setEmail} error={error} />
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            Send reset link
          </button>
        </form>
      )}
    </Card>
  );
}

function Reset() {
  const { env } = useEnvSettings();
  const token = useLinkToken();
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const { submit, error, busy } = useSubmit(async () => {
    await portalApi.reset(env, token, password);
    setDone(true);
  });
  if (done) {
    return (
      <Card title="Choose a new password">
        <Notice tone="ok">Your password is changed.</Notice>
        <Link to={`/${env}/login`}>Sign in</Link>
      </Card>
    );
  }
  return (
    <Card title="Choose a new password">
      {!token ? <Notice tone="bad">This link has no token: ask for a new one.</Notice> : null}
      <form onSubmit={submit}>
        {error && fieldErrors(error, 'body.password').length === 0 ? <ErrorBanner error={error} /> : null}
        <AccountField field="password" label="New password" value={password} onChange={setPassword} error={error} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy || !token}>
          Change password
        </button>
      </form>
    </Card>
  );
}
