/**
 * A parser for JavaScript regular expression patterns, into the small tree the linear-time check
 * (regex-linear.ts) and the RE2 translation (regex-re2.ts) read. It takes the syntax rules are
 * written with (alternation, groups, named groups, lookaround, backreferences, quantifiers, classes,
 * escapes, with or without the `u` flag); anything else — Annex B oddities such as a lone `]`, octal
 * escapes, `\c` outside a control letter, the `v` flag — throws {@link RegexSyntaxUnsupported}, and
 * the pattern is then treated as neither provably linear nor translatable.
 *
 * Character sets are kept as sorted, disjoint [from, to] ranges of code points (of UTF-16 code units
 * without `u`).
 */

export type Ranges = readonly (readonly [number, number])[];

export type RegexNode =
  | { type: 'empty' }
  /** `positive` is the set inside a negated class (`[^…]`, `\W`…), which RE2 must fold before negating. */
  | { type: 'set'; ranges: Ranges; positive?: Ranges }
  | { type: 'seq'; items: RegexNode[] }
  | { type: 'alt'; alts: RegexNode[] }
  | { type: 'group'; capture: boolean; name?: string; body: RegexNode }
  | { type: 'look'; behind: boolean; negate: boolean; body: RegexNode }
  | { type: 'assert'; kind: '^' | '$' | 'b' | 'B' }
  | { type: 'backref'; ref: string | number }
  | { type: 'repeat'; min: number; max: number; lazy: boolean; body: RegexNode };

export interface ParsedRegex {
  root: RegexNode;
  flags: RegexFlags;
  groupCount: number;
  groupNames: string[];
}

export interface RegexFlags {
  global: boolean;
  ignoreCase: boolean;
  multiline: boolean;
  dotAll: boolean;
  unicode: boolean;
  sticky: boolean;
  hasIndices: boolean;
}

export class RegexSyntaxUnsupported extends Error {}

const MAX_CODE_POINT = 0x10ffff;
const MAX_UNIT = 0xffff;

export const DIGIT: Ranges = [[0x30, 0x39]];
export const WORD: Ranges = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
/** JavaScript's \s: WhiteSpace and LineTerminator. */
export const SPACE: Ranges = [
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029],
  [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
];
/** What `.` does not match without the `s` flag. */
export const LINE_TERMINATORS: Ranges = [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]];

export function normalize(ranges: Iterable<readonly [number, number]>): Ranges {
  const sorted = [...ranges].filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function complement(ranges: Ranges, max: number): Ranges {
  const out: [number, number][] = [];
  let next = 0;
  for (const [a, b] of ranges) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= max) out.push([next, max]);
  return out;
}

export function intersects(x: Ranges, y: Ranges): boolean {
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const [a, b] = x[i]!;
    const [c, d] = y[j]!;
    if (b < c) i++;
    else if (d < a) j++;
    else return true;
  }
  return false;
}

/**
 * A superset of the characters that match `ranges` ignoring case: each cased character's upper and
 * lower forms are added. Sets of more than 0x3000 characters are taken as every character.
 */
export function caseClosure(ranges: Ranges, max: number): Ranges {
  let size = 0;
  for (const [a, b] of ranges) size += b - a + 1;
  if (size > 0x3000) return [[0, max]];
  const extra: [number, number][] = [];
  for (const [a, b] of ranges) {
    for (let c = a; c <= b; c++) {
      const s = String.fromCodePoint(c);
      for (const t of [s.toLowerCase(), s.toUpperCase()]) {
        for (const ch of t) {
          const p = ch.codePointAt(0)!;
          extra.push([p, p]);
        }
      }
    }
  }
  // Characters whose forms map onto these (K and the Kelvin sign, s and the long s…): add the usual suspects.
  return normalize([...ranges, ...extra, ...(intersects(ranges, [[0x4b, 0x4b], [0x6b, 0x6b]]) ? [[0x212a, 0x212a] as [number, number]] : []), ...(intersects(ranges, [[0x53, 0x53], [0x73, 0x73]]) ? [[0x17f, 0x17f] as [number, number]] : [])]);
}

export function parseRegex(pattern: string, flagText: string): ParsedRegex {
  const flags: RegexFlags = { global: false, ignoreCase: false, multiline: false, dotAll: false, unicode: false, sticky: false, hasIndices: false };
  for (const f of flagText) {
    const key = ({ g: 'global', i: 'ignoreCase', m: 'multiline', s: 'dotAll', u: 'unicode', y: 'sticky', d: 'hasIndices' } as const)[f as 'g'];
    if (!key || flags[key]) throw new RegexSyntaxUnsupported(`flag '${f}'`);
    flags[key] = true;
  }
  return new Parser(pattern, flags).parse();
}

class Parser {
  private i = 0;
  private groupCount = 0;
  private readonly groupNames: string[] = [];
  private readonly max: number;

