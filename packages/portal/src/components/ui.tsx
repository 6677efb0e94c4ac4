/** Small building blocks. Text is always rendered as text (React escapes it); Markdown goes through renderMarkdown. */
import { Badge as SharedBadge } from '@gatehouse/ui';
import { lazy, type ReactNode, Suspense, useEffect, useState } from 'react';
import { ApiError } from '../api';

// marked + DOMPurify load with the first Markdown shown, not with the portal's entry script.
const MarkdownHtml = lazy(() => import('./MarkdownHtml'));

export { Field, fieldErrors } from '@gatehouse/ui';

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

/** Subscription "accepted" reads as "active" to consumers. */
export function Badge({ value }: { value: string }) {
  return <SharedBadge value={value} label={value === 'accepted' ? 'active' : value} />;
}

export function Markdown({ source, className = 'prose' }: { source: string | null | undefined; className?: string }) {
  if (!source) return null;
  return (
    <Suspense fallback={<div className={className} />}>
      <MarkdownHtml source={source} className={className} />
    </Suspense>
  );
}

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
