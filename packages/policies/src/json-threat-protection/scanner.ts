/**
 * Single-pass JSON structure scanner. It never builds the document: it walks the bytes once with an
 * explicit state machine, stopping at the first exceeded limit or syntax error, so hostile input
 * (deep nesting, huge arrays, giant strings) costs O(bytes) time and O(depth) memory — unlike
 * JSON.parse, which materialises everything first. All state lives on the instance, so input can be
 * fed in chunks as it arrives (write() per chunk, then end()).
 */

export interface JsonLimits {
  /** Deepest nesting of objects/arrays. */
  maxDepth: number;
  /** Longest object key, in characters. */
  maxKeyLength: number;
  /** Longest string value, in characters. */
  maxStringLength: number;
  /** Most elements in one array. */
  maxArraySize: number;
  /** Most members in one object. */
  maxObjectEntries: number;
}

export type ScanProblem =
  | { kind: 'limit'; limit: keyof JsonLimits; path: string; message: string }
  | { kind: 'syntax'; offset: number; message: string };

enum State {
  Value,
  ValueOrClose,
  KeyOrClose,
  Key,
  Colon,
  AfterValue,
  String,
  Escape,
  Unicode,
  Number,
  Literal,
  Done,
}

enum Num {
  Minus,
  Zero,
  Int,
  Dot,
  Frac,
  E,
  ESign,
  Exp,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LITERALS: Record<number, Uint8Array> = {
  116: new TextEncoder().encode('true'),
  102: new TextEncoder().encode('false'),
  110: new TextEncoder().encode('null'),
};
const ESCAPABLE = new Set([...'"\\/bfnrt'].map((c) => c.charCodeAt(0)));

const isWhitespace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isHex = (b: number) => isDigit(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);

export class JsonScanner {
  private state = State.Value;
  /** Per open container: object or array, members seen, current key (objects, for error paths). */
  private readonly isObject: boolean[] = [];
  private readonly counts: number[] = [];
  private readonly keys: Array<number[] | undefined> = [];
  private stringIsKey = false;
  private stringLength = 0;
  private keyBytes: number[] = [];
  private unicodeLeft = 0;
  private num = Num.Int;
  private literal: Uint8Array = LITERALS[0x74]!;
  private literalIndex = 0;
  private offset = 0;
  private problem: ScanProblem | undefined;

  constructor(private readonly limits: JsonLimits) {}

  /** Feeds the next chunk; returns the first problem (and keeps returning it). */
  write(chunk: Uint8Array): ScanProblem | undefined {
    if (this.problem) return this.problem;
    let i = 0;
    const n = chunk.length;
    while (i < n && !this.problem) {
      const b = chunk[i]!;
      switch (this.state) {
        case State.String: {
          // Hot path: consume plain string bytes without going round the outer switch.
          let j = i;
          const limit = this.stringIsKey ? this.limits.maxKeyLength : this.limits.maxStringLength;
          while (j < n) {
            const c = chunk[j]!;
            if (c === QUOTE || c === BACKSLASH || c < 0x20) break;
            // Count characters (UTF-8 lead bytes), not bytes.
            if ((c & 0xc0) !== 0x80) this.stringLength++;
            if (this.stringIsKey && this.keyBytes.length <= limit * 4) this.keyBytes.push(c);
            j++;
          }
          if (this.stringLength > limit) {
            this.fail(
              this.stringIsKey ? 'maxKeyLength' : 'maxStringLength',
              this.stringIsKey ? `key longer than ${limit} characters` : `string longer than ${limit} characters`,
            );
            break;
          }
          this.offset += j - i;
          i = j;
          if (i === n) continue;
          const c = chunk[i]!;
          if (c === QUOTE) this.endString();
          else if (c === BACKSLASH) {
            if (this.stringIsKey) this.keyBytes.push(c);
            this.state = State.Escape;
          } else this.syntax('control character in string');
          break;
        }
        case State.Escape:
          if (this.stringIsKey) this.keyBytes.push(b);
          if (b === 0x75) {
            this.unicodeLeft = 4;
            this.state = State.Unicode;
          } else if (ESCAPABLE.has(b)) this.state = State.String;
          else {
            this.syntax('invalid escape in string');
            break;
          }
          this.stringLength++;
          break;
        case State.Unicode:
          if (!isHex(b)) {
            this.syntax('invalid \\u escape in string');
            break;
          }
          if (this.stringIsKey) this.keyBytes.push(b);
          if (--this.unicodeLeft === 0) this.state = State.String;
          break;
        case State.Number:
          if (this.stepNumber(b)) break;
          // The byte ends the number: it is handled again in the state after the value.
          if (this.num !== Num.Zero && this.num !== Num.Int && this.num !== Num.Frac && this.num !== Num.Exp) {
            this.syntax('malformed number');
            break;
          }
          this.valueDone();
          continue;
        case State.Literal:
          if (b !== this.literal[this.literalIndex]) {
            this.syntax('invalid literal');
            break;
          }
          if (++this.literalIndex === this.literal.length) this.valueDone();
          break;
        default:
          if (!isWhitespace(b)) this.structural(b);
      }
      i++;
      this.offset++;
    }
    return this.problem;
  }

  /** Call after the last chunk: reports truncated input. */
  end(): ScanProblem | undefined {
    if (this.problem) return this.problem;
    if (
      this.state === State.Number &&
      this.isObject.length === 0 &&
      (this.num === Num.Zero || this.num === Num.Int || this.num === Num.Frac || this.num === Num.Exp)
    ) {
      this.state = State.Done;
    }
    if (this.state !== State.Done) this.syntax('unexpected end of input');
    return this.problem;
  }

