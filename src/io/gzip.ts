/**
 * Gzip input, told by its magic bytes (0x1f 0x8b) rather than a file name, in one place for every
 * reader (the CLI, the web app's replay). Decompression is `DecompressionStream('gzip')` by default
 * (browsers, Deno, workerd, Node ≥ 20); a host may bring its own: the CLI brings Node's zlib with
 * exact recovery (src/cli/gunzip.ts), because a DecompressionStream that meets a corrupt member
 * drops up to 16 KiB of the good output before it. A stream that breaks off (corrupt or cut short)
 * ends in a GzipBreak after everything before the break.
 */

import { PULLED_ON_READ } from './streams.js';

/** The gzip stream broke off (corrupt or truncated) after everything delivered before it. */
export class GzipBreak extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Whether bytes start like a gzip member (0x1f 0x8b). */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Gzip bytes in, their decompressed bytes out; a corrupt stream errors with a GzipBreak. */
export type Gunzip = (gzip: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;

/** The platform's DecompressionStream, its errors as GzipBreaks. */
export const webGunzip: Gunzip = (gzip) => {
  const reader = gzip.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>).getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(error instanceof GzipBreak ? error : new GzipBreak((error as Error)?.message ?? String(error)));
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, PULLED_ON_READ);
};

/** The stream's bytes, decompressed when its first two bytes are gzip's magic. */
export function gunzipIfGzip(input: ReadableStream<Uint8Array>, gunzip: Gunzip = webGunzip): ReadableStream<Uint8Array> {
  const reader = input.getReader();
  let output: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async start() {
      // The head may come in pieces (a pipe can deliver one byte first).
      const head: Uint8Array[] = [];
      let length = 0;
      while (length < 2) {
        const { done, value } = await reader.read();
        if (done) break;
        head.push(value);
        length += value.length;
      }
      let sent = false;
      const rest = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (!sent) {
            sent = true;
            for (const piece of head) if (piece.length) controller.enqueue(piece);
            if (length < 2) controller.close();
            return;
          }
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      }, PULLED_ON_READ);
      output = (isGzip(concatHead(head)) ? gunzip(rest) : rest).getReader();
    },
    async pull(controller) {
      const { done, value } = await output!.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return output?.cancel(reason);
    },
  }, PULLED_ON_READ);
}

function concatHead(pieces: Uint8Array[]): Uint8Array {
  const first = pieces[0];
  if (!first || first.length >= 2 || pieces.length === 1) return first ?? new Uint8Array(0);
  return Uint8Array.of(...pieces.flatMap((p) => [...p]).slice(0, 2));
}
