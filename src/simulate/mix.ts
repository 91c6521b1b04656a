/** Several generators as one stream, interleaved by event time. */
import { BaseGenerator } from './base-generator.js';
import { checkCount, checkRate, DEFAULT_SEED, type Generator, type SimulatedEvent } from './generator.js';
import { Random } from './random.js';

export interface MixPart {
  generator: Generator;
  /** Multiplies the part's rate (> 0). */
  weight: number;
}

/**
 * Each step takes the event of the part whose {@link Generator.now} is earliest (ties: the part
 * listed first), so the mix is in event-time order when the parts are. The mix takes ownership of
 * its parts: it multiplies each part's rate by its weight once, here, and its own `rate` is the sum
 * of the parts' rates (setting it scales every part alike).
 *
 * Anomaly events keep their truthKey; their `incident` becomes incident × (number of parts) + part
 * index, so it stays unique across parts. `inject(n)` gives each of the n anomalies to one part that has anomalies, chosen by
 * weight with the mix's own PRNG (`seed`, default 1); with no such part it does nothing.
 */
export class MixedGenerator extends BaseGenerator {
  readonly name: string;
  readonly hasAnomalies: boolean;
  private readonly parts: readonly MixPart[];
  private readonly random: Random;

  constructor(parts: readonly MixPart[], seed = DEFAULT_SEED) {
    super();
    if (!parts.length) throw new RangeError('mixGenerators needs at least one part');
    for (const part of parts) {
      if (!(Number.isFinite(part.weight) && part.weight > 0)) throw new RangeError(`weight must be a positive number, got ${part.weight}`);
      part.generator.rate = checkRate(part.generator.rate * part.weight);
    }
    this.parts = parts.slice();
    this.name = `mix(${parts.map((p) => p.generator.name).join(',')})`;
    this.hasAnomalies = parts.some((p) => p.generator.hasAnomalies);
    this.random = new Random(seed);
  }

  get now(): number {
    return Math.min(...this.parts.map((p) => p.generator.now));
  }

  get rate(): number {
    return this.parts.reduce((sum, p) => sum + p.generator.rate, 0);
  }

  set rate(perSecond: number) {
    const factor = checkRate(perSecond) / this.rate;
    for (const p of this.parts) p.generator.rate *= factor;
  }

  override inject(n: number): void {
    checkCount(n, 'inject(n)');
    const candidates = this.parts.filter((p) => p.generator.hasAnomalies).map((p) => [p.generator, p.weight] as const);
    if (!candidates.length) return;
    const counts = new Map<Generator, number>();
    for (let i = 0; i < n; i++) {
      const g = this.random.weighted(candidates);
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
    for (const [g, k] of counts) g.inject(k);
  }

  /**
   * Settles every part, then brings the others up to the latest settled event (which may start
   * new anomalies, settled in turn), and merges it all by (time, part order) as {@link step} would.
   */
  override settle(): SimulatedEvent[] {
    const buffers: SimulatedEvent[][] = this.parts.map(() => []);
    const last = () => Math.max(-Infinity, ...buffers.filter((b) => b.length).map((b) => b[b.length - 1].event.timestamp as number));
    for (;;) {
      this.parts.forEach((p, i) => buffers[i].push(...p.generator.settle()));
      const until = last();
      let moved = false;
      this.parts.forEach((p, i) => {
        while (p.generator.now <= until) {
          buffers[i].push(...p.generator.take(1));
          moved = true;
        }
      });
      if (!moved) break;
    }
    const out: SimulatedEvent[] = [];
    const at = buffers.map(() => 0);
    for (;;) {
      let best = -1;
      for (let i = 0; i < buffers.length; i++) {
        if (at[i] < buffers[i].length && (best < 0 || (buffers[i][at[i]].event.timestamp as number) < (buffers[best][at[best]].event.timestamp as number))) best = i;
      }
      if (best < 0) return out;
      out.push(this.renumber(buffers[best][at[best]++], best));
    }
  }

  protected step(): SimulatedEvent {
    let best = 0;
    let bestTime = this.parts[0].generator.now;
    for (let i = 1; i < this.parts.length; i++) {
      const t = this.parts[i].generator.now;
      if (t < bestTime) {
        best = i;
        bestTime = t;
      }
    }
    return this.renumber(this.parts[best].generator.take(1)[0], best);
  }

  private renumber(item: SimulatedEvent, part: number): SimulatedEvent {
    return item.incident === undefined ? item : { ...item, incident: item.incident * this.parts.length + part };
  }
}

/** Interleaves generators by event time; weights scale each part's rate. See {@link MixedGenerator}. */
export function mixGenerators(parts: { generator: Generator; weight: number }[], seed?: number): Generator {
  return new MixedGenerator(parts, seed);
}
