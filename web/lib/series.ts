/**
 * Rates over time from cumulative counters: the dashboard's events/s and alerts/s lines. Samples
 * arrive with each update batch (about 4 a second); a point's rate is measured over at least
 * `spanMs`, so it does not jitter with batch timing.
 */

export interface CounterSample {
  time: number;
  [counter: string]: number;
}

export interface RatePoint {
  time: number;
  [counter: string]: number;
}

export class RateSeries {
  private samples: CounterSample[] = [];
  private points: RatePoint[] = [];

  constructor(
    readonly counters: readonly string[],
    /** How much history to keep. */
    readonly windowMs = 5 * 60_000,
    /** Shortest span a rate is measured over. */
    readonly spanMs = 1000,
  ) {}

  add(sample: CounterSample): void {
    const last = this.samples[this.samples.length - 1];
    if (last && sample.time <= last.time) return;
    if (last && this.counters.some((c) => (sample[c] ?? 0) < (last[c] ?? 0))) {
      // A counter went back (the engine was reset): start over.
      this.samples = [];
    }
    this.samples.push(sample);
    // Oldest sample at least spanMs before this one.
    let base: CounterSample | undefined;
    for (let i = this.samples.length - 2; i >= 0; i--) {
      if (sample.time - this.samples[i]!.time >= this.spanMs) {
        base = this.samples[i];
        break;
      }
    }
    if (base) {
      const dt = (sample.time - base.time) / 1000;
      const point: RatePoint = { time: sample.time };
      for (const c of this.counters) point[c] = Math.max(0, ((sample[c] ?? 0) - (base[c] ?? 0)) / dt);
      this.points.push(point);
    }
    const horizon = sample.time - this.windowMs;
    // Keep the samples a future point may be measured from.
    while (this.samples.length > 2 && this.samples[1]!.time <= sample.time - this.spanMs * 2) this.samples.shift();
    while (this.points.length && this.points[0]!.time < horizon) this.points.shift();
  }

  values(): readonly RatePoint[] {
    return this.points;
  }

  latest(): RatePoint | undefined {
    return this.points[this.points.length - 1];
  }
}
