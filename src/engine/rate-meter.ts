/** Events per second over the last few seconds of the engine's clock. */
import type { Clock } from './event-time.js';

const SECONDS = 5;

export class RateMeter {
  private readonly buckets = new Float64Array(SECONDS);
  private currentSecond = -1;

  constructor(private readonly clock: Clock) {}

  add(count: number): void {
    this.roll();
    this.buckets[this.currentSecond % SECONDS] += count;
  }

  /** Mean rate over the completed seconds of the window (the current, partial second excluded). */
  perSecond(): number {
    this.roll();
    let total = 0;
    for (let i = 1; i < SECONDS; i++) total += this.buckets[(this.currentSecond - i + SECONDS * 2) % SECONDS];
    return total / (SECONDS - 1);
  }

  private roll(): void {
    const second = Math.floor(this.clock() / 1000);
    if (this.currentSecond < 0 || second - this.currentSecond >= SECONDS) {
      this.buckets.fill(0);
    } else {
      for (let s = this.currentSecond + 1; s <= second; s++) this.buckets[s % SECONDS] = 0;
    }
    this.currentSecond = Math.max(second, this.currentSecond);
  }
}
