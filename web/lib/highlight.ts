/**
 * Editor highlighting: VGL tokens from src/lang's `tokenize` (the same lexer the parser uses) and
 * diagnostic markers → a flat list of segments covering the text, each with the classes to render.
 */
import type { VglToken } from '../../src/lang/lexer.js';
import { jsPieces } from './js-highlight.js';
import type { Marker } from './markers.js';

export interface Segment {
  start: number;
  end: number;
  /** CSS class of the token kind: `tok-keyword`, `tok-string`, `js-keyword`, `plain`… */
  kind: string;
  /** The most severe marker covering the segment. */
  marker?: 'error' | 'warning';
}

/** Token kinds → segments covering [0, text.length) with no gaps or overlaps. */
export function tokenSegments(text: string, tokens: readonly VglToken[]): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  const sorted = [...tokens].sort((a, b) => a.start - b.start);
  for (const t of sorted) {
    const start = Math.max(t.start, pos);
    const end = Math.min(t.end, text.length);
    if (end <= start) continue;
    if (start > pos) out.push({ start: pos, end: start, kind: 'plain' });
    if (t.type === 'function') {
      for (const p of jsPieces(text.slice(start, end), start)) out.push({ start: p.start, end: p.end, kind: p.kind });
    } else {
      out.push({ start, end, kind: `tok-${t.type}` });
    }
    pos = end;
  }
  if (pos < text.length) out.push({ start: pos, end: text.length, kind: 'plain' });
  return out;
}

/** Splits segments at marker edges and flags the covered parts. */
export function applyMarkers(segments: readonly Segment[], markers: readonly Marker[]): Segment[] {
  if (!markers.length) return [...segments];
  const cuts = new Set<number>();
  for (const m of markers) {
    cuts.add(m.start);
    cuts.add(m.end);
  }
  const out: Segment[] = [];
  for (const seg of segments) {
    let from = seg.start;
    const inner = [...cuts].filter((c) => c > seg.start && c < seg.end).sort((a, b) => a - b);
    for (const cut of [...inner, seg.end]) {
      const piece: Segment = { start: from, end: cut, kind: seg.kind };
      let marker: Segment['marker'];
      for (const m of markers) {
        if (m.start < cut && m.end > from) {
          if (m.severity === 'error') {
            marker = 'error';
            break;
          }
          marker = 'warning';
        }
      }
      if (marker) piece.marker = marker;
      out.push(piece);
      from = cut;
    }
  }
  return out;
}

export function highlight(text: string, tokens: readonly VglToken[], markers: readonly Marker[] = []): Segment[] {
  return applyMarkers(tokenSegments(text, tokens), markers);
}

/** Segments split into lines (the '\n' characters left out); always at least one line. */
export function segmentLines(text: string, segments: readonly Segment[]): Segment[][] {
  const lines: Segment[][] = [[]];
  for (const seg of segments) {
    let from = seg.start;
    for (;;) {
      const nl = text.indexOf('\n', from);
      const stop = nl < 0 || nl >= seg.end ? seg.end : nl;
      if (stop > from) lines[lines.length - 1]!.push({ ...seg, start: from, end: stop });
      if (stop === seg.end) break;
      lines.push([]);
      from = stop + 1;
      if (from >= seg.end) break;
    }
  }
  return lines;
}
