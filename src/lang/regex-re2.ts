/**
 * Regular expressions on re2js (RE2's linear-time automata, in plain JavaScript, no eval): a
 * JavaScript pattern is parsed (regex-syntax.ts) and written out in RE2 syntax with JavaScript's
 * meaning spelled out — `\s`, `.` and classes become explicit code point sets — and
 * {@link LinearRegExp}, a RegExp whose `exec` (and `split`) run on re2js, takes its place: `test`,
 * `match`, `replace` and `split` then follow the JavaScript algorithms, `lastIndex`, `g` and `y`
 * included.
 *
 * Not translatable (the caller reports them): backreferences, lookahead and lookbehind, Unicode
 * property escapes, repeat counts above 1,000.
 *
 * Where the result may differ from JavaScript's:
 * - Without the `u` flag JavaScript matches UTF-16 code units, RE2 code points: `.` or `[^a]` match
 *   an astral character (an emoji) as one character, not two halves, and a lone surrogate is not
 *   matched by anything.
 * - With `i`, RE2 uses Unicode simple case folding where JavaScript (without `u`) upper-cases: for
 *   example `/s/i` also matches `ſ` (U+017F) and `/k/i` the Kelvin sign (U+212A) on re2js.
 * - With `m`, `^` and `$` see only `\n` as a line end (JavaScript also `\r`, U+2028, U+2029).
 * - A group inside a repetition keeps its last participating value (`/(?:(a)|b)+/` on `"ab"` gives
 *   group 1 `"a"`; JavaScript resets it to undefined at each iteration).
 * - A repetition whose body can match empty (`(a?)*`, `(x*|y)?`): JavaScript refuses an iteration
 *   that matches empty, RE2 does not, so the two may stop at different places.
 * - The `d` flag (match indices) is not supported: such a pattern is not translatable.
 */
import { RE2JS } from 're2js';
import { parseRegex, type ParsedRegex, type Ranges, type RegexNode } from './regex-syntax.js';

const MAX_RE2_REPEAT = 1000;

export class Untranslatable extends Error {}

interface Translation {
  re2: RE2JS;
  /** Name of each capture group by index (index 0 unused). */
  names: (string | undefined)[];
}

const MAX_CACHED = 512;
const cache = new Map<string, Translation>();

/** The RE2 form of a parsed JavaScript pattern; throws {@link Untranslatable}. */
export function toRe2Syntax(parsed: ParsedRegex): string {
  if (parsed.flags.hasIndices) throw new Untranslatable('the d flag');
  return new Writer(parsed).node(parsed.root);
}

function translation(source: string, flags: string): Translation {
  const key = `${flags}/${source}`;
  let found = cache.get(key);
  if (found) return found;
  const parsed = parseRegex(source, flags);
  const syntax = toRe2Syntax(parsed);
  let bits = 0;
  if (parsed.flags.ignoreCase) bits |= RE2JS.CASE_INSENSITIVE;
  if (parsed.flags.multiline) bits |= RE2JS.MULTILINE;
  let re2: RE2JS;
  try {
    re2 = RE2JS.compile(syntax, bits);
  } catch (err) {
    throw new Untranslatable(`re2js refuses it (${(err as Error).message})`);
  }
  const names: (string | undefined)[] = [undefined];
  collectNames(parsed.root, names);
  found = { re2, names };
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, found);
  return found;
}

/** Why `pattern` cannot run on re2js, or undefined when it can. */
export function re2Problem(pattern: string, flags: string): string | undefined {
  const program = re2Program(pattern, flags);
  return 'problem' in program ? program.problem : undefined;
}

/**
 * The size of the program re2js runs `pattern` as — its instructions, counted repeats written out —
 * or why it cannot run there. re2js's NFA may visit every instruction at every input character:
 * host-regex.ts estimates the work per character from it.
 */
export function re2Program(pattern: string, flags: string): { instructions: number } | { problem: string } {
  try {
    return { instructions: translation(pattern, flags).re2.programSize() };
  } catch (err) {
    return { problem: (err as Error).message };
  }
}

function collectNames(node: RegexNode, names: (string | undefined)[]): void {
  switch (node.type) {
    case 'group':
      if (node.capture) names.push(node.name);
      collectNames(node.body, names);
      return;
    case 'seq':
      node.items.forEach((n) => collectNames(n, names));
      return;
    case 'alt':
      node.alts.forEach((n) => collectNames(n, names));
      return;
    case 'repeat':
    case 'look':
      collectNames(node.body, names);
      return;
    default:
      return;
  }
}

class Writer {
  constructor(private readonly parsed: ParsedRegex) {}

