/** Small building blocks. Text is always rendered as text (React escapes it); Markdown goes through renderMarkdown. */
import { lazy, type ReactNode, Suspense, useEffect, useId, useState } from 'react';
import { ApiError } from '../api';

// marked + DOMPurify load with the first Markdown shown, not with the portal's entry script.
const MarkdownHtml = lazy(() => import('./MarkdownHtml'));

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      {label}
    </p>
  );
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = (error.problem.errors ?? []).map((e) => `${e.path.replace(/^body\./, '')}: ${e.message}`);
    return [error.problem.detail ?? error.problem.title, ...fields].join(' — ');
  }
  return error instanceof Error ? error.message : String(error);
}

export function ErrorBanner({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div className="banner banner-bad" role="alert">
      {describeError(error)}
    </div>
  );
}

export function Notice({ tone = 'info', children }: { tone?: 'info' | 'ok' | 'warn' | 'bad'; children: ReactNode }) {
  return (
    <div className={`banner banner-${tone}`} role={tone === 'bad' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

const TONES: Record<string, string> = {
  active: 'ok',
  accepted: 'ok',
  pending: 'warn',
  expiring: 'warn',
  deprecated: 'warn',
  rejected: 'bad',
  revoked: 'bad',
  closed: 'muted',
  expired: 'muted',
};

/** Subscription "accepted" reads as "active" to consumers. */
export function Badge({ value }: { value: string }) {
  const label = value === 'accepted' ? 'active' : value;
  return <span className={`badge badge-${TONES[value] ?? 'muted'}`}>{label}</span>;
}

export function Markdown({ source, className = 'prose' }: { source: string | null | undefined; className?: string }) {
  if (!source) return null;
  return (
    <Suspense fallback={<div className={className} />}>
      <MarkdownHtml source={source} className={className} />
    </Suspense>
  );
}

export function Field({
  label,
  hint,
  errors = [],
  children,
}: {
  label: string;
  hint?: string;
  errors?: string[];
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : '', errors.length ? `${id}-err` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-describedby': describedBy || undefined, 'aria-invalid': errors.length ? true : undefined })}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {errors.length > 0 && (
        <p className="field-error" id={`${id}-err`}>
          {errors.join('; ')}
        </p>
      )}
    </div>
  );
}

export const fieldErrors = (error: unknown, path: string) => (error instanceof ApiError ? error.at(path) : []);

export function useDebounced<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setCurrent(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return current;
}

export function formatNumber(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}
