/**
 * Gzip input, decompressed as it is read, that gives up everything before a corruption. Node's
 * zlib drops the output of the step that hits the error (up to a 16 KiB chunk: the last lines of
 * a good gzip member followed by a bad one would be lost). When the input is a file, the part
 * before the failing step is decompressed again and the failing step's input fed one byte at a
 * time, so at most the output of the corrupt byte itself is lost (part of the line being broken
 * off, which is not read anyway).
 */
import { createGunzip, type Gunzip } from 'node:zlib';
import { GzipBreak, type Gunzip as StreamGunzip } from '../io/gzip.js';
import { chunksOf, streamOf } from '../io/streams.js';

export { GzipBreak };

/**
 * src/io's gunzip step (it detects gzip; this decompresses) with Node's zlib: `reopen` reads the
 * input again from the start, for the exact recovery at a break (see the top of this file).
 */
export function nodeGunzip(reopen?: () => AsyncIterable<Uint8Array>): StreamGunzip {
  return (gzip) => streamOf(gunzipStream(chunksOf(gzip), reopen));
}

/** Input bytes written per decompression step (a step's output is at most this times the ratio). */
const SLICE = 16 * 1024;

/** One gunzip stream driven write by write: each write resolves with the output it produced. */
class Inflater {
  private readonly gunzip: Gunzip = createGunzip();
  private output: Buffer[] = [];
  private failure: Error | undefined;

  constructor() {
    this.gunzip.on('data', (chunk: Buffer) => this.output.push(chunk));
    this.gunzip.on('error', (error) => (this.failure ??= error));
  }

  /** Writes `input` and returns the output it gave; throws the zlib error when it failed. */
  async write(input: Uint8Array): Promise<Buffer[]> {
    if (!this.failed()) {
      await new Promise<void>((resolve) => {
        // The callback comes after zlib processed the chunk and pushed its output; on an error it
        // may never come, and the error event settles the write instead.
        const settle = (error?: Error | null) => {
          if (error) this.failure ??= error;
          this.gunzip.off('error', settle);
          resolve();
        };
        this.gunzip.once('error', settle);
        this.gunzip.write(input, settle);
      });
    }
    return this.take();
  }

  async end(): Promise<Buffer[]> {
    if (!this.failed()) {
      await new Promise<void>((resolve) => {
        this.gunzip.once('end', resolve);
        this.gunzip.once('error', () => resolve());
        this.gunzip.end();
      });
    }
    return this.take();
  }

  private failed(): Error | undefined {
    return this.failure ?? (this.gunzip.errored as Error | null) ?? undefined;
  }

  private take(): Buffer[] {
    const failure = this.failed();
    if (failure) throw failure;
    const out = this.output;
    this.output = [];
    return out;
  }

  destroy(): void {
    this.gunzip.destroy();
  }
}

/**
 * Decompresses `input` (gzip, possibly several members). A corrupt or truncated stream ends with a
 * GzipBreak, after every byte before the break has been yielded; `reopen`, when the input can be
 * read again from the start (a file), makes that exact (see the top of this file).
 */
export async function* gunzipStream(input: AsyncIterable<Uint8Array>, reopen?: () => AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const inflater = new Inflater();
  let written = 0;
  let delivered = 0;
  let failedAt: number | undefined;
  let failedEnd = 0;
  let failure: Error | undefined;
  // One write ahead: zlib decompresses the next slice (on the thread pool) while the lines of
  // this one are read.
  type Step = { output: Promise<Buffer[]>; length: number };
  const start = (slice: Uint8Array): Step => {
    const output = inflater.write(slice);
    output.catch(() => undefined); // read (and rethrown) in finish
    return { output, length: slice.length };
  };
  async function* finish(step: Step): AsyncGenerator<Uint8Array> {
    let pieces: Buffer[];
    try {
      pieces = await step.output;
    } catch (error) {
      [failedAt, failedEnd, failure] = [written, written + step.length, error as Error];
      return;
    }
    written += step.length;
    for (const piece of pieces) {
      delivered += piece.length;
      yield piece;
    }
  }
  let ahead: Step | undefined;
  try {
    outer: for await (const chunk of input) {
      for (let at = 0; at < chunk.length; at += SLICE) {
        const next = start(chunk.subarray(at, at + SLICE));
        if (ahead) yield* finish(ahead);
        ahead = next;
        if (failure) break outer;
      }
    }
    if (ahead && !failure) yield* finish(ahead);
    if (!failure) {
      try {
        for (const piece of await inflater.end()) yield piece;
        return;
      } catch (error) {
        failure = error as Error;
      }
    }
  } finally {
    inflater.destroy();
  }
  if (failedAt !== undefined && reopen) yield* recover(reopen(), failedAt, failedEnd, delivered);
  throw new GzipBreak(failure!.message);
}

/**
 * Decompresses the input again: up to `from` as before (its `delivered` bytes of output are
 * skipped), then up to `to` one byte per step, yielding the output of every step that succeeds.
 */
async function* recover(input: AsyncIterable<Uint8Array>, from: number, to: number, delivered: number): AsyncGenerator<Uint8Array> {
  const inflater = new Inflater();
  let read = 0;
  let skip = delivered;
  try {
    for await (const chunk of input) {
      const end = Math.min(chunk.length, to - read);
      for (let at = 0; at < end; ) {
        const position = read + at;
        // Before `from` in slices, from `from` on byte by byte.
        const step = position < from ? Math.min(SLICE, from - position, end - at) : 1;
        let output: Buffer[];
        try {
          output = await inflater.write(chunk.subarray(at, at + step));
        } catch {
          return;
        }
        at += step;
        for (const piece of output) {
          if (skip >= piece.length) {
            skip -= piece.length;
            continue;
          }
          yield piece.subarray(skip);
          skip = 0;
        }
      }
      read += chunk.length;
      if (read >= to) return;
    }
  } finally {
    inflater.destroy();
  }
}
