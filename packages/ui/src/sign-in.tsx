/** Signing in with e-mail and password, as the console and the portal both do (POST /auth/session). */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, setCsrfToken } from './api';
import { fieldErrors, InputField, useSubmit } from './forms';

/**
 * The e-mail and password fields and their submit: `then` runs once the session cookie is set and
 * the session query refreshed (each app goes where it wants). The caller shows `error` its own way.
 */
export function useSignIn(then: () => void) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const client = useQueryClient();
  const form = useSubmit(async () => {
    const answer = await api.post<{ csrfToken: string }>('/auth/session', { email, password });
    setCsrfToken(answer.csrfToken);
    await client.invalidateQueries({ queryKey: ['session'] });
    then();
  });
  const fields = (
    <>
      <InputField
        label="E-mail"
        type="email"
        autoComplete="username"
        required
        value={email}
        onChange={setEmail}
        errors={fieldErrors(form.error, 'body.email')}
      />
      <InputField
        label="Password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={setPassword}
        errors={fieldErrors(form.error, 'body.password')}
      />
      <button className="btn btn-primary btn-block" type="submit" disabled={form.busy}>
        {form.busy ? 'Signing in…' : 'Sign in'}
      </button>
    </>
  );
  return { ...form, fields };
}
