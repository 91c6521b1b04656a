import { describe, expect, it } from 'vitest';
import { compileGlob, parseSigmaString, sigmaStringText, type SigmaStringItem } from '../../src/sigma/glob.js';
import { rng } from './helpers.js';

/** The oracle: the textbook recursive wildcard matcher (exponential, obviously correct on short strings). */
function naiveMatch(items: readonly SigmaStringItem[], text: string): boolean {
  const pattern: (string | '*' | '?')[] = [];
  for (const it of items) {
    if ('wild' in it) pattern.push(it.wild === '*' ? '*' : '?');
    else for (const ch of it.lit) pattern.push(ch);
  }
  // Literal characters are one-character strings; wildcards are marked apart so a literal '*' stays literal.
  const wild = items.flatMap((it) => ('wild' in it ? [it.wild] : [...it.lit].map(() => '')));
  const go = (p: number, t: number): boolean => {
    if (p === pattern.length) return t === text.length;
    if (wild[p] === '*') return go(p + 1, t) || (t < text.length && go(p, t + 1));
    if (t === text.length) return false;
    if (wild[p] === '?') return go(p + 1, t + 1);
    return pattern[p] === text[t] && go(p + 1, t + 1);
  };
  return go(0, 0);
}

describe('Sigma string escapes (rules specification, "Escape Character")', () => {
  const lit = (s: string) => [{ lit: s }];
  it('reads the escape table of the specification', () => {
    // Plain backslash not followed by a wildcard: single or double.
    expect(parseSigmaString('C:\\Windows')).toEqual(lit('C:\\Windows'));
    expect(parseSigmaString('C:\\\\Windows')).toEqual(lit('C:\\Windows'));
    // A wildcard escaped is a plain character.
    expect(parseSigmaString('\\*')).toEqual(lit('*'));
    expect(parseSigmaString('\\?')).toEqual(lit('?'));
    // `\\*`: a backslash followed by a wildcard.
    expect(parseSigmaString('\\\\*')).toEqual([{ lit: '\\' }, { wild: '*' }]);
    // `\\\*`: a backslash and a plain star.
    expect(parseSigmaString('\\\\\\*')).toEqual(lit('\\*'));
    // Three or four backslashes are a double backslash.
    expect(parseSigmaString('\\\\\\\\')).toEqual(lit('\\\\'));
    expect(parseSigmaString('\\\\\\')).toEqual(lit('\\\\'));
    expect(parseSigmaString('prog?.exe')).toEqual([{ lit: 'prog' }, { wild: '?' }, { lit: '.exe' }]);
  });

  it('writes back what it reads', () => {
    const random = rng(7);
    const alphabet = ['a', '\\', '*', '?'];
    for (let i = 0; i < 2000; i++) {
      const raw = Array.from({ length: Math.floor(random() * 8) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const items = parseSigmaString(raw);
      expect(parseSigmaString(sigmaStringText(items))).toEqual(items);
    }
  });
});

describe('wildcard matcher against the naive recursive oracle', () => {
  it('agrees on random patterns and texts over a small alphabet', () => {
    const random = rng(42);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
    let matches = 0;
    for (let i = 0; i < 20_000; i++) {
      const items: SigmaStringItem[] = [];
      const n = Math.floor(random() * 7);
      for (let k = 0; k < n; k++) {
        const r = random();
        if (r < 0.25) items.push({ wild: '*' });
        else if (r < 0.4) items.push({ wild: '?' });
        else items.push({ lit: Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(['a', 'b', '*'])).join('') });
      }
      const text = Array.from({ length: Math.floor(random() * 10) }, () => pick(['a', 'b', '*'])).join('');
      const want = naiveMatch(items, text);
      if (want) matches++;
      expect(compileGlob(items).test(text), `${JSON.stringify(items)} on '${text}'`).toBe(want);
    }
    // Both outcomes are well represented.
    expect(matches).toBeGreaterThan(2000);
    expect(matches).toBeLessThan(18_000);
  });

  it('handles pieces with ? longer than one machine word (multi-word shift-and)', () => {
    const random = rng(3);
    for (let i = 0; i < 300; i++) {
      const piece = Array.from({ length: 30 + Math.floor(random() * 50) }, () => (random() < 0.2 ? '?' : random() < 0.5 ? 'a' : 'b')).join('');
      const items = [{ wild: '*' as const }, ...parseSigmaString(piece), { wild: '*' as const }];
      const text = Array.from({ length: 60 + Math.floor(random() * 60) }, () => (random() < 0.5 ? 'a' : 'b')).join('');
      // The oracle here: a direct check of every start position (the piece has no star).
      const re = new RegExp(piece.replace(/\?/g, '.'));
      expect(compileGlob(items).test(text)).toBe(re.test(text));
    }
  });

  it('folds the pattern with the function it is given (case-insensitive by default in Sigma)', () => {
    const g = compileGlob(parseSigmaString('*\\CMD.EXE'), (s) => s.toLowerCase());
    expect(g.test('c:\\windows\\system32\\cmd.exe')).toBe(true);
    expect(g.shape).toEqual({ shape: 'suffix', text: '\\cmd.exe' });
  });
});

describe('wildcard matcher cost is linear in the text', () => {
  /** Time of a plain linear pass over the same input: the yardstick the bounds are derived from. */
  function linearYardstick(text: string): number {
    const t0 = performance.now();
    let sink = 0;
    for (let r = 0; r < 3; r++) sink += text.toLowerCase().length + text.indexOf('\u0001');
    const elapsed = performance.now() - t0;
    expect(sink).not.toBe(0);
    return elapsed / 3;
  }

  it.each([
    ['a*a*a*a*a*a*a*a*b', 'a'],
    ['*a?a?a?a?a?a?a?a?a?b*', 'a'],
    ['*aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab*', 'a'],
    ['*a?????????????????????????????????????????????????????????????????????b*', 'a'],
    ['?*?*?*?*?*?*?*?*?*?*x', 'ab'],
  ])('pattern %s on 1 MB of %s', (pattern, unit) => {
    const text = unit.repeat(Math.ceil(1_000_000 / unit.length));
    const glob = compileGlob(parseSigmaString(pattern));
    const yardstick = linearYardstick(text);
    const t0 = performance.now();
    const result = glob.test(text);
    const elapsed = performance.now() - t0;
    expect(result).toBe(false);
    // A backtracking matcher needs about n² steps here (10¹² for 1 MB): hours. The bound allows a
    // constant factor of 200 over one linear pass (pieces up to 80 characters take 3 words each).
    expect(elapsed).toBeLessThan(200 * yardstick + 50);
  });
});
