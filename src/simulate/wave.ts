/** `wave`: a periodic metric whose per-cycle sums are known exactly, for checking windowed sums. */
import { BaseGenerator } from './base-generator.js';
import { baseOptions, checkRate, positive, type GeneratorOptions, type SimulatedEvent } from './generator.js';
import { Random } from './random.js';

export type WaveShape = 'sawtooth' | 'sine' | 'square';
export const WAVE_SHAPES: readonly WaveShape[] = ['sawtooth', 'sine', 'square'];

export interface WaveOptions extends GeneratorOptions {
  /** Length of a cycle in ms (default 60 000, one minute). */
  period?: number;
  shape?: WaveShape;
  /** Mean peak value (default 1000); each cycle's peak is drawn in [amplitude/2, 3·amplitude/2). */
  amplitude?: number;
}

interface Cycle {
  samples: number;
  peak: number;
  sum: number;
}

/**
 * Cycle c covers [startTime + c·period, startTime + (c+1)·period) and holds `samples` =
 * max(1, round(rate · period / 1000)) events: sample i at cycleStart + floor(i · period / samples),
 * with phase x = i / samples and
 * - sawtooth: value = round(peak · x)
 * - sine:     value = round(peak · (1 + sin 2πx) / 2)
 * - square:   value = x < 1/2 ? peak : 0
 * Values are whole numbers, so any sum of them is exact. Each cycle's peak is drawn from the
 * generator's PRNG, in cycle order, the first time the cycle is needed (its first event, or a call
 * to {@link expectedCycleSum}); the number of samples is fixed at that moment too, so a rate change
 * applies from the next cycle not yet fixed.
 *
 * With startTime a multiple of the period (the default start is a multiple of every whole
 * minute, hour and day), cycle c is exactly the epoch-aligned tumbling window
 * [cycleStart(c), cycleStart(c) + period): `WITHIN period, period` sums one cycle per window.
 */
export class WaveGenerator extends BaseGenerator {
  readonly name = 'wave';
  readonly hasAnomalies = false;
  readonly period: number;
  readonly shape: WaveShape;
  readonly startTime: number;
  private readonly amplitude: number;
  private readonly random: Random;
  private perSecond: number;
  private readonly cycles: Cycle[] = [];
  private cycle = 0;
  private sample = 0;

  constructor(options: WaveOptions = {}) {
    super();
    const { seed, rate, startTime } = baseOptions(options);
    this.random = new Random(seed);
    this.perSecond = rate;
    this.startTime = startTime;
    this.period = positive(options.period ?? 60_000, 'period');
    this.amplitude = positive(options.amplitude ?? 1000, 'amplitude');
    this.shape = options.shape ?? 'sine';
    if (!WAVE_SHAPES.includes(this.shape)) throw new RangeError(`shape must be one of ${WAVE_SHAPES.join(', ')}, got '${this.shape}'`);
  }

  get rate(): number {
    return this.perSecond;
  }

  set rate(perSecond: number) {
    this.perSecond = checkRate(perSecond);
  }

  get now(): number {
    return this.sampleTime(this.cycle, this.sample);
  }

  /** Start of cycle c (epoch ms). */
  cycleStart(cycle: number): number {
    return this.startTime + cycle * this.period;
  }

  /** Number of events in cycle c. */
  samplesInCycle(cycle: number): number {
    return this.fix(cycle).samples;
  }

  /** The exact sum of `value` over all events of cycle c. */
  expectedCycleSum(cycle: number): number {
    return this.fix(cycle).sum;
  }

  protected step(): SimulatedEvent {
    const { samples, peak } = this.fix(this.cycle);
    const timestamp = this.sampleTime(this.cycle, this.sample);
    const event = { kind: 'metric', shape: this.shape, value: this.value(peak, this.sample / samples), cycle: this.cycle, timestamp };
    if (++this.sample === samples) {
      this.cycle++;
      this.sample = 0;
    }
    return { event, anomaly: false };
  }

  private sampleTime(cycle: number, sample: number): number {
    return this.cycleStart(cycle) + Math.floor((sample * this.period) / this.fix(cycle).samples);
  }

  /** Cycle parameters, drawn in cycle order up to c. */
  private fix(cycle: number): Cycle {
    if (!(Number.isInteger(cycle) && cycle >= 0)) throw new RangeError(`cycle must be a whole number, got ${cycle}`);
    while (this.cycles.length <= cycle) {
      const samples = Math.max(1, Math.round((this.perSecond * this.period) / 1000));
      const peak = Math.floor(this.amplitude * (0.5 + this.random.next()));
      let sum = 0;
      for (let i = 0; i < samples; i++) sum += this.value(peak, i / samples);
      this.cycles.push({ samples, peak, sum });
    }
    return this.cycles[cycle];
  }

  private value(peak: number, x: number): number {
    switch (this.shape) {
      case 'sawtooth':
        return Math.round(peak * x);
      case 'sine':
        return Math.round((peak * (1 + sin2pi(x))) / 2);
      case 'square':
        return x < 0.5 ? peak : 0;
    }
  }
}

/**
 * sin(2πx) for x in [0, 1) from + − × only (Math.sin may differ in its last bit between engines,
 * which could flip a rounding): reduce to [−π/2, π/2], then a Taylor polynomial to x¹⁹
 * (error below 1e-15 there).
 */
export function sin2pi(x: number): number {
  let t = x - Math.floor(x); // [0, 1)
  // sin(2πt) = sin(π − 2πt): fold [1/4, 3/4] onto [−1/4, 1/4]
  if (t > 0.75) t -= 1;
  else if (t > 0.25) t = 0.5 - t;
  const a = 2 * Math.PI * t; // [−π/2, π/2]
  const a2 = a * a;
  let term = a;
  let sum = a;
  for (let n = 1; n <= 9; n++) {
    term *= -a2 / ((2 * n) * (2 * n + 1));
    sum += term;
  }
  return sum;
}
