/**
 * Decoding a dropped file for a replay: JSON lines, gzip-compressed or not (told by the gzip magic
 * bytes, not the name), read as a stream with the compressed bytes counted for progress.
 */

/** Whether bytes start like a gzip member (0x1f 0x8b). */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

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
  if (!text.trim()) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { line, error: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { line, error: 'not an object' };
  return { line, event: value as Record<string, unknown> };
}

/**
 * The lines of a file, decoded, in batches of at most `batchSize`; `onBytes` hears the raw
 * (compressed) bytes read so far.
 */
export async function* readJsonLines(file: Blob, options: { batchSize?: number; onBytes?: (n: number) => void } = {}): AsyncGenerator<DecodedLine[]> {
  const batchSize = options.batchSize ?? 2000;
  const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  let read = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      read += chunk.byteLength;
      options.onBytes?.(read);
      controller.enqueue(chunk);
    },
  });
  let bytes: ReadableStream<Uint8Array> = file.stream().pipeThrough(counter);
  if (isGzip(head)) bytes = bytes.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  const text = bytes.pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>);
  const reader = text.getReader();
  const splitter = new LineSplitter();
  let lineNo = 0;
  let batch: DecodedLine[] = [];
  const take = (lines: string[]) => {
    for (const l of lines) {
      const decoded = decodeLine(l, ++lineNo);
      if (decoded) batch.push(decoded);
    }
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    take(splitter.push(value));
    while (batch.length >= batchSize) yield batch.splice(0, batchSize);
  }
  take(splitter.end());
  while (batch.length) yield batch.splice(0, batchSize);
  batch = [];
}
