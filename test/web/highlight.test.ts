import { describe, expect, it } from 'vitest';
import { tokenize } from '../../src/lang/index.js';
import { applyMarkers, highlight, segmentLines, tokenSegments } from '../../web/lib/highlight.js';
import { jsPieces } from '../../web/lib/js-highlight.js';
import type { Marker } from '../../web/lib/markers.js';

const RULE = 'RULE "a"\nSOURCES kind = "auth"\nWITHIN 1:min\nSINK function (e) { return e; }';

function covers(text: string, segs: { start: number; end: number }[]) {
  let pos = 0;
  for (const s of segs) {
    expect(s.start).toBe(pos);
    expect(s.end).toBeGreaterThan(s.start);
    pos = s.end;
  }
  expect(pos).toBe(text.length);
}

describe('highlighting: tokens → segments', () => {
  it('covers the text without gaps or overlaps and classes each VGL token', () => {
    const segs = tokenSegments(RULE, tokenize(RULE));
    covers(RULE, segs);
    const at = (s: string) => segs.find((x) => RULE.slice(x.start, x.end) === s)?.kind;
    expect(at('RULE')).toBe('tok-keyword');
    expect(at('"a"')).toBe('tok-string');
    expect(at('kind')).toBe('tok-identifier');
    expect(at('1')).toBe('tok-number');
    expect(at('min')).toBe('tok-unit');
    expect(at('\n')).toBe('plain');
  });

  it('colours the JavaScript inside a function token', () => {
    const segs = tokenSegments(RULE, tokenize(RULE));
    const kinds = new Map(segs.map((s) => [RULE.slice(s.start, s.end), s.kind]));
    expect(kinds.get('function')).toBe('js-keyword');
    expect(kinds.get('return')).toBe('js-keyword');
    expect(kinds.get('e')).toBe('js-ident');
  });

  it('recognises utils, strings, numbers, comments and regex literals in JavaScript', () => {
    const code = "x => utils.matches(x.a, 'b') && /ab+c/i.test(x.c) // done\n && 1.5";
    const pieces = jsPieces(code, 10);
    const of = (s: string) => pieces.find((p) => code.slice(p.start - 10, p.end - 10) === s)?.kind;
    expect(of('utils')).toBe('js-utils');
    expect(of("'b'")).toBe('js-string');
    expect(of('/ab+c/i')).toBe('js-regex');
    expect(of('// done')).toBe('js-comment');
    expect(of('1.5')).toBe('js-number');
    covers(code, pieces.map((p) => ({ start: p.start - 10, end: p.end - 10 })));
  });

  it('treats a division as an operator, not a regex', () => {
    const code = 'a / b / c';
    expect(jsPieces(code).some((p) => p.kind === 'js-regex')).toBe(false);
  });

  it('reads templates, keywords and a division after a closing parenthesis as JavaScript does', () => {
    const code = 'const t = `a ${x.b} c`; if ((n) / 2 > 1) return true; let y = null ?? undefined;';
    const pieces = jsPieces(code);
    const of = (s: string) => pieces.filter((p) => code.slice(p.start, p.end) === s).map((p) => p.kind);
    expect(of('const')).toEqual(['js-keyword']);
    expect(of('a ')).toEqual(['js-string']);
    expect(of('x')).toEqual(['js-ident']);
    expect(of('true')).toEqual(['js-keyword']);
    expect(of('null')).toEqual(['js-keyword']);
    expect(of('undefined')).toEqual(['js-keyword']);
    expect(pieces.some((p) => p.kind === 'js-regex')).toBe(false);
    covers(code, pieces);
  });

  it('goes on after code acorn cannot read: the bad line is one piece, the next lines are coloured', () => {
    const code = "if (a) {\n  return 'unterminated\n  b + 2; /* open comment\n x";
    const pieces = jsPieces(code);
    covers(code, pieces);
    const of = (s: string) => pieces.find((p) => code.slice(p.start, p.end) === s)?.kind;
    expect(of("'unterminated")).toBe('js-string');
    expect(of('b')).toBe('js-ident');
    expect(of('2')).toBe('js-number');
    expect(of('/* open comment\n x')).toBe('js-comment');
    for (const broken of ['"', '`${', '/', '@@@ x', 'a = 1e', '\\u00']) covers(broken, jsPieces(broken));
  });

  it('still covers a text the lexer cannot finish (unterminated string)', () => {
    const text = 'RULE "a\nSOURCES kind = "auth"';
    covers(text, highlight(text, tokenize(text)));
  });
});

describe('highlighting: markers', () => {
  const marker = (start: number, end: number, severity: 'error' | 'warning' = 'error'): Marker => ({
    start,
    end,
    line: 1,
    column: start + 1,
    severity,
    message: 'm',
    code: 'c',
  });

  it('splits segments at marker edges and flags only the covered part', () => {
    const segs = applyMarkers([{ start: 0, end: 10, kind: 'plain' }], [marker(3, 6)]);
    expect(segs).toEqual([
      { start: 0, end: 3, kind: 'plain' },
      { start: 3, end: 6, kind: 'plain', marker: 'error' },
      { start: 6, end: 10, kind: 'plain' },
    ]);
  });

  it('an error wins over a warning on the same characters', () => {
    const segs = applyMarkers([{ start: 0, end: 4, kind: 'x' }], [marker(0, 4, 'warning'), marker(1, 2)]);
    expect(segs.map((s) => s.marker)).toEqual(['warning', 'error', 'warning']);
  });

  it('splits into lines without the newlines', () => {
    const text = 'ab\n\ncd';
    const lines = segmentLines(text, [{ start: 0, end: text.length, kind: 'plain' }]);
    expect(lines.map((l) => l.map((s) => text.slice(s.start, s.end)).join(''))).toEqual(['ab', '', 'cd']);
  });
});
