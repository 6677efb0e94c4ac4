/** XML text -> JSON value with fast-xml-parser, after a well-formedness check (the parser itself is lenient). */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { XmlToJsonConfig } from './schema.js';

export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

// The parser refuses these names outright (prototype pollution); rename them like its other risky names.
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);
const safeName = (name: string) => (RESERVED.has(name) ? `__${name}` : name);

export function createXmlReader(config: XmlToJsonConfig): (xml: string) => unknown {
  const alwaysArray = new Set(config.arrayElements);
  const parser = new XMLParser({
    ignoreAttributes: !config.attributes,
    attributeNamePrefix: config.attributePrefix,
    textNodeName: config.textKey,
    parseTagValue: config.typedValues,
    parseAttributeValue: config.typedValues,
    numberParseOptions: { hex: false, leadingZeros: false, eNotation: true },
    removeNSPrefix: config.removeNamespacePrefixes,
    ignoreDeclaration: true,
    ignorePiTags: true,
    trimValues: true,
    transformTagName: safeName,
    transformAttributeName: safeName,
    isArray: (name, _path, _isLeaf, isAttribute) => !isAttribute && alwaysArray.has(name),
  });
  return (xml) => {
    const check = XMLValidator.validate(xml);
    if (check !== true) throw new XmlSyntaxError(check.err.msg, check.err.line);
    try {
      return parser.parse(xml);
    } catch (error) {
      throw new XmlSyntaxError((error as Error).message);
    }
  };
}
