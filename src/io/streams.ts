/** Web streams and async iterables, each as the other (ReadableStream.from is not everywhere yet). */

/**
 * A stream that asks its source for a chunk only when its reader asks for one: nothing is read
 * ahead (`vigil run` takes a checkpoint between two reads of stdin, before the next part exists).
 */
export const PULLED_ON_READ: QueuingStrategy<unknown> = { highWaterMark: 0 };

/** The chunks of a web stream, read until it ends; a stream error is thrown. Stopping early cancels the stream. */
export async function* chunksOf<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        return;
      }
      yield value;
    }
  } catch (error) {
    ended = true;
    throw error;
  } finally {
    if (!ended) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** A web stream of an async iterable's values; an error thrown by the iterable errors the stream. */
export function streamOf<T>(source: AsyncIterable<T>): ReadableStream<T> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<T>({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await iterator.return?.();
    },
  }, PULLED_ON_READ);
}
