/** When the regular traffic of a generator happens: a renewal process at a given rate. */
import type { Random } from './random.js';

/**
 * Arrival times at `rate` events per second of event time. Gaps are uniform in [0, 2/rate) —
 * the mean of a Poisson process without its logarithm, which keeps streams identical across
 * JavaScript engines. Times are kept as fractions internally and handed out floored to whole ms,
 * so they never decrease.
 */
export class Arrivals {
  private time: number;

  constructor(
    private readonly random: Random,
    startTime: number,
    private perSecond: number,
  ) {
    this.time = startTime;
  }

  /** Time of the next arrival (epoch ms, whole). */
  get next(): number {
    return Math.floor(this.time);
  }

  get rate(): number {
    return this.perSecond;
  }

  /** A new rate applies from the gap after the next arrival. */
  set rate(perSecond: number) {
    this.perSecond = perSecond;
  }

  /** Takes the next arrival and draws the one after it. */
  advance(): number {
    const now = Math.floor(this.time);
    this.time += (this.random.next() * 2000) / this.perSecond;
    return now;
  }
}
