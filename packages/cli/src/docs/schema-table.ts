/** Renders a JSON Schema (from TypeBox) as a flat Markdown table of field paths. */
type Schema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  patternProperties?: Record<string, Schema>;
  description?: string;
  default?: unknown;
  const?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
};

interface Row {
  path: string;
  type: string;
  required: boolean;
  defaultValue: string;
  description: string;
}

export function typeName(schema: Schema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.anyOf) {
    if (schema.anyOf.every((s) => s.const !== undefined))
      return schema.anyOf.map((s) => `\`${String(s.const)}\``).join(' \\| ');
    return schema.anyOf.map(typeName).join(' \\| ');
  }
  if (schema.type === 'array') return `${schema.items ? typeName(schema.items) : 'any'}[]`;
  if (schema.type === 'object' && schema.patternProperties && !schema.properties) {
    const value = Object.values(schema.patternProperties)[0];
    return `map<string, ${value ? typeName(value) : 'any'}>`;
  }
  if (schema.pattern?.includes('ms|s|m|h|d')) return 'duration';
  if (schema.pattern?.includes('b|kb|mb|gb')) return 'size';
  if (schema.format === 'http-url') return 'URL';
  if (schema.type) return Array.isArray(schema.type) ? schema.type.join(' \\| ') : schema.type;
  return 'any';
}

function collect(schema: Schema, path: string, required: boolean, rows: Row[]): void {
  if (path) {
    const limits = [
      schema.minimum !== undefined ? `min ${schema.minimum}` : '',
      schema.maximum !== undefined ? `max ${schema.maximum}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    rows.push({
      path,
      type: typeName(schema) + (limits ? ` (${limits})` : ''),
      required,
      defaultValue: schema.default === undefined ? '' : `\`${JSON.stringify(schema.default)}\``,
      description: (schema.description ?? '').replaceAll('|', '\\|').replaceAll('\n', ' '),
    });
  }
  if (schema.type === 'object' && schema.properties) {
    for (const [name, child] of Object.entries(schema.properties)) {
      collect(child, path ? `${path}.${name}` : name, schema.required?.includes(name) ?? false, rows);
    }
  } else if (schema.type === 'array' && schema.items?.type === 'object' && schema.items.properties) {
    for (const [name, child] of Object.entries(schema.items.properties)) {
      collect(child, `${path}[].${name}`, schema.items.required?.includes(name) ?? false, rows);
    }
  } else if (schema.anyOf) {
    const objects = schema.anyOf.filter((s) => s.type === 'object' && s.properties);
    if (objects.length === 1)
      collect({ ...objects[0]!, description: undefined } as Schema, path, required, rows.length ? rows : rows);
  }
}

export function schemaTable(schema: unknown, options: { skipPaths?: (path: string) => boolean } = {}): string {
  const rows: Row[] = [];
  collect(schema as Schema, '', true, rows);
  const visible = rows.filter((r) => !options.skipPaths?.(r.path));
  if (visible.length === 0) return '_No configuration._\n';
  const lines = ['| Field | Type | Required | Default | Description |', '| --- | --- | --- | --- | --- |'];
  for (const row of visible) {
    lines.push(
      `| \`${row.path}\` | ${row.type} | ${row.required ? 'yes' : 'no'} | ${row.defaultValue} | ${row.description} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