  node(n: RegexNode): string {
    switch (n.type) {
      case 'empty':
        return '(?:)';
      case 'set':
        return this.set(n.ranges, n.positive);
      case 'seq':
        return n.items.map((i) => this.node(i)).join('');
      case 'alt':
        return n.alts.map((a) => this.node(a)).join('|');
      case 'group':
        if (!n.capture) return `(?:${this.node(n.body)})`;
        return n.name ? `(?P<${n.name}>${this.node(n.body)})` : `(${this.node(n.body)})`;
      case 'assert':
        return n.kind === '^' ? '^' : n.kind === '$' ? '$' : n.kind === 'b' ? '\\b' : '\\B';
      case 'look':
        throw new Untranslatable(n.behind ? 'lookbehind' : 'lookahead');
      case 'backref':
        throw new Untranslatable('a backreference');
      case 'repeat': {
        if (n.min > MAX_RE2_REPEAT || (n.max !== Infinity && n.max > MAX_RE2_REPEAT)) throw new Untranslatable(`a repeat count above ${MAX_RE2_REPEAT}`);
        const q =
          n.min === 0 && n.max === Infinity ? '*'
          : n.min === 1 && n.max === Infinity ? '+'
          : n.min === 0 && n.max === 1 ? '?'
          : n.max === Infinity ? `{${n.min},}`
          : n.min === n.max ? `{${n.min}}`
          : `{${n.min},${n.max}}`;
        return `(?:${this.node(n.body)})${q}${n.lazy ? '?' : ''}`;
      }
    }
  }

  private set(ranges: Ranges, positive: Ranges | undefined): string {
    // Under `i` RE2 folds a class's members before negating it, as JavaScript canonicalizes.
    if (this.parsed.flags.ignoreCase && positive) return `[^${this.ranges(positive)}]`;
    if (ranges.length === 0) return '[^\\x{0}-\\x{10FFFF}]';
    return `[${this.ranges(ranges)}]`;
  }

  private ranges(ranges: Ranges): string {
    let out: [number, number][] = [];
    let surrogates = 0;
    for (const [a, b] of ranges) {
      // RE2 matches code points: surrogate code units are not characters of their own.
      const lo = Math.max(a, 0xd800);
      const hi = Math.min(b, 0xdfff);
      if (lo <= hi) surrogates += hi - lo + 1;
      if (a < 0xd800) out.push([a, Math.min(b, 0xd7ff)]);
      if (b > 0xdfff) out.push([Math.max(a, 0xe000), b]);
    }
    // Without `u`, a class holding every surrogate matches astral characters (as two units): one code point here.
    if (!this.parsed.flags.unicode && surrogates === 0x800) out.push([0x10000, 0x10ffff]);
    if (this.parsed.flags.ignoreCase) {
      // Non-ASCII characters RE2 folds onto ASCII letters (JavaScript without `u` does not).
      out = out.flatMap(([a, b]) => splitOut([a, b], [0x17f, 0x212a]));
    }
    if (out.length === 0) return '^\\x{0}-\\x{10FFFF}';
    return out.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('');
  }
}

function splitOut([a, b]: [number, number], points: number[]): [number, number][] {
  let parts: [number, number][] = [[a, b]];
  for (const p of points) {
    parts = parts.flatMap(([x, y]) => (p < x || p > y ? [[x, y]] : ([[x, p - 1], [p + 1, y]] as [number, number][]).filter(([s, e]) => s <= e)));
  }
  return parts;
}

function hex(cp: number): string {
  return `\\x{${cp.toString(16)}}`;
}

function toLength(value: unknown): number {
  const n = Math.trunc(Number(value));
  return Number.isFinite(n) ? Math.max(0, n) : n > 0 ? Number.MAX_SAFE_INTEGER : 0;
}

/**
 * A RegExp that matches on re2js. Everything built on `exec` (`test`, `String.prototype.match`,
 * `replace`, `matchAll`, `search`) follows JavaScript's algorithms through the override; `split`
 * is overridden too, so that it searches forward once instead of trying a sticky match at every
 * position. Build it through `hostRegExp` (host-regex.ts), which decides when it is needed.
 */
/** Backtracking steps the built-in engine may take on a short input (about a millisecond's work). */
const SHORT_INPUT_STEPS = 2 ** 20;

/**
 * The longest input on which the built-in (backtracking) engine is certain to be cheap for a
 * pattern that is not linear: 0 when the pattern has an exponential shape (a quantified group that
 * holds a quantifier or an alternation) or a back-reference; otherwise the pattern is at most
 * polynomial, of degree at most its number of quantifiers k plus one (each quantifier is one choice
 * of split point per start position), and inputs of length n with n^(k+1) ≤ SHORT_INPUT_STEPS cost a
 * bounded amount. Short fields (a tag, a process name) then match at the built-in engine's speed,
 * and long ones — where backtracking would hurt — on re2js.
 */
