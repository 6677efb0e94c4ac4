/**
 * Edits a raw query string pair by pair so untouched pairs keep their exact bytes: re-serializing
 * through URLSearchParams would turn `%20` into `+` and `flag` into `flag=`, which upstreams that
 * sign or compare query strings notice.
 */
interface Pair {
  raw: string;
  name: string;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

export function encodePair(name: string, value: string): string {
  return `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
}

export class RawQuery {
  private pairs: Pair[];

  constructor(rawQuery: string) {
    this.pairs = rawQuery
      .split('&')
      .filter((raw) => raw !== '')
      .map((raw) => ({ raw, name: decodeComponent(raw.split('=', 1)[0]!) }));
  }

  remove(name: string): void {
    this.pairs = this.pairs.filter((pair) => pair.name !== name);
  }

  set(name: string, value: string): void {
    const replacement: Pair = { raw: encodePair(name, value), name };
    const first = this.pairs.findIndex((pair) => pair.name === name);
    if (first < 0) {
      this.pairs.push(replacement);
      return;
    }
    this.pairs = this.pairs.filter((pair, index) => pair.name !== name || index === first);
    this.pairs[first] = replacement;
  }

  add(name: string, value: string): void {
    this.pairs.push({ raw: encodePair(name, value), name });
  }

  toString(): string {
    return this.pairs.map((pair) => pair.raw).join('&');
  }
}
