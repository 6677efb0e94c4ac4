/**
 * JSON value -> XML text with fast-xml-parser's builder. Member names that are not valid XML names
 * are made valid (invalid characters become `_`), so a JSON document can never inject markup.
 */
import { XMLBuilder } from 'fast-xml-parser';

export interface XmlWriterOptions {
  rootElement: string;
  attributePrefix: string;
  textKey: string;
  arrayItemElement: string;
  declaration: boolean;
}

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

export function xmlName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

export function createXmlWriter(options: XmlWriterOptions): (value: unknown) => string {
  const attributes = options.attributePrefix !== '';
  const builder = new XMLBuilder({
    ignoreAttributes: !attributes,
    attributeNamePrefix: options.attributePrefix,
    textNodeName: options.textKey,
    format: false,
    suppressEmptyNode: true,
    suppressBooleanAttributes: false,
  });

  // Rebuilds the value with safe names; arrays inside arrays get item elements.
  const normalize = (value: unknown): unknown => {
    if (Array.isArray(value))
      return value.map((item) =>
        Array.isArray(item) ? { [options.arrayItemElement]: normalize(item) } : normalize(item),
      );
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(value)) {
      if (name === options.textKey) out[name] = member;
      else if (attributes && name.startsWith(options.attributePrefix)) {
        const attribute = options.attributePrefix + xmlName(name.slice(options.attributePrefix.length));
        out[attribute] = member !== null && typeof member === 'object' ? JSON.stringify(member) : member;
      } else out[xmlName(name)] = normalize(member);
    }
    return out;
  };

  return (value) => {
    let root = options.rootElement;
    let content: unknown = value;
    if (root === '') {
      const members = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
      if (members.length === 1) {
        root = members[0]!;
        content = (value as Record<string, unknown>)[root];
      } else root = 'root';
    }
    if (Array.isArray(content)) content = { [options.arrayItemElement]: content };
    const xml = builder.build({ [xmlName(root)]: normalize(content) });
    return options.declaration ? DECLARATION + xml : xml;
  };
}
