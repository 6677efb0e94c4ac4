/** Form pieces both apps use: a labelled field with the server's messages for its path, a submit with busy state. */
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { ApiError } from './api';

interface FieldProps {
  label: string;
  hint?: ReactNode;
  errors?: string[];
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}

/** A labelled control with its hint and the server's messages for its field path. */
export function Field({ label, hint, errors = [], children }: FieldProps) {
  const id = useId();
  const describedBy = hint || errors.length ? `${id}-desc` : undefined;
  return (
    <div className={`field${errors.length ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': errors.length > 0 || undefined })}
      {describedBy && (
        <div id={describedBy} className="field-desc">
          {errors.map((e) => (
            <div className="field-error" key={e}>
              {e}
            </div>
          ))}
          {hint && <div className="hint">{hint}</div>}
        </div>
      )}
    </div>
  );
}

/** The problem's messages at a field path (`body.email`), or under it. */
export const fieldErrors = (error: unknown, path: string) => (error instanceof ApiError ? error.at(path) : []);

/** One text-like input in a Field: the common case of every sign-in and sign-up form. */
export function InputField({
  label,
  value,
  onChange,
  errors,
  hint,
  ...input
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  errors?: string[];
  hint?: ReactNode;
  type?: string;
  autoComplete?: string;
  required?: boolean;
}) {
  return (
    <Field label={label} errors={errors} hint={hint}>
      {(p) => <input {...p} {...input} value={value} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}

/** A form whose submit runs `action`, with busy state and the error kept for display. */
export function useSubmit(action: () => Promise<void>) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { submit, error, busy };
}
