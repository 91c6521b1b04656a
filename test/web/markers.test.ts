import { describe, expect, it } from 'vitest';
import { compileCheck } from '../../src/lang/index.js';
import type { Diagnostic } from '../../src/lang/diagnostic.js';
import { diagnosticsToMarkers, lineStarts, markersByLine, offsetOf } from '../../web/lib/markers.js';

function diag(line: number, column: number, endLine: number, endColumn: number, severity: 'error' | 'warning' = 'error'): Diagnostic {
  return { severity, code: 'c', message: `at ${line}:${column}`, file: 'f', line, column, endLine, endColumn, excerpt: '' };
}

describe('diagnostics → markers', () => {
  it('maps 1-based line:column ranges to offsets', () => {
    const text = 'abc\ndefgh\ni';
    const [m] = diagnosticsToMarkers(text, [diag(2, 2, 2, 4)]);
    expect(text.slice(m!.start, m!.end)).toBe('ef');
    expect(m).toMatchObject({ line: 2, column: 2, severity: 'error' });
  });

  it('a marker of a real syntax error sits on the offending token', () => {
    const text = 'RULE "a"\nSOURCES kind = "auth"\nFILTER function (e) { return e.x == ; }\nSINK function (e) { return e; }';
    const { diagnostics } = compileCheck(text, 'editor.vgl');
    const markers = diagnosticsToMarkers(text, diagnostics);
    expect(markers).toHaveLength(1);
    expect(markers[0]!.line).toBe(3);
    expect(text.slice(markers[0]!.start, markers[0]!.end)).toBe(';');
  });

  it('widens a zero-width marker to one visible character, also at the end of a line or the text', () => {
    const text = 'ab\ncd';
    const [mid] = diagnosticsToMarkers(text, [diag(1, 1, 1, 1)]);
    expect(text.slice(mid!.start, mid!.end)).toBe('a');
    const [eol] = diagnosticsToMarkers(text, [diag(1, 3, 1, 3)]);
    expect(text.slice(eol!.start, eol!.end)).toBe('b');
    const [eof] = diagnosticsToMarkers(text, [diag(2, 3, 2, 3)]);
    expect(text.slice(eof!.start, eof!.end)).toBe('d');
  });

  it('clamps positions past the end of a line or of the text', () => {
    const text = 'ab\ncd';
    const starts = lineStarts(text);
    expect(offsetOf(starts, text.length, 1, 99)).toBe(2);
    expect(offsetOf(starts, text.length, 9, 1)).toBe(text.length);
    const [m] = diagnosticsToMarkers(text, [diag(7, 1, 7, 5)]);
    expect(m!.end).toBeLessThanOrEqual(text.length);
    expect(m!.line).toBe(2);
  });

  it('groups markers by line, errors first', () => {
    const text = 'abcdef\nx';
    const byLine = markersByLine(diagnosticsToMarkers(text, [diag(1, 1, 1, 2, 'warning'), diag(1, 4, 1, 5), diag(2, 1, 2, 2)]));
    expect(byLine.get(1)!.map((m) => m.severity)).toEqual(['error', 'warning']);
    expect(byLine.get(2)).toHaveLength(1);
  });
});
