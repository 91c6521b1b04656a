import { describe, expect, it } from 'vitest';
import { tokenize } from '../../src/lang/index.js';

function show(text: string): string[] {
  return tokenize(text).map((t) => `${t.line}:${t.column} ${t.type} ${text.slice(t.start, t.end)}`);
}

describe('tokenize', () => {
  it('classifies every token of a small rule', () => {
    const text = 'RULE "x" // note\nsources rule = [\'a\'], src.ip = "b"\nwithin 1:min, 10:sec\nSINK e => e';
    expect(show(text)).toEqual([
      '1:1 keyword RULE',
      '1:6 string "x"',
      '1:10 comment // note',
      '2:1 keyword sources',
      '2:9 identifier rule',
      '2:14 punctuation =',
      '2:16 punctuation [',
      "2:17 string 'a'",
      '2:20 punctuation ]',
      '2:21 punctuation ,',
      '2:23 identifier src',
      '2:26 punctuation .',
      '2:27 identifier ip',
      '2:30 punctuation =',
      '2:32 string "b"',
      '3:1 keyword within',
      '3:8 number 1',
      '3:9 punctuation :',
      '3:10 unit min',
      '3:13 punctuation ,',
      '3:15 number 10',
      '3:17 punctuation :',
      '3:18 unit sec',
      '4:1 keyword SINK',
      '4:6 function e => e',
    ]);
  });

  it('gives offsets that slice the text', () => {
    const text = 'RULE "é😀" SOURCES k = "v" FILTER function (e) {\n  return e.x === "}";\n}\n/* c */ SINK e => e';
    const tokens = tokenize(text);
    expect(tokens.map((t) => text.slice(t.start, t.end))).toEqual([
      'RULE', '"é😀"', 'SOURCES', 'k', '=', '"v"', 'FILTER', 'function (e) {\n  return e.x === "}";\n}', '/* c */', 'SINK', 'e => e',
    ]);
    expect(tokens[2]).toEqual({ type: 'keyword', start: 11, end: 18, line: 1, column: 12 });
    expect(tokens[8]).toMatchObject({ type: 'comment', line: 4, column: 1 });
  });

  it('marks errors', () => {
    expect(show('RULE "open\nSOURCES # k\nFILTER 1 + 2\n/* never closed')).toEqual([
      '1:1 keyword RULE',
      '1:6 error "open',
      '2:1 keyword SOURCES',
      '2:9 error #',
      '2:11 identifier k',
      '3:1 keyword FILTER',
      '3:8 error 1 + 2',
      '4:1 error /* never closed',
    ]);
  });

  it('returns nothing for empty input', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize('  \n\t')).toEqual([]);
  });
});
