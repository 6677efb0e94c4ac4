/**
 * Try it: pick an operation of the API's OpenAPI document, fill its parameters and body, and send
 * it from the browser through the real gateway (settings.tryItBaseUrl; the server puts it in the
 * document's `servers`). The consumer's key is pre-filled when it was created in this tab.
 */
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { portalApi } from '../api';
import { ApiFrame, usePortalApi } from '../components/ApiFrame';
import { ErrorBanner, Field, Loading, Notice } from '../components/ui';
import { rememberedKey } from '../session';
import { useEnvSettings } from '../settings';
import { buildRequest, operationsOf } from './try-request';

export default function TryIt() {
  return <ApiFrame>{() => <TryBody />}</ApiFrame>;
}

interface Answer {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
  ms: number;
}

function TryBody() {
  const { env, slug } = usePortalApi();
  const { settings } = useEnvSettings();
  const doc = useQuery({
    queryKey: ['portal', env, 'api', slug, 'openapi'],
    queryFn: () => portalApi.openapi(env, slug),
    staleTime: 60_000,
  });
  const operations = useMemo(() => (doc.data ? operationsOf(doc.data) : []), [doc.data]);
  const [opId, setOpId] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [body, setBody] = useState<string | null>(null);
  const [keyHeader, setKeyHeader] = useState('X-Api-Key');
  const [key, setKey] = useState(() => rememberedKey(env, slug));
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (doc.isPending) return <Loading />;
  if (doc.error) return <ErrorBanner error={doc.error} />;
  const base = doc.data.servers?.[0]?.url ?? '';
  if (!settings.tryItBaseUrl || !base) {
    return <Notice tone="warn">Try it is not set up for this portal (no gateway address configured).</Notice>;
  }
  const op = operations.find((o) => o.id === opId) ?? operations[0];
  if (!op) return <p>The API reference lists no operations.</p>;

  const send = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setAnswer(null);
    const request = buildRequest(base, op, values, { header: keyHeader, key }, body ?? op.bodyExample);
    if (typeof request === 'string') {
      setError(new Error(request));
      return;
    }
    setBusy(true);
    const started = performance.now();
    try {
      const response = await fetch(request.url, { ...request.init, credentials: 'omit', mode: 'cors' });
      const text = await response.text();
      setAnswer({
        status: response.status,
        statusText: response.statusText,
        headers: [...response.headers.entries()],
        body: text.length > 200_000 ? `${text.slice(0, 200_000)}\n… (cut)` : text,
        ms: Math.round(performance.now() - started),
      });
    } catch (e) {
      setError(
        new Error(
          `The request did not reach the gateway (${e instanceof Error ? e.message : String(e)}). The API needs a CORS policy that allows this portal's origin.`,
        ),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="try-title">
      <h2 id="try-title">Try it</h2>
      <form onSubmit={send} className="try-form">
        <Field label="Operation">
          {(p) => (
            <select
              {...p}
              value={op.id}
              onChange={(e) => {
                setOpId(e.target.value);
                setValues({});
                setBody(null);
                setAnswer(null);
              }}
            >
              {operations.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.id}
                  {o.summary ? ` — ${o.summary}` : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="row">
          <Field label="Key header">
            {(p) => <input {...p} value={keyHeader} onChange={(e) => setKeyHeader(e.target.value)} />}
          </Field>
          <Field label="API key" hint="Your key is pre-filled when you created it in this tab; it is never stored.">
            {(p) => (
              <input {...p} type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} />
            )}
          </Field>
        </div>
        {op.parameters.map((param) => {
          const name = `${param.in}:${param.name}`;
          return (
            <Field
              key={name}
              label={`${param.name} (${param.in}${param.required ? ', required' : ''})`}
              hint={param.description}
            >
              {(p) => (
                <input
                  {...p}
                  required={param.required}
                  value={values[name] ?? ''}
                  placeholder={String(param.example ?? param.schema?.example ?? param.schema?.default ?? '')}
                  onChange={(e) => setValues({ ...values, [name]: e.target.value })}
                />
              )}
            </Field>
          );
        })}
        {op.hasBody ? (
          <Field label="Body (JSON)">
            {(p) => (
              <textarea
                {...p}
                rows={8}
                className="mono"
                value={body ?? op.bodyExample}
                onChange={(e) => setBody(e.target.value)}
              />
            )}
          </Field>
        ) : null}
        <p className="muted">
          Sends <code>{op.method}</code> to <code>{base}</code>
        </p>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Sending…' : 'Send request'}
        </button>
      </form>
      <ErrorBanner error={error} />
      {answer ? (
        <section aria-labelledby="answer-title" className="answer">
          <h3 id="answer-title">
            Response: <span data-testid="try-status">{answer.status}</span> {answer.statusText}{' '}
            <span className="muted">({answer.ms} ms)</span>
          </h3>
          <h4>Headers</h4>
          <dl className="headers">
            {answer.headers.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
          <h4>Body</h4>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable) */}
          <pre className="mono response-body" data-testid="try-body" tabIndex={0}>
            {answer.body}
          </pre>
        </section>
      ) : null}
    </section>
  );
}