  private structural(b: number): void {
    switch (this.state) {
      case State.Value:
        this.startValue(b);
        return;
      case State.ValueOrClose:
        if (b === 0x5d) this.close();
        else this.startValue(b);
        return;
      case State.KeyOrClose:
        if (b === 0x7d) this.close();
        else if (b === QUOTE) this.startKey();
        else this.syntax('expected a key or "}"');
        return;
      case State.Key:
        if (b === QUOTE) this.startKey();
        else this.syntax('expected a key');
        return;
      case State.Colon:
        if (b === 0x3a) this.state = State.Value;
        else this.syntax('expected ":"');
        return;
      case State.AfterValue: {
        const inObject = this.isObject[this.isObject.length - 1]!;
        if (b === 0x2c) this.state = inObject ? State.Key : State.Value;
        else if (b === 0x7d && inObject) this.close();
        else if (b === 0x5d && !inObject) this.close();
        else this.syntax(inObject ? 'expected "," or "}"' : 'expected "," or "]"');
        return;
      }
      case State.Done:
        this.syntax('unexpected data after the JSON value');
        return;
    }
  }

  private startValue(b: number): void {
    const depth = this.isObject.length;
    if (depth > 0 && !this.isObject[depth - 1]) {
      const count = ++this.counts[depth - 1]!;
      if (count > this.limits.maxArraySize) {
        this.fail('maxArraySize', `array with more than ${this.limits.maxArraySize} elements`, true);
        return;
      }
    }
    if (b === 0x7b || b === 0x5b) {
      if (depth + 1 > this.limits.maxDepth) {
        this.fail('maxDepth', `nesting deeper than ${this.limits.maxDepth}`);
        return;
      }
      this.isObject.push(b === 0x7b);
      this.counts.push(0);
      this.keys.push(undefined);
      this.state = b === 0x7b ? State.KeyOrClose : State.ValueOrClose;
    } else if (b === QUOTE) {
      this.stringIsKey = false;
      this.stringLength = 0;
      this.state = State.String;
    } else if (b === 0x2d || isDigit(b)) {
      this.num = b === 0x2d ? Num.Minus : b === 0x30 ? Num.Zero : Num.Int;
      this.state = State.Number;
    } else if (LITERALS[b]) {
      this.literal = LITERALS[b]!;
      this.literalIndex = 1;
      this.state = State.Literal;
    } else this.syntax('expected a value');
  }

  private startKey(): void {
    const top = this.isObject.length - 1;
    this.keys[top] = undefined;
    const count = ++this.counts[top]!;
    if (count > this.limits.maxObjectEntries) {
      this.fail('maxObjectEntries', `object with more than ${this.limits.maxObjectEntries} members`);
      return;
    }
    this.stringIsKey = true;
    this.stringLength = 0;
    this.keyBytes = [];
    this.state = State.String;
  }

  private endString(): void {
    if (this.stringIsKey) {
      // Decoded only if an error path needs it.
      this.keys[this.keys.length - 1] = this.keyBytes;
      this.state = State.Colon;
    } else this.valueDone();
  }

  private close(): void {
    this.isObject.pop();
    this.counts.pop();
    this.keys.pop();
    this.valueDone();
  }

  private valueDone(): void {
    this.state = this.isObject.length === 0 ? State.Done : State.AfterValue;
  }

  /** Advances the number grammar; false when `b` cannot continue the number. */
  private stepNumber(b: number): boolean {
    const digit = isDigit(b);
    switch (this.num) {
      case Num.Minus:
        if (!digit) return false;
        this.num = b === 0x30 ? Num.Zero : Num.Int;
        return true;
      case Num.Zero:
      case Num.Int:
        if (digit && this.num === Num.Int) return true;
        if (b === 0x2e) this.num = Num.Dot;
        else if (b === 0x65 || b === 0x45) this.num = Num.E;
        else return false;
        return true;
      case Num.Dot:
        if (!digit) return false;
        this.num = Num.Frac;
        return true;
      case Num.Frac:
        if (digit) return true;
        if (b !== 0x65 && b !== 0x45) return false;
        this.num = Num.E;
        return true;
      case Num.E:
        if (b === 0x2b || b === 0x2d) this.num = Num.ESign;
        else if (digit) this.num = Num.Exp;
        else return false;
        return true;
      case Num.ESign:
        if (!digit) return false;
        this.num = Num.Exp;
        return true;
      case Num.Exp:
        return digit;
    }
  }

  private fail(limit: keyof JsonLimits, message: string, excludeLastIndex = false): void {
    this.problem = { kind: 'limit', limit, path: this.path(excludeLastIndex), message };
  }

  private syntax(message: string): void {
    this.problem = { kind: 'syntax', offset: this.offset, message };
  }

  /** `body.items[3].name`: where the scanner is, for the error report. */
  private path(excludeLastIndex: boolean): string {
    let path = 'body';
    const depth = this.isObject.length;
    for (let d = 0; d < depth; d++) {
      if (this.isObject[d]) {
        // Undefined while the next key is being read: the path then ends at the object.
        const raw = this.keys[d];
        if (raw === undefined) break;
        const key = decodeKey(raw);
        path += /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
      } else {
        const index = this.counts[d]! - 1;
        if (index < 0 || (excludeLastIndex && d === depth - 1)) break;
        path += `[${index}]`;
      }
    }
    return path;
  }
}

function decodeKey(bytes: number[]): string {
  const raw = Buffer.from(bytes).toString('utf8');
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/** Scans a whole buffered body. */
export function scanJson(body: Uint8Array, limits: JsonLimits): ScanProblem | undefined {
  const scanner = new JsonScanner(limits);
  return scanner.write(body) ?? scanner.end();
}
