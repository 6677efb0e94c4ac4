/**
 * The list screens' building blocks (issue #14): one table (loading, empty state, header, rows, pager),
 * one status filter, and the dialogs that confirm an action or ask for a reason. Signups,
 * Subscriptions, Gateways and the invitations list are each a set of columns plus these.
 */
import { type ReactNode, useState } from 'react';
import { ApiError } from '../api';
import { Pager, type usePaged } from './paged';
import { ErrorBanner, Field, Loading, Modal } from './ui';

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  className?: string;
}

/** Actions column: its header is for screen readers only. */
export function actionsColumn<T>(cell: (row: T) => ReactNode): Column<T> {
  return { header: '', cell, className: 'row' };
}

export function DataTable<T>({
  columns,
  rowKey,
  empty,
  paged,
  label,
  rows = paged?.data?.items ?? [],
  pending = paged?.isPending ?? false,
  error = paged?.error,
}: {
  columns: Column<T>[];
  rowKey: (row: T) => string;
  empty: ReactNode;
  /** Server-side pages: rows, loading state and error come from it, and the pager shows under the table. */
  paged?: ReturnType<typeof usePaged<T>>;
  label?: string;
  rows?: T[];
  pending?: boolean;
  /** The list's load error, shown above it. */
  error?: unknown;
}) {
  return (
    <>
      <ErrorBanner error={error} />
      <div className="panel panel-flush">
        {pending ? (
          <Loading />
        ) : rows.length === 0 ? (
          empty
        ) : (
          <div className="table-wrap">
            <table aria-label={label}>
              <thead>
                <tr>
                  {columns.map((c, i) => (
                    <th key={i}>{c.header || <span className="skip">Actions</span>}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={rowKey(row)}>
                    {columns.map((c, i) => (
                      <td key={i} className={c.className}>
                        {c.cell(row)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {paged && <Pager paged={paged as never} />}
      </div>
    </>
  );
}

export function StatusFilter({
  id,
  value,
  options,
  onChange,
}: {
  id: string;
  value: string;
  options: readonly string[];
  onChange: (value: string) => void;
}) {
  return (
    <div className="toolbar">
      <div className="field">
        <label htmlFor={id}>Status</label>
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">Any</option>
          {options.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </div>
    </div>
  );
}

/**
 * Asks before an action; the action's error stays in the dialog, success closes it. `confirm` is
 * the button's text; `danger` paints it red.
 */
export function ConfirmDialog({
  title,
  confirm,
  danger,
  onConfirm,
  onClose,
  children,
}: {
  title: string;
  confirm: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children: ReactNode | ((error: unknown) => ReactNode);
}) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    try {
      await onConfirm();
      onClose();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className={danger ? 'btn btn-danger' : 'btn btn-primary'}
            disabled={busy}
            onClick={submit}
          >
            {confirm}
          </button>
        </>
      }
    >
      <ErrorBanner error={error instanceof ApiError && error.problem.errors?.length ? null : error} />
      {typeof children === 'function' ? children(error) : children}
    </Modal>
  );
}

/** An approve/reject decision with an optional reason (`body.reason`), sent by `onConfirm`. */
export function ReasonDialog({
  reasonLabel,
  onConfirm,
  children,
  ...props
}: {
  title: string;
  confirm: string;
  danger?: boolean;
  reasonLabel: string;
  onConfirm: (body: { reason?: string }) => Promise<void>;
  onClose: () => void;
  children?: ReactNode;
}) {
  const [reason, setReason] = useState('');
  return (
    <ConfirmDialog {...props} onConfirm={() => onConfirm(reason ? { reason } : {})}>
      {(error) => (
        <>
          {children}
          <Field label={reasonLabel} errors={error instanceof ApiError ? error.at('body.reason') : []}>
            {(p) => (
              <textarea {...p} rows={3} value={reason} maxLength={1000} onChange={(e) => setReason(e.target.value)} />
            )}
          </Field>
        </>
      )}
    </ConfirmDialog>
  );
}
