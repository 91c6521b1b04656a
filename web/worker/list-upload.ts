/**
 * Reading an uploaded IOC list or table file in chunks: plain text (one entry a line, `#` comments
 * and blank lines ignored) or CSV (one column, by index or header name; a header row detected or
 * told). `ListChunkParser` is pure and takes text as it arrives; `readListFile` streams a Blob
 * (`stream()` + TextDecoderStream) through it and yields batches of entries with the bytes read.
 *
 * The parser frames rows (a quoted field may run over several lines, so a row ends at a line end
 * outside quotes) and skips blank and `#` lines; d3-dsv splits each row into fields (RFC 4180:
 * quoted fields hold the delimiter, doubled quotes and newlines).
 */
import { dsvFormat, type DSV } from 'd3-dsv';
import { LineSplitter } from './replay.js';

export type ListFileFormat = 'text' | 'csv';

export interface ListParseOptions {
  /** 'auto' (the default): CSV when `name` ends in .csv/.tsv, else text. */
  format?: ListFileFormat | 'auto';
  /** The file's name, for `format: 'auto'`. */
  name?: string;
  /** CSV: the column, 0-based, or a header name (then the first row is the header). Default 0. */
  column?: number | string;
  /** CSV: whether the first row is a header; 'auto' (the default) guesses from its values. */
  header?: boolean | 'auto';
  /** CSV: the field separator; default ',' (a tab for .tsv). */
  delimiter?: string;
}

export interface ListParseStats {
  format: ListFileFormat;
  /** Lines read (comments and blank lines included). */
  lines: number;
  /** Entries yielded (before any deduplication). */
  entries: number;
  /** Comment, blank and (CSV) short rows left out. */
  skipped: number;
  /** CSV: the header row, when there was one. */
  header?: string[];
}

export function listFormatOf(options: ListParseOptions): ListFileFormat {
  if (options.format && options.format !== 'auto') return options.format;
  return /\.(csv|tsv)$/i.test(options.name ?? '') ? 'csv' : 'text';
}

/** Whether a CSV row reads as a header: every field words (letters, spaces, _ and -), no indicator. */
export function looksLikeHeader(fields: readonly string[]): boolean {
  return fields.length > 0 && fields.every((f) => /^[A-Za-z][A-Za-z _-]*$/.test(f.trim())) && fields.some((f) => f.trim() !== '');
}

/** Text in, entries out: feed chunks as they come with `push`, then `end`. */
export class ListChunkParser {
  readonly stats: ListParseStats;
  private readonly splitter = new LineSplitter();
  private readonly dsv: DSV;
  private readonly headerMode: boolean | 'auto';
  private column: number;
  private columnName: string | undefined;
  private first = true;
  /** A CSV row whose quoted field went past the end of its line. */
  private pendingRow: string | undefined;

  constructor(options: ListParseOptions = {}) {
    const format = listFormatOf(options);
    this.stats = { format, lines: 0, entries: 0, skipped: 0 };
    this.dsv = dsvFormat(options.delimiter ?? (/\.tsv$/i.test(options.name ?? '') ? '\t' : ','));
    if (typeof options.column === 'string') {
      const asNumber = /^\d+$/.test(options.column.trim()) ? Number(options.column) : NaN;
      this.column = Number.isNaN(asNumber) ? 0 : asNumber;
      this.columnName = Number.isNaN(asNumber) ? options.column.trim() : undefined;
    } else this.column = Math.max(0, Math.floor(options.column ?? 0));
    this.headerMode = this.columnName !== undefined ? true : (options.header ?? 'auto');
  }

  push(chunk: string): string[] {
    return this.take(this.splitter.push(chunk));
  }

  end(): string[] {
    const out = this.take(this.splitter.end());
    if (this.pendingRow !== undefined) {
      // An unterminated quote: take the row as it is.
      const row = this.pendingRow;
      this.pendingRow = undefined;
      this.row(row, out);
    }
    return out;
  }

  private take(lines: string[]): string[] {
    const out: string[] = [];
    const csv = this.stats.format === 'csv';
    for (const line of lines) {
      this.stats.lines++;
      if (!csv) {
        const entry = line.trim();
        if (!entry || entry.startsWith('#')) this.stats.skipped++;
        else out.push(entry);
        continue;
      }
      if (this.pendingRow !== undefined) {
        const row = `${this.pendingRow}\n${line}`;
        if (oddQuotes(row)) this.pendingRow = row;
        else {
          this.pendingRow = undefined;
          this.row(row, out);
        }
        continue;
      }
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith('#')) {
        this.stats.skipped++;
        continue;
      }
      if (oddQuotes(line)) this.pendingRow = line;
      else this.row(line, out);
    }
    this.stats.entries += out.length;
    return out;
  }

  private row(line: string, out: string[]): void {
    // One framed row: d3-dsv reads it as exactly one record.
    const fields = this.dsv.parseRows(line)[0] ?? [''];
    if (this.first) {
      this.first = false;
      const isHeader = this.headerMode === 'auto' ? looksLikeHeader(fields) : this.headerMode;
      if (isHeader) {
        this.stats.header = fields.map((f) => f.trim());
        if (this.columnName !== undefined) {
          const at = this.stats.header.findIndex((h) => h.toLowerCase() === this.columnName!.toLowerCase());
          if (at < 0) throw new Error(`the CSV header has no column "${this.columnName}" (it has ${this.stats.header.join(', ')})`);
          this.column = at;
        }
        this.stats.skipped++;
        return;
      }
      if (this.columnName !== undefined) throw new Error(`no header row to find the column "${this.columnName}" in`);
    }
    const value = fields[this.column]?.trim();
    if (value && !value.startsWith('#')) out.push(value);
    else this.stats.skipped++;
  }
}

function oddQuotes(text: string): boolean {
  let n = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) n++;
  return n % 2 === 1;
}

export interface ListReadProgress {
  bytesRead: number;
  totalBytes: number;
}

/**
 * The entries of a file in batches of at most `batchSize` (default 50 000), read as a stream;
 * `onBytes` hears the bytes read so far. The parser's `stats` are complete once the loop ends.
 */
export async function* readListFile(
  file: Blob,
  parser: ListChunkParser,
  options: { batchSize?: number; onBytes?: (n: number) => void } = {},
): AsyncGenerator<string[]> {
  const batchSize = options.batchSize ?? 50_000;
  let read = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      read += chunk.byteLength;
      options.onBytes?.(read);
      controller.enqueue(chunk);
    },
  });
  const text = file
    .stream()
    .pipeThrough(counter)
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>);
  const reader = text.getReader();
  let batch: string[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const e of parser.push(value)) batch.push(e);
    while (batch.length >= batchSize) yield batch.splice(0, batchSize);
  }
  for (const e of parser.end()) batch.push(e);
  while (batch.length) yield batch.splice(0, batchSize);
  batch = [];
}