  constructor(
    private readonly src: string,
    private readonly flags: RegexFlags,
  ) {
    this.max = flags.unicode ? MAX_CODE_POINT : MAX_UNIT;
  }

  parse(): ParsedRegex {
    const root = this.alternation();
    if (this.i < this.src.length) this.fail(`unexpected '${this.src[this.i]}'`);
    return { root, flags: this.flags, groupCount: this.groupCount, groupNames: this.groupNames };
  }

  private fail(why: string): never {
    throw new RegexSyntaxUnsupported(`${why} at offset ${this.i}`);
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  private alternation(): RegexNode {
    const alts = [this.sequence()];
    while (this.peek() === '|') {
      this.i++;
      alts.push(this.sequence());
    }
    return alts.length === 1 ? alts[0]! : { type: 'alt', alts };
  }

  private sequence(): RegexNode {
    const items: RegexNode[] = [];
    while (this.i < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    if (items.length === 0) return { type: 'empty' };
    return items.length === 1 ? items[0]! : { type: 'seq', items };
  }

  private quantified(atom: RegexNode): RegexNode {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) {
        if (this.flags.unicode) this.fail('lone {');
        return atom; // Annex B: a literal '{', read as an atom next
      }
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) this.fail('quantifier out of order');
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (atom.type === 'assert' || atom.type === 'look') this.fail('quantified assertion');
    let lazy = false;
    if (this.peek() === '?') {
      lazy = true;
      this.i++;
    }
    return { type: 'repeat', min, max, lazy, body: atom };
  }

  private atom(): RegexNode {
    const c = this.src[this.i++]!;
    switch (c) {
      case '^':
        return { type: 'assert', kind: '^' };
      case '$':
        return { type: 'assert', kind: '$' };
      case '.':
        return { type: 'set', ranges: this.flags.dotAll ? [[0, this.max]] : complement(LINE_TERMINATORS, this.max) };
      case '(':
        return this.group();
      case '[':
        return this.classBody();
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
        return this.fail('nothing to repeat');
      case ')':
        return this.fail('unmatched )');
      case ']':
      case '{':
      case '}':
        if (this.flags.unicode) this.fail(`lone ${c}`);
        return this.char(c.charCodeAt(0));
      default: {
        if (this.flags.unicode) {
          const cp = this.src.codePointAt(this.i - 1)!;
          if (cp > 0xffff) this.i++;
          return this.char(cp);
        }
        return this.char(c.charCodeAt(0));
      }
    }
  }

  private char(cp: number): RegexNode {
    return { type: 'set', ranges: [[cp, cp]] };
  }

  private group(): RegexNode {
    let node: RegexNode;
    if (this.src.startsWith('?:', this.i)) {
      this.i += 2;
      node = { type: 'group', capture: false, body: this.alternation() };
    } else if (this.src.startsWith('?=', this.i) || this.src.startsWith('?!', this.i)) {
      const negate = this.src[this.i + 1] === '!';
      this.i += 2;
      node = { type: 'look', behind: false, negate, body: this.alternation() };
    } else if (this.src.startsWith('?<=', this.i) || this.src.startsWith('?<!', this.i)) {
      const negate = this.src[this.i + 2] === '!';
      this.i += 3;
      node = { type: 'look', behind: true, negate, body: this.alternation() };
    } else if (this.src.startsWith('?<', this.i)) {
      const m = /^\?<([A-Za-z_$][\w$]*)>/.exec(this.src.slice(this.i));
      if (!m) this.fail('group name');
      this.i += m[0].length;
      this.groupCount++;
      this.groupNames.push(m[1]!);
      node = { type: 'group', capture: true, name: m[1], body: this.alternation() };
    } else if (this.peek() === '?') {
      return this.fail('group modifier');
    } else {
      this.groupCount++;
      node = { type: 'group', capture: true, body: this.alternation() };
    }
    if (this.src[this.i++] !== ')') this.fail('unterminated group');
    return node;
  }

  private escape(): RegexNode {
    const c = this.src[this.i++];
    if (c === undefined) this.fail('\\ at end of pattern');
    switch (c) {
      case 'b':
        return { type: 'assert', kind: 'b' };
      case 'B':
        return { type: 'assert', kind: 'B' };
      case 'k': {
        const m = /^<([A-Za-z_$][\w$]*)>/.exec(this.src.slice(this.i));
        if (!m) this.fail('\\k without a group name');
        this.i += m[0].length;
        return { type: 'backref', ref: m[1]! };
      }
      default:
        if (c >= '1' && c <= '9') {
          const m = /^\d*/.exec(this.src.slice(this.i))!;
          this.i += m[0].length;
          return { type: 'backref', ref: Number(c + m[0]) };
        }
        if (c === 'D' || c === 'W' || c === 'S') {
          return { type: 'set', ranges: this.escapeSet(c, false), positive: this.escapeSet(c.toLowerCase(), false) };
        }
        return { type: 'set', ranges: this.escapeSet(c, false) };
    }
  }

