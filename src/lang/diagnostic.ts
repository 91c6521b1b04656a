/** Diagnostics: errors and warnings about rules and input, each with a place a person can find. */

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. `syntax`, `duplicate-rule`, `unknown-ioc-list`. */
  code: string;
  /** A sentence a person understands. */
  message: string;
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  endLine: number;
  endColumn: number;
  /** The offending source line followed by a caret line, ready to print. */
  excerpt: string;
  /** The rule the diagnostic belongs to, when known. */
  rule?: string;
}

/** Builds the two-line caret excerpt for a 1-based line/column range of `text`. */
export function caretExcerpt(text: string, line: number, column: number, endLine: number, endColumn: number): string {
  return caretExcerptOfLine(text.split(/\r?\n/)[line - 1] ?? '', line, column, endLine, endColumn);
}

/**
 * The same excerpt from the offending line alone (`source`, without its line break). Callers with
 * many diagnostics over one text look the line up in a LineIndex: splitting the whole text for
 * each made a text full of errors cost its length times their number (1 MiB took minutes).
 */
export function caretExcerptOfLine(source: string, line: number, column: number, endLine: number, endColumn: number): string {
  const start = Math.max(1, column);
  const stop = endLine === line ? Math.max(endColumn, start + 1) : source.length + 1;
  const width = Math.max(1, Math.min(stop, source.length + 1) - start);
  const gutter = `${line} | `;
  return `${gutter}${source}\n${' '.repeat(gutter.length + start - 1)}${'^'.repeat(width)}`;
}

/** `file:line:col: error: message` followed by the excerpt, the format compilers use. */
export function formatDiagnostic(d: Diagnostic): string {
  const head = `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
  return d.excerpt ? `${head}\n${d.excerpt}` : head;
}
