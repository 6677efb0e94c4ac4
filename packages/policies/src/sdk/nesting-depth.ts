/**
 * Nesting depth of a JSON or XML body, measured on the text in one pass without recursion, before
 * anything recursive (parsers, converters, JSON.stringify) walks it: a body nested ten thousand
 * levels deep would otherwise overflow the stack (500 and a stack trace per request).
 */
import Type from 'typebox';

export const DEFAULT_MAX_BODY_DEPTH = 100;

export function MaxBodyDepthField(what: string) {
  return Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: DEFAULT_MAX_BODY_DEPTH,
      description: `Deepest nesting of ${what} accepted; a deeper request body is refused with 400 (a deeper upstream response with 502) before it is parsed.`,
    }),
  );
}

/** True when arrays and objects in `json` nest deeper than `max` (strings are skipped). */
export function jsonNestingExceeds(json: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}

/**
 * True when elements in `xml` nest deeper than `max`. Comments, CDATA, declarations and processing
 * instructions are skipped; quoted attribute values may contain `>`.
 */
export function xmlNestingExceeds(xml: string, max: number): boolean {
  let depth = 0;
  let i = xml.indexOf('<');
  while (i !== -1 && i < xml.length) {
    const next = xml[i + 1];
    let end: number;
    if (xml.startsWith('<!--', i)) end = endOf(xml, '-->', i + 4);
    else if (xml.startsWith('<![CDATA[', i)) end = endOf(xml, ']]>', i + 9);
    else if (next === '?') end = endOf(xml, '?>', i + 2);
    else if (next === '!') end = endOf(xml, '>', i + 2);
    else if (next === '/') {
      depth--;
      end = endOf(xml, '>', i + 2);
    } else {
      end = tagEnd(xml, i + 1);
      if (end === -1) return false; // unterminated: the parser reports it
      if (xml[end - 2] !== '/' && ++depth > max) return true;
    }
    if (end === -1) return false;
    i = xml.indexOf('<', end);
  }
  return false;
}

/** Index just past `marker` found from `from`, or -1. */
function endOf(text: string, marker: string, from: number): number {
  const at = text.indexOf(marker, from);
  return at === -1 ? -1 : at + marker.length;
}

/** Index just past the `>` closing a start tag, honouring quoted attribute values; -1 if none. */
function tagEnd(xml: string, from: number): number {
  let quote = '';
  for (let i = from; i < xml.length; i++) {
    const c = xml[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i + 1;
  }
  return -1;
}