export function shortInputLimit(pattern: string): number {
  const stack: { risky: boolean }[] = [];
  let lastGroupRisky = false;
  let afterGroup = false;
  let quantifiers = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 0;
      i++;
      afterGroup = false;
      continue;
    }
    if (c === '[') {
      // A character class: quantifier characters inside it are literal.
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      afterGroup = false;
      continue;
    }
    if (c === '(') {
      stack.push({ risky: false });
      afterGroup = false;
      continue;
    }
    if (c === ')') {
      lastGroupRisky = stack.pop()?.risky ?? false;
      if (lastGroupRisky && stack.length) stack[stack.length - 1]!.risky = true;
      afterGroup = true;
      continue;
    }
    const quantifier = c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)));
    if (quantifier) {
      quantifiers++;
      const repeats = c === '*' || c === '+' || c === '{';
      if (afterGroup && lastGroupRisky && repeats) return 0;
      if (stack.length && repeats) stack[stack.length - 1]!.risky = true;
      if (c === '{') i = pattern.indexOf('}', i);
      afterGroup = false;
      continue;
    }
    if (c === '|' && stack.length) stack[stack.length - 1]!.risky = true;
    afterGroup = false;
  }
  return Math.min(65_536, Math.floor(SHORT_INPUT_STEPS ** (1 / (quantifiers + 1))));
}

export class LinearRegExp extends RegExp {
  readonly #compiled: Translation;
  /** Inputs up to this length go to the built-in engine, whose work on them is bounded (see shortInputLimit). */
  readonly #shortLimit: number;
  readonly #builtin?: RegExp;

  /** `options.shortInputs: false` keeps every input on re2js (tests of re2js itself). */
  constructor(pattern: string | RegExp, flags?: string, options: { shortInputs?: boolean } = {}) {
    const source = typeof pattern === 'string' ? pattern : pattern.source;
    const flagText = flags ?? (typeof pattern === 'string' ? '' : pattern.flags);
    super(source, flagText);
    this.#compiled = translation(source, flagText);
    this.#shortLimit = options.shortInputs === false || /[gyd]/.test(flagText) ? 0 : shortInputLimit(source);
    if (this.#shortLimit > 0) this.#builtin = new RegExp(source, flagText);
  }

  /** Without `g` or `y` a test needs no groups: RE2's DFA answers it (much faster than a search with groups). */
  override test(input: string): boolean {
    if (this.global || this.sticky) return this.exec(input) !== null;
    const text = String(input);
    if (this.#builtin !== undefined && text.length <= this.#shortLimit) return this.#builtin.test(text);
    return this.#compiled.re2.test(text);
  }

  override exec(input: string): RegExpExecArray | null {
    const text = String(input);
    if (this.#builtin !== undefined && text.length <= this.#shortLimit) return this.#builtin.exec(text);
    const stateful = this.global || this.sticky;
    const start = stateful ? toLength(this.lastIndex) : 0;
    if (start > text.length) {
      if (stateful) this.lastIndex = 0;
      return null;
    }
    // The DFA says quickly when there is no match at all; only then is the slower search with groups run.
    if (start === 0 && !this.#compiled.re2.test(text)) {
      if (stateful) this.lastIndex = 0;
      return null;
    }
    const m = this.#compiled.re2.matcher(text);
    if (!m.find(start) || (this.sticky && m.start() !== start)) {
      if (stateful) this.lastIndex = 0;
      return null;
    }
    if (stateful) this.lastIndex = m.end();
    const count = m.groupCount();
    const values = new Array<string | undefined>(count + 1);
    for (let i = 0; i <= count; i++) {
      const s = m.start(i);
      values[i] = s < 0 ? undefined : text.slice(s, m.end(i));
    }
    const result = values as RegExpExecArray;
    result.index = m.start();
    result.input = text;
    const names = this.#compiled.names;
    let groups: Record<string, string | undefined> | undefined;
    for (let i = 1; i < names.length; i++) {
      const name = names[i];
      if (name === undefined) continue;
      groups ??= Object.create(null) as Record<string, string | undefined>;
      groups[name] = values[i];
    }
    result.groups = groups as RegExpExecArray['groups'];
    return result;
  }

  override [Symbol.split](input: string, limit?: number): string[] {
    const text = String(input);
    const max = limit === undefined ? 2 ** 32 - 1 : limit >>> 0;
    const out: string[] = [];
    if (max === 0) return out;
    const m = this.#compiled.re2.matcher(text);
    if (text.length === 0) return m.find(0) ? out : [text];
    let p = 0;
    let q = 0;
    while (q < text.length) {
      if (!m.find(q)) break;
      const at = m.start();
      if (at >= text.length) break;
      const end = Math.min(m.end(), text.length);
      if (end === p) {
        q = advance(text, at, this.unicode);
        continue;
      }
      out.push(text.slice(p, at));
      if (out.length === max) return out;
      p = end;
      for (let i = 1; i <= m.groupCount(); i++) {
        const s = m.start(i);
        out.push(s < 0 ? (undefined as unknown as string) : text.slice(s, m.end(i)));
        if (out.length === max) return out;
      }
      q = p;
    }
    out.push(text.slice(p));
    return out;
  }
}

function advance(text: string, index: number, unicode: boolean): number {
  if (!unicode || index + 1 >= text.length) return index + 1;
  const c = text.charCodeAt(index);
  return c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00 ? index + 2 : index + 1;
}
