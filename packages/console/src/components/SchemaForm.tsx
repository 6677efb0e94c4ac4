/**
 * A form generated from a policy's JSON Schema (the one the gateway validates with): one control
 * per property, its description as hint, its default as placeholder, nested objects as fieldsets,
 * anything without a natural control (unions, arrays of objects) as a JSON text area.
 * `errorsAt(path)` gives the server's or the local check's messages for a property path.
 */
import { useEffect, useState } from 'react';
import type { JsonSchema } from '../types';
import { Field } from './ui';

type Value = Record<string, unknown>;

function constOptions(schema: JsonSchema): unknown[] | null {
  if (schema.enum) return schema.enum;
  if (schema.anyOf?.length && schema.anyOf.every((s) => 'const' in s)) return schema.anyOf.map((s) => s.const);
  return null;
}

function kindOf(schema: JsonSchema): 'select' | 'boolean' | 'number' | 'string' | 'lines' | 'object' | 'json' {
  if (constOptions(schema)) return 'select';
  if (schema.type === 'boolean') return 'boolean';
  if (schema.type === 'integer' || schema.type === 'number') return 'number';
  if (schema.type === 'string') return 'string';
  if (schema.type === 'array' && schema.items && (schema.items.type === 'string' || constOptions(schema.items)))
    return 'lines';
  if (schema.type === 'object' && schema.properties && Object.keys(schema.properties).length > 0) return 'object';
  return 'json';
}

const humanize = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
const stripTicks = (text?: string) => text?.replace(/`/g, '') ?? '';

/** Local check of what a form can get wrong (required, bounds, patterns); the server checks again. */
export function checkAgainstSchema(schema: JsonSchema, value: unknown, path = ''): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (value === undefined || value === null) return problems;
  const kind = kindOf(schema);
  if (kind === 'object' && typeof value === 'object') {
    const v = value as Value;
    for (const name of schema.required ?? []) {
      if (v[name] === undefined || v[name] === '') problems.push({ path: join(path, name), message: 'is required' });
    }
    for (const [name, sub] of Object.entries(schema.properties ?? {})) {
      problems.push(...checkAgainstSchema(sub, v[name], join(path, name)));
    }
  } else if (kind === 'number' && typeof value === 'number') {
    if (schema.type === 'integer' && !Number.isInteger(value))
      problems.push({ path, message: 'must be a whole number' });
    if (schema.minimum !== undefined && value < schema.minimum)
      problems.push({ path, message: `must be ≥ ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum)
      problems.push({ path, message: `must be ≤ ${schema.maximum}` });
  } else if (kind === 'string' && typeof value === 'string' && schema.pattern) {
    try {
      if (!new RegExp(schema.pattern, 'u').test(value)) problems.push({ path, message: 'has the wrong format' });
    } catch {
      // A pattern JS cannot compile is left to the server.
    }
  }
  return problems;
}

const join = (base: string, name: string) => (base ? `${base}.${name}` : name);

interface Props {
  schema: JsonSchema;
  value: Value;
  onChange: (value: Value) => void;
  errorsAt: (path: string) => string[];
  path?: string;
  disabled?: boolean;
}

export function SchemaForm({ schema, value, onChange, errorsAt, path = '', disabled }: Props) {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return <p className="muted">This policy has no settings.</p>;
  const required = new Set(schema.required ?? []);
  const set = (name: string, next: unknown) => {
    const copy = { ...value };
    if (next === undefined) delete copy[name];
    else copy[name] = next;
    onChange(copy);
  };
  return (
    <>
      {properties.map(([name, sub]) => (
        <Property
          key={name}
          name={name}
          schema={sub}
          required={required.has(name)}
          value={value[name]}
          onChange={(next) => set(name, next)}
          errorsAt={errorsAt}
          path={join(path, name)}
          disabled={disabled}
        />
      ))}
    </>
  );
}

