/**
 * Diagnostics (1-based line:column ranges from src/lang) → editor markers (0-based offsets into
 * the editor's text), plus the per-line view the gutter needs.
 */
import type { Diagnostic } from '../../src/lang/diagnostic.js';

export interface Marker {
  /** Offset of the first character (UTF-16). */
  start: number;
  /** Offset after the last character; always > start unless the text is empty. */
  end: number;
  line: number;
  column: number;
  severity: 'error' | 'warning';
  message: string;
  code: string;
  rule?: string;
}

/** Offsets where each line starts (lines end in \n). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** The offset of a 1-based line and column, clamped into the text (a column past the end of its line stops at the line end). */
export function offsetOf(starts: readonly number[], textLength: number, line: number, column: number): number {
  if (line < 1) return 0;
  if (line > starts.length) return textLength;
  const lineStart = starts[line - 1]!;
  const lineEnd = line < starts.length ? starts[line]! - 1 : textLength;
  return Math.min(lineStart + Math.max(0, column - 1), lineEnd);
}

export function diagnosticsToMarkers(text: string, diagnostics: readonly Diagnostic[]): Marker[] {
  const starts = lineStarts(text);
  const markers = diagnostics.map((d): Marker => {
    let start = offsetOf(starts, text.length, d.line, d.column);
    let end = offsetOf(starts, text.length, d.endLine, d.endColumn);
    if (end < start) end = start;
    if (end === start) {
      // Zero-width (e.g. "expected … at end of input"): cover one character so it can be seen —
      // the next one, or the previous one at the end of a line or of the text.
      if (start < text.length && text[start] !== '\n') end = start + 1;
      else if (start > 0 && text[start - 1] !== '\n') start -= 1;
    }
    const line = lineOfOffset(starts, start);
    return {
      start,
      end,
      line,
      column: start - starts[line - 1]! + 1,
      severity: d.severity,
      message: d.message,
      code: d.code,
      ...(d.rule !== undefined ? { rule: d.rule } : {}),
    };
  });
  return markers.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** 1-based line of an offset. */
export function lineOfOffset(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** The markers of each line (a marker spanning lines is listed on its first line), errors first. */
export function markersByLine(markers: readonly Marker[]): Map<number, Marker[]> {
  const out = new Map<number, Marker[]>();
  for (const m of markers) {
    const list = out.get(m.line) ?? [];
    list.push(m);
    out.set(m.line, list);
  }
  for (const list of out.values()) list.sort((a, b) => (a.severity === b.severity ? a.start - b.start : a.severity === 'error' ? -1 : 1));
  return out;
}
