/** Fan-out of engine output to callbacks and async iterators. */

export class Broadcast<T> {
  private readonly listeners = new Set<(item: T) => void>();

  /** Calls `listener` for every item from now on; returns the function that stops it. */
  subscribe(listener: (item: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  emit(item: T): void {
    for (const listener of this.listeners) listener(item);
  }

  /** An async iterator over items emitted from now on; `return()` (a `break` in for-await) unsubscribes. */
  iterate(): AsyncIterableIterator<T> {
    const queue: T[] = [];
    let wake: ((r: IteratorResult<T>) => void) | undefined;
    let done = false;
    const unsubscribe = this.subscribe((item) => {
      if (wake) {
        const w = wake;
        wake = undefined;
        w({ value: item, done: false });
      } else {
        queue.push(item);
      }
    });
    const close = (): IteratorResult<T> => {
      done = true;
      unsubscribe();
      wake?.({ value: undefined, done: true });
      wake = undefined;
      return { value: undefined, done: true };
    };
    this.closers.add(close);
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      next: () => {
        if (queue.length) return Promise.resolve({ value: queue.shift()!, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (wake = resolve));
      },
      return: () => Promise.resolve(close()),
    };
  }

  private readonly closers = new Set<() => void>();

  /** Ends every open iterator (after the items already queued). */
  close(): void {
    for (const close of this.closers) close();
    this.closers.clear();
    this.listeners.clear();
  }
}