function Property({
  name,
  schema,
  required,
  value,
  onChange,
  errorsAt,
  path,
  disabled,
}: {
  name: string;
  schema: JsonSchema;
  required: boolean;
  value: unknown;
  onChange: (v: unknown) => void;
  errorsAt: (path: string) => string[];
  path: string;
  disabled?: boolean;
}) {
  const kind = kindOf(schema);
  const label = `${humanize(name)}${required ? ' *' : ''}`;
  const hint = stripTicks(schema.description);
  const errors = errorsAt(path);
  const placeholder = schema.default !== undefined ? `default: ${JSON.stringify(schema.default)}` : undefined;

  if (kind === 'object') {
    return (
      <fieldset>
        <legend>{label}</legend>
        {hint && <p className="hint">{hint}</p>}
        <SchemaForm
          schema={schema}
          value={(value as Value) ?? {}}
          onChange={(v) => onChange(Object.keys(v).length ? v : undefined)}
          errorsAt={errorsAt}
          path={path}
          disabled={disabled}
        />
      </fieldset>
    );
  }
  if (kind === 'boolean') {
    const checked = (value as boolean | undefined) ?? (schema.default as boolean | undefined) ?? false;
    return (
      <Field label={label} hint={hint} errors={errors}>
        {(p) => (
          <select
            {...p}
            disabled={disabled}
            value={value === undefined ? '' : String(value)}
            onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value === 'true')}
          >
            <option value="">{`Default (${checked ? 'yes' : 'no'})`}</option>
            <option value="true">Yes</option>
            <option value="false">No</option>
          </select>
        )}
      </Field>
    );
  }
  if (kind === 'select') {
    const options = constOptions(schema)!;
    return (
      <Field label={label} hint={hint} errors={errors}>
        {(p) => (
          <select
            {...p}
            disabled={disabled}
            value={value === undefined ? '' : JSON.stringify(value)}
            onChange={(e) => onChange(e.target.value === '' ? undefined : JSON.parse(e.target.value))}
          >
            <option value="">{schema.default !== undefined ? `Default (${String(schema.default)})` : 'Choose…'}</option>
            {options.map((o) => (
              <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
                {String(o)}
              </option>
            ))}
          </select>
        )}
      </Field>
    );
  }
  if (kind === 'number') {
    return (
      <Field label={label} hint={hint} errors={errors}>
        {(p) => (
          <input
            {...p}
            type="number"
            disabled={disabled}
            step={schema.type === 'integer' ? 1 : 'any'}
            min={schema.minimum}
            max={schema.maximum}
            placeholder={placeholder}
            value={value === undefined ? '' : String(value)}
            onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
          />
        )}
      </Field>
    );
  }
  if (kind === 'string') {
    return (
      <Field label={label} hint={hint} errors={errors}>
        {(p) => (
          <input
            {...p}
            disabled={disabled}
            placeholder={placeholder}
            value={(value as string | undefined) ?? ''}
            onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
          />
        )}
      </Field>
    );
  }
  if (kind === 'lines') {
    return (
      <Field label={label} hint={`${hint} One per line.`} errors={errors}>
        {(p) => (
          <LinesInput {...p} disabled={disabled} value={(value as string[] | undefined) ?? []} onChange={onChange} />
        )}
      </Field>
    );
  }
  return (
    <Field label={`${label} (JSON)`} hint={hint} errors={errors}>
      {(p) => <JsonInput {...p} disabled={disabled} value={value} onChange={onChange} />}
    </Field>
  );
}

function LinesInput({
  value,
  onChange,
  ...rest
}: {
  value: string[];
  onChange: (v: unknown) => void;
  id: string;
  disabled?: boolean;
}) {
  const [text, setText] = useState(value.join('\n'));
  return (
    <textarea
      {...rest}
      rows={3}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        const lines = e.target.value
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean);
        onChange(lines.length ? lines : undefined);
      }}
    />
  );
}

function JsonInput({
  value,
  onChange,
  ...rest
}: {
  value: unknown;
  onChange: (v: unknown) => void;
  id: string;
  disabled?: boolean;
}) {
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value, null, 2));
  const [bad, setBad] = useState(false);
  useEffect(() => setBad(false), []);
  return (
    <>
      <textarea
        {...rest}
        rows={4}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() === '') {
            setBad(false);
            onChange(undefined);
            return;
          }
          try {
            onChange(JSON.parse(e.target.value));
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
      />
      {bad && <span className="field-error">Not valid JSON yet.</span>}
    </>
  );
}