  /** The set an escape (after the backslash) stands for, in or out of a class. */
  private escapeSet(c: string, inClass: boolean): Ranges {
    switch (c) {
      case 'd':
        return DIGIT;
      case 'D':
        return complement(DIGIT, this.max);
      case 'w':
        return WORD;
      case 'W':
        return complement(WORD, this.max);
      case 's':
        return SPACE;
      case 'S':
        return complement(SPACE, this.max);
      case 'p':
      case 'P':
        // Unicode properties: a superset will do for the linear check; the RE2 translation refuses them.
        if (!this.flags.unicode) return this.single(c.charCodeAt(0));
        {
          const m = /^\{[\w=]+\}/.exec(this.src.slice(this.i));
          if (!m) this.fail('\\p without {…}');
          this.i += m[0].length;
          throw new RegexSyntaxUnsupported('Unicode property escape');
        }
      default:
        return this.single(this.escapeChar(c, inClass));
    }
  }

  private single(cp: number): Ranges {
    return [[cp, cp]];
  }

  private escapeChar(c: string, inClass: boolean): number {
    switch (c) {
      case 'n':
        return 10;
      case 'r':
        return 13;
      case 't':
        return 9;
      case 'v':
        return 11;
      case 'f':
        return 12;
      case '0':
        if (/[0-9]/.test(this.peek() ?? '')) this.fail('octal escape');
        return 0;
      case 'c': {
        const l = this.peek();
        if (!l || !/[A-Za-z]/.test(l)) this.fail('\\c without a letter');
        this.i++;
        return l.charCodeAt(0) % 32;
      }
      case 'x': {
        const m = /^[0-9A-Fa-f]{2}/.exec(this.src.slice(this.i));
        if (!m) this.fail('\\x without two hex digits');
        this.i += 2;
        return parseInt(m[0], 16);
      }
      case 'u': {
        if (this.flags.unicode && this.peek() === '{') {
          const m = /^\{([0-9A-Fa-f]{1,6})\}/.exec(this.src.slice(this.i));
          if (!m || parseInt(m[1]!, 16) > MAX_CODE_POINT) this.fail('bad \\u{…}');
          this.i += m[0].length;
          return parseInt(m[1]!, 16);
        }
        const m = /^[0-9A-Fa-f]{4}/.exec(this.src.slice(this.i));
        if (!m) this.fail('\\u without four hex digits');
        this.i += 4;
        const unit = parseInt(m[0], 16);
        if (this.flags.unicode && unit >= 0xd800 && unit <= 0xdbff) {
          const low = /^\\u(D[C-F][0-9A-F]{2})/i.exec(this.src.slice(this.i));
          if (low) {
            this.i += 6;
            return 0x10000 + ((unit - 0xd800) << 10) + (parseInt(low[1]!, 16) - 0xdc00);
          }
        }
        return unit;
      }
      default:
        if (inClass && c === '-') return 0x2d;
        if (/[\^$\\.*+?()[\]{}|/]/.test(c)) return c.charCodeAt(0);
        if (this.flags.unicode) this.fail(`escape \\${c}`);
        if (/[0-9A-Za-z_]/.test(c)) this.fail(`identity escape \\${c}`);
        return this.src.codePointAt(this.i - 1)! > 0xffff ? this.fail('escape of a surrogate pair') : c.charCodeAt(0);
    }
  }

  private classBody(): RegexNode {
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.i++;
    }
    const ranges: (readonly [number, number])[] = [];
    while (this.peek() !== ']') {
      if (this.i >= this.src.length) this.fail('unterminated class');
      const a = this.classAtom();
      if (this.peek() === '-' && this.src[this.i + 1] !== ']' && this.i + 1 < this.src.length) {
        this.i++;
        const b = this.classAtom();
        if (a.length !== 1 || b.length !== 1 || a[0]![0] !== a[0]![1] || b[0]![0] !== b[0]![1]) {
          if (this.flags.unicode) this.fail('class range of a class escape');
          ranges.push(...a, [0x2d, 0x2d], ...b);
          continue;
        }
        if (b[0]![0] < a[0]![0]) this.fail('class range out of order');
        ranges.push([a[0]![0], b[0]![0]]);
      } else ranges.push(...a);
    }
    this.i++;
    const set = normalize(ranges);
    return negate ? { type: 'set', ranges: complement(set, this.max), positive: set } : { type: 'set', ranges: set };
  }

  private classAtom(): Ranges {
    const c = this.src[this.i++]!;
    if (c === '\\') {
      const e = this.src[this.i++];
      if (e === undefined) this.fail('\\ at end of pattern');
      if (e === 'b') return this.single(8);
      if (e >= '1' && e <= '9') this.fail('backreference in a class');
      return this.escapeSet(e, true);
    }
    if (this.flags.unicode) {
      const cp = this.src.codePointAt(this.i - 1)!;
      if (cp > 0xffff) this.i++;
      return this.single(cp);
    }
    return this.single(c.charCodeAt(0));
  }
}
