/**
 * Decoding a dropped file for a replay: JSON lines, gzip-compressed or not (told by the gzip magic
 * bytes, not the name), read as a stream with the compressed bytes counted for progress. The
 * decoding is src/io's (decodeEventStream: gzip, line limits, UTF-8, nesting depth).
 */
import { decodeEventStream } from '../../src/io/decode-stream.js';
import { readJsonObject } from '../../src/io/from-jsonl.js';

export { isGzip } from '../../src/io/gzip.js';

/** Splits text chunks into lines (\n or \r\n), keeping a partial last line for the next chunk. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines.map(stripCr);
  }

  /** The last line, when the input did not end with a newline. */
  end(): string[] {
    const last = stripCr(this.rest);
    this.rest = '';
    return last.trim() ? [last] : [];
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

export type DecodedLine = { line: number; event: Record<string, unknown> } | { line: number; error: string };

/** One line of JSON lines: an object, or why not (blank lines give undefined). */
export function decodeLine(text: string, line: number): DecodedLine | undefined {
  const result = replayLine(text);
  if (result === undefined) return undefined;
  return 'event' in result ? { line, event: result.event } : { line, error: result.reason };
}

/** One line as src/io reads JSON, in the replay's words. */
function replayLine(text: string): { event: Record<string, unknown> } | { reason: string } | undefined {
  if (!text.trim()) return undefined;
  const read = readJsonObject(text);
  if ('event' in read) return read;
  return { reason: 'tooDeep' in read ? read.tooDeep : 'malformed' in read ? 'not JSON' : 'not an object' };
}

/**
 * The lines of a file, decoded, in batches of at most `batchSize`; `onBytes` hears the raw
 * (compressed) bytes read so far.
 */
export async function* readJsonLines(file: Blob, options: { batchSize?: number; onBytes?: (n: number) => void } = {}): AsyncGenerator<DecodedLine[]> {
  const batchSize = options.batchSize ?? 2000;
  let read = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      read += chunk.byteLength;
      options.onBytes?.(read);
      controller.enqueue(chunk);
    },
  });
  const bytes: ReadableStream<Uint8Array> = file.stream().pipeThrough(counter);
  for await (const batch of decodeEventStream(bytes, { parse: replayLine, batchLines: batchSize })) {
    const lines: DecodedLine[] = [...batch.events, ...batch.rejects.map((r) => ({ line: r.line, error: r.reason }))];
    lines.sort((a, b) => a.line - b.line);
    if (lines.length) yield lines;
  }
}
