import type { BenchResult } from './common.js';

function cell(value: string | number): string {
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e4) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** A benchmark's result as a plain-text table followed by its notes (for consoles and copy-paste). */
export function formatResult({ columns, rows, notes }: BenchResult): string {
  const cells = [columns, ...rows.map((row) => columns.map((c) => cell(row[c] ?? '')))];
  const widths = columns.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((v, c) => v.padEnd(widths[c]!)).join('  ').trimEnd();
  const out = [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
  if (notes.length) out.push('', ...notes);
  return out.join('\n');
}
