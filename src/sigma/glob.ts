/**
 * Sigma strings: wildcards `*` (any run) and `?` (one character) with `\` escapes, and a matcher for
 * them that is linear in the length of the text — an attacker's 1 MB command line costs one pass,
 * never a backtracking search.
 *
 * How: a pattern `P0*P1*…*Pn` (each Pi a run of literal characters and `?`) matches when P0 is a
 * prefix, Pn a suffix, and P1…Pn-1 occur in order in between. Taking each middle piece at its
 * leftmost occurrence is always right (an earlier end leaves more room for the rest), so one
 * left-to-right scan decides it. A piece without `?` is found with `indexOf`; a piece with `?` with
 * the shift-and bit-parallel scan (O(text × ⌈piece/32⌉)).
 */

/** One item of a parsed Sigma string. */
export type SigmaStringItem = { lit: string } | { wild: '*' | '?' };

/**
 * Reads the escapes and wildcards of a Sigma string value, as the rules specification says: `\*`,
 * `\?` and `\\` stand for the plain characters; a backslash before anything else is itself
 * (`C:\Windows` needs no doubling); `*` and `?` are wildcards.
 */
export function parseSigmaString(raw: string): SigmaStringItem[] {
  const items: SigmaStringItem[] = [];
  let acc = '';
  const flush = () => {
    if (acc) items.push({ lit: acc });
    acc = '';
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\') {
      const next = raw[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        acc += next;
        i++;
      } else {
        acc += c;
      }
    } else if (c === '*' || c === '?') {
      flush();
      items.push({ wild: c });
    } else {
      acc += c;
    }
  }
  flush();
  return items;
}

/** Writes items back as a Sigma string (escaping what needs it): the inverse of {@link parseSigmaString}. */
export function sigmaStringText(items: readonly SigmaStringItem[]): string {
  return items.map((it) => ('wild' in it ? it.wild : it.lit.replace(/\\(?=[*?\\]|$)|[*?]/g, (m) => `\\${m}`))).join('');
}

export function hasWildcard(items: readonly SigmaStringItem[]): boolean {
  return items.some((it) => 'wild' in it);
}

export function literalOf(items: readonly SigmaStringItem[]): string {
  return items.map((it) => ('lit' in it ? it.lit : '')).join('');
}

/** A run of characters between stars; `any[i]` marks a `?` at position i. */
interface Piece {
  text: string;
  any: boolean[] | undefined;
}

/** What a pattern is, for fast paths and for index/literal extraction by callers. */
export type GlobShape =
  | { shape: 'exact'; text: string }
  | { shape: 'prefix'; text: string }
  | { shape: 'suffix'; text: string }
  | { shape: 'contains'; text: string }
  | { shape: 'any' }
  | { shape: 'glob' };

export interface CompiledGlob {
  shape: GlobShape;
  /** Whether the (already case-folded) text matches. */
  test(text: string): boolean;
}

/**
 * Compiles parsed items into a matcher; `fold` is applied to the pattern's literal characters (the
 * same fold the caller applies to the text, e.g. lower-casing for Sigma's default case-insensitive
 * match).
 */
