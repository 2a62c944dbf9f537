/**
 * A number written with a fraction or an exponent ("2.0", "1e3"). JSON.parse would make it the integer 2 or 1000;
 * the reference reader (serde_json into usize) refuses it as a shape entry or offset, so we keep it apart.
 */
export class NonIntegerLiteral {
  constructor(readonly text: string) {}
}

/** A parsed value. Objects are Maps: they keep every key's order (JSON.parse moves "0", "1", … first) and "__proto__" is a plain key. */
export type StrictJson = null | boolean | number | string | NonIntegerLiteral | StrictJson[] | Map<string, StrictJson>;

export class StrictJsonError extends Error {
  override name = 'StrictJsonError';
}

/** serde_json's default recursion limit. */
const MAX_DEPTH = 128;
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const PLAIN_CHARS = /[^"\\\u0000-\u001f]*/y;
const HEX4 = /[0-9a-fA-F]{4}/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Parses RFC 8259 JSON as strictly as serde_json does, and stricter where the safetensors format says so:
 * a key twice in one object is an error, and so is an escaped surrogate without its pair.
 */
export function parseStrictJson(text: string): StrictJson {
  const p = new Parser(text);
  const value = p.value(0);
  p.skipWhitespace();
  if (p.pos < text.length) p.fail('unexpected text after the value');
  return value;
}

class Parser {
  pos = 0;

  constructor(private readonly text: string) {}

  fail(what: string): never {
    throw new StrictJsonError(`${what} at character ${this.pos}`);
  }

  skipWhitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos++;
    }
  }

  value(depth: number): StrictJson {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(c)}`);
  }

  private object(depth: number): Map<string, StrictJson> {
    const out = new Map<string, StrictJson>();
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail('expected a key in double quotes');
      const keyAt = this.pos;
      const key = this.string();
      if (out.has(key)) {
        this.pos = keyAt;
        this.fail(`the key ${JSON.stringify(key)} appears twice`);
      }
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      out.set(key, this.value(depth + 1));
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === '}') return out;
      if (next !== ',') {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
    }
  }

  private array(depth: number): StrictJson[] {
    const out: StrictJson[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === ']') return out;
      if (next !== ',') {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  private number(): number | NonIntegerLiteral {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) this.fail('malformed number');
    this.pos += m[0].length;
    return m[1] !== undefined || m[2] !== undefined ? new NonIntegerLiteral(m[0]) : Number(m[0]);
  }

  private string(): string {
    const t = this.text;
    this.pos++;
    let out = '';
    for (;;) {
      PLAIN_CHARS.lastIndex = this.pos;
      const run = PLAIN_CHARS.exec(t)![0];
      out += run;
      this.pos += run.length;
      const c = t[this.pos];
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === undefined) this.fail('unterminated string');
      if (c !== '\\') this.fail('unescaped control character in a string');
      const e = t[this.pos + 1];
      if (e === 'u') {
        const unit = this.hex4(this.pos + 2);
        this.pos += 6;
        if (unit >= 0xdc00 && unit <= 0xdfff) this.fail('an escaped low surrogate without its high surrogate');
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low = t.startsWith('\\u', this.pos) ? this.hex4(this.pos + 2) : -1;
          if (low < 0xdc00 || low > 0xdfff) this.fail('an escaped high surrogate without its low surrogate');
          this.pos += 6;
          out += String.fromCharCode(unit, low);
        } else {
          out += String.fromCharCode(unit);
        }
        continue;
      }
      const plain = e === undefined ? undefined : ESCAPES[e];
      if (plain === undefined) this.fail('invalid escape in a string');
      out += plain;
      this.pos += 2;
    }
  }

  private hex4(at: number): number {
    HEX4.lastIndex = at;
    const m = HEX4.exec(this.text);
    if (!m) {
      this.pos = at;
      this.fail('invalid \\u escape');
    }
    return parseInt(m[0], 16);
  }
}
