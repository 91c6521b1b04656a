/** A virtual clock with timeouts and intervals, for the worker's coalescer and simulator. */
export class FakeTimer {
  private time: number;
  private nextId = 1;
  private readonly tasks = new Map<number, { at: number; fn: () => void; every?: number }>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start;
  }

  now = (): number => this.time;

  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.tasks.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.tasks.delete(handle as number);
  };

  setInterval = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.tasks.set(id, { at: this.time + ms, fn, every: Math.max(1, ms) });
    return id;
  };

  clearInterval = (handle: unknown): void => {
    this.tasks.delete(handle as number);
  };

  /** Runs everything due up to now + ms, in time order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, t] of this.tasks) if (t.at < nextAt || (t.at === nextAt && id < nextId)) [nextId, nextAt] = [id, t.at];
      if (nextId < 0 || nextAt > end) break;
      const task = this.tasks.get(nextId)!;
      this.time = Math.max(this.time, nextAt);
      if (task.every) task.at += task.every;
      else this.tasks.delete(nextId);
      task.fn();
    }
    this.time = end;
  }

  get pending(): number {
    return this.tasks.size;
  }
}
