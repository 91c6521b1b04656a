/**
 * Counts per id over the last `seconds` seconds of processing time, in one-second slots: rates of
 * state-machine transitions for the debugger without keeping a timestamp per event.
 */
export class RateWindow {
  private readonly slots: { second: number; counts: Map<string, number> }[];

  constructor(
    private readonly now: () => number,
    readonly seconds = 10,
  ) {
    this.slots = Array.from({ length: seconds }, () => ({ second: -1, counts: new Map<string, number>() }));
  }

  add(id: string, n = 1): void {
    const second = Math.floor(this.now() / 1000);
    const slot = this.slots[second % this.seconds]!;
    if (slot.second !== second) {
      slot.second = second;
      slot.counts.clear();
    }
    slot.counts.set(id, (slot.counts.get(id) ?? 0) + n);
  }

  /** Per second, averaged over the window. */
  perSecond(id: string): number {
    const second = Math.floor(this.now() / 1000);
    let sum = 0;
    for (const slot of this.slots) {
      if (slot.second > second - this.seconds && slot.second <= second) sum += slot.counts.get(id) ?? 0;
    }
    return sum / this.seconds;
  }

  clear(): void {
    for (const slot of this.slots) {
      slot.second = -1;
      slot.counts.clear();
    }
  }
}
