/**
 * Counts over a sliding window of the last whole seconds of a clock, one slot per second (no
 * timestamp kept per event): the engine's events per second (`RateMeter`), and in the web app the
 * alerts per second, the debugger's rate per transition and the top sources of the last minute
 * (`SlidingCounts` by key). A clock that goes back counts into the newest second seen.
 */
import type { Clock } from './event-time.js';

export class SlidingCounts<K> {
  /** Slot `s % seconds` holds second `s` (stamped; a stale slot is cleared when reused). */
  private readonly slots: { second: number; counts: Map<K, number> }[];
  private newest = -1;

  constructor(
    private readonly clock: Clock,
    readonly seconds: number,
  ) {
    if (!(Number.isInteger(seconds) && seconds >= 1)) throw new RangeError('SlidingCounts needs a whole number of seconds, at least 1');
    this.slots = Array.from({ length: seconds }, () => ({ second: -1, counts: new Map<K, number>() }));
  }

  add(key: K, n = 1): void {
    const second = this.roll();
    const slot = this.slots[second % this.seconds]!;
    if (slot.second !== second) {
      slot.second = second;
      slot.counts.clear();
    }
    slot.counts.set(key, (slot.counts.get(key) ?? 0) + n);
  }

  /** The sum over the window (the current second and those before it); `completed`: without the current, partial second. */
  count(key: K, options: { completed?: boolean } = {}): number {
    let sum = 0;
    for (const slot of this.live(options.completed ?? false)) sum += slot.counts.get(key) ?? 0;
    return sum;
  }

  /** Per second, averaged over the whole window (the current second included). */
  perSecond(key: K): number {
    return this.count(key) / this.seconds;
  }

  /** Every key's sum over the window. */
  totals(): Map<K, number> {
    const totals = new Map<K, number>();
    for (const slot of this.live(false)) for (const [key, n] of slot.counts) totals.set(key, (totals.get(key) ?? 0) + n);
    return totals;
  }

  clear(): void {
    for (const slot of this.slots) {
      slot.second = -1;
      slot.counts.clear();
    }
  }

  private roll(): number {
    this.newest = Math.max(this.newest, Math.floor(this.clock() / 1000));
    return this.newest;
  }

  private live(completed: boolean): { second: number; counts: Map<K, number> }[] {
    const now = this.roll();
    const last = completed ? now - 1 : now;
    return this.slots.filter((slot) => slot.second > now - this.seconds && slot.second <= last);
  }
}

const SECONDS = 5;

/** Events per second over the last few seconds of the engine's clock. */
export class RateMeter {
  private readonly counts: SlidingCounts<0>;

  constructor(clock: Clock, seconds = SECONDS) {
    if (seconds < 2) throw new RangeError('RateMeter needs at least 2 seconds (one complete)');
    this.counts = new SlidingCounts(clock, seconds);
  }

  add(count: number): void {
    this.counts.add(0, count);
  }

  /** Mean rate over the completed seconds of the window (the current, partial second excluded). */
  perSecond(): number {
    return this.counts.count(0, { completed: true }) / (this.counts.seconds - 1);
  }
}