export function compileGlob(items: readonly SigmaStringItem[], fold: (s: string) => string = (s) => s): CompiledGlob {
  // Pieces between stars; consecutive stars collapse.
  const pieces: Piece[] = [];
  let current: { text: string; any: boolean[] } = { text: '', any: [] };
  let stars = 0;
  let leadingStar = false;
  let trailingStar = false;
  let hasOne = false;
  items.forEach((it, index) => {
    if ('lit' in it) {
      const t = fold(it.lit);
      current.text += t;
      for (let k = 0; k < t.length; k++) current.any.push(false);
      trailingStar = false;
    } else if (it.wild === '?') {
      current.text += '?';
      current.any.push(true);
      hasOne = true;
      trailingStar = false;
    } else {
      if (index === 0) leadingStar = true;
      pieces.push(finishPiece(current));
      current = { text: '', any: [] };
      stars++;
      trailingStar = true;
    }
  });
  pieces.push(finishPiece(current));
  const merged: Piece[] = [pieces[0]];
  for (let i = 1; i < pieces.length; i++) {
    // Empty pieces between stars (`a**b`) carry nothing.
    if (pieces[i].text === '' && i < pieces.length - 1) continue;
    merged.push(pieces[i]);
  }
  if (stars === 0) {
    const p = merged[0];
    if (!p.any) {
      const text = p.text;
      return { shape: { shape: 'exact', text }, test: (s) => s === text };
    }
    return { shape: { shape: 'glob' }, test: (s) => s.length === p.text.length && pieceAt(p, s, 0) };
  }
  const first = merged[0];
  const last = merged[merged.length - 1];
  const middle = merged.slice(1, -1).filter((p) => p.text !== '');
  if (!hasOne && middle.length === 0) {
    if (first.text === '' && last.text === '') return { shape: { shape: 'any' }, test: () => true };
    if (first.text === '') {
      const text = last.text;
      return { shape: { shape: 'suffix', text }, test: (s) => s.endsWith(text) };
    }
    if (last.text === '') {
      const text = first.text;
      return { shape: { shape: 'prefix', text }, test: (s) => s.startsWith(text) };
    }
    const a = first.text;
    const b = last.text;
    return { shape: { shape: 'glob' }, test: (s) => s.length >= a.length + b.length && s.startsWith(a) && s.endsWith(b) };
  }
  if (!hasOne && middle.length === 1 && first.text === '' && last.text === '' && leadingStar && trailingStar) {
    const text = middle[0].text;
    return { shape: { shape: 'contains', text }, test: (s) => s.includes(text) };
  }
  const finders = middle.map(pieceFinder);
  return {
    shape: { shape: 'glob' },
    test(s) {
      if (s.length < first.text.length + last.text.length) return false;
      if (!pieceAt(first, s, 0)) return false;
      const end = s.length - last.text.length;
      if (!pieceAt(last, s, end)) return false;
      let pos = first.text.length;
      for (const find of finders) {
        const at = find(s, pos, end);
        if (at < 0) return false;
        pos = at;
      }
      return true;
    },
  };
}

function finishPiece(p: { text: string; any: boolean[] }): Piece {
  return { text: p.text, any: p.any.includes(true) ? p.any : undefined };
}

/** Whether piece `p` matches `s` at offset `at`. */
function pieceAt(p: Piece, s: string, at: number): boolean {
  const t = p.text;
  if (!p.any) return s.startsWith(t, at);
  if (at + t.length > s.length) return false;
  for (let i = 0; i < t.length; i++) if (!p.any[i] && s.charCodeAt(at + i) !== t.charCodeAt(i)) return false;
  return true;
}

/** Finds the leftmost occurrence of a piece in s[from, limit): returns the offset just after it, or -1. */
type Finder = (s: string, from: number, limit: number) => number;

function pieceFinder(p: Piece): Finder {
  const t = p.text;
  const len = t.length;
  if (!p.any) {
    return (s, from, limit) => {
      const at = s.indexOf(t, from);
      return at >= 0 && at + len <= limit ? at + len : -1;
    };
  }
  // Shift-and: bit i of the state is set when the first i+1 characters of the piece end here.
  const words = Math.ceil(len / 32);
  const anyMask = new Uint32Array(words);
  for (let i = 0; i < len; i++) if (p.any![i]) anyMask[i >>> 5] |= 1 << (i & 31);
  const masks = new Map<number, Uint32Array>();
  for (let i = 0; i < len; i++) {
    if (p.any![i]) continue;
    const c = t.charCodeAt(i);
    let m = masks.get(c);
    if (!m) {
      m = anyMask.slice();
      masks.set(c, m);
    }
    m[i >>> 5] |= 1 << (i & 31);
  }
  const lastWord = (len - 1) >>> 5;
  const lastBit = 1 << ((len - 1) & 31);
  return (s, from, limit) => {
    const state = new Uint32Array(words);
    for (let j = from; j < limit; j++) {
      const mask = masks.get(s.charCodeAt(j)) ?? anyMask;
      let carry = 1;
      for (let w = 0; w < words; w++) {
        const v = state[w];
        const next = ((v << 1) | carry) & mask[w];
        carry = v >>> 31;
        state[w] = next;
      }
      if (state[lastWord] & lastBit) return j + 1;
    }
    return -1;
  };
}
