/**
 * The `condition` of a Sigma detection: `and`, `or`, `not`, parentheses, search identifiers, and
 * `1 of x*` / `all of x*` / `1 of them` / `all of them` (also `any of`, and `N of` read as "at least
 * N"). Precedence from least to most binding: or, and, not, x of, ( ). Keywords are read in any
 * case. The old aggregation syntax (`selection | count() > 5`) is refused with a pointer to
 * correlation rules.
 */

export type ConditionNode =
  | { type: 'and' | 'or'; items: ConditionNode[] }
  | { type: 'not'; item: ConditionNode }
  | { type: 'ref'; name: string; start: number; end: number }
  | { type: 'of'; count: number | 'all'; pattern: string | 'them'; start: number; end: number };

export class ConditionError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

/** Longest condition text read. Default 16,384 characters. */
export const MAX_CONDITION_LENGTH = 16_384;
/** Deepest nesting of parentheses and `not`. */
export const MAX_CONDITION_DEPTH = 64;

interface Token {
  kind: 'word' | '(' | ')' | 'end';
  text: string;
  start: number;
  end: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ kind: c, text: c, start: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === '|') throw new ConditionError("the aggregation syntax ('| count() …') is obsolete: write a correlation rule instead", i, text.length);
    const m = /^[A-Za-z0-9_*.\-]+/.exec(text.slice(i, i + 512));
    if (!m) throw new ConditionError(`unexpected character '${c}' in the condition`, i, i + 1);
    tokens.push({ kind: 'word', text: m[0], start: i, end: i + m[0].length });
    i += m[0].length;
  }
  tokens.push({ kind: 'end', text: '', start: text.length, end: text.length });
  return tokens;
}

const RESERVED = new Set(['and', 'or', 'not', 'of', 'them', 'all', 'any']);

export function parseCondition(text: string): ConditionNode {
  if (text.length > MAX_CONDITION_LENGTH) throw new ConditionError(`the condition is longer than ${MAX_CONDITION_LENGTH} characters`, 0, 0);
  const tokens = tokenize(text);
  let pos = 0;
  let depth = 0;
  const peek = () => tokens[pos];
  const isWord = (t: Token, w: string) => t.kind === 'word' && t.text.toLowerCase() === w;
  const enter = (t: Token) => {
    if (++depth > MAX_CONDITION_DEPTH) throw new ConditionError(`the condition nests more than ${MAX_CONDITION_DEPTH} levels deep`, t.start, t.end);
  };

  const parseOr = (): ConditionNode => {
    const items = [parseAnd()];
    while (isWord(peek(), 'or')) {
      pos++;
      items.push(parseAnd());
    }
    return items.length === 1 ? items[0] : { type: 'or', items };
  };
  const parseAnd = (): ConditionNode => {
    const items = [parseNot()];
    while (isWord(peek(), 'and')) {
      pos++;
      items.push(parseNot());
    }
    return items.length === 1 ? items[0] : { type: 'and', items };
  };
  const parseNot = (): ConditionNode => {
    const t = peek();
    if (isWord(t, 'not')) {
      pos++;
      enter(t);
      const item = parseNot();
      depth--;
      return { type: 'not', item };
    }
    return parsePrimary();
  };
  const parsePrimary = (): ConditionNode => {
    const t = peek();
    if (t.kind === '(') {
      pos++;
      enter(t);
      const inner = parseOr();
      depth--;
      const close = peek();
      if (close.kind !== ')') throw new ConditionError(close.kind === 'end' ? "a '(' is never closed" : `expected ')' but found '${close.text}'`, close.kind === 'end' ? t.start : close.start, close.kind === 'end' ? t.end : close.end);
      pos++;
      return inner;
    }
    if (t.kind === 'word') {
      const lower = t.text.toLowerCase();
      const next = tokens[pos + 1];
      if ((lower === 'all' || lower === 'any' || /^\d+$/.test(lower)) && isWord(next, 'of')) {
        const target = tokens[pos + 2];
        if (target.kind !== 'word' || (RESERVED.has(target.text.toLowerCase()) && target.text.toLowerCase() !== 'them')) {
          throw new ConditionError(`'${t.text} of' must be followed by 'them' or a search identifier pattern`, target.start, Math.max(target.end, target.start + 1));
        }
        pos += 3;
        const count = lower === 'all' ? 'all' : lower === 'any' ? 1 : Number(lower);
        if (count === 0) throw new ConditionError("'0 of' is always true: write the condition without it", t.start, t.end);
        const pattern = target.text.toLowerCase() === 'them' ? 'them' : target.text;
        return { type: 'of', count, pattern, start: t.start, end: target.end };
      }
      if (RESERVED.has(lower)) throw new ConditionError(`unexpected '${t.text}'`, t.start, t.end);
      if (t.text.includes('*')) throw new ConditionError(`a wildcard identifier ('${t.text}') needs '1 of' or 'all of' before it`, t.start, t.end);
      pos++;
      return { type: 'ref', name: t.text, start: t.start, end: t.end };
    }
    if (t.kind === 'end') throw new ConditionError('the condition ends where a search identifier was expected', t.start, t.start);
    throw new ConditionError(`unexpected '${t.text}'`, t.start, t.end);
  };

  const root = parseOr();
  const rest = peek();
  if (rest.kind !== 'end') throw new ConditionError(`unexpected '${rest.text}' after a complete condition`, rest.start, rest.end);
  return root;
}

/** Whether identifier `name` matches an `x of` pattern (`*` any run). */
export function identifierMatches(pattern: string, name: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === name;
  if (!name.startsWith(parts[0])) return false;
  let pos = parts[0].length;
  const last = parts[parts.length - 1];
  for (let i = 1; i < parts.length - 1; i++) {
    const at = name.indexOf(parts[i], pos);
    if (at < 0) return false;
    pos = at + parts[i].length;
  }
  return name.length - last.length >= pos && name.endsWith(last);
}
