/**
 * Regular traffic plus bursts: the shape of the `bruteforce` and `portscan` generators. A burst
 * (one attack, one scan) is planned whole when it starts and its events are merged into the
 * regular traffic by event time.
 */
import { Arrivals } from './arrivals.js';
import { BaseGenerator } from './base-generator.js';
import { EventQueue } from './event-queue.js';
import { checkCount, checkProbability, checkRate, type SimulatedEvent } from './generator.js';
import { Random } from './random.js';

export interface TimedEvent {
  /** Epoch ms, whole. */
  time: number;
  item: SimulatedEvent;
}

export const MINUTE = 60_000;

export abstract class BurstGenerator extends BaseGenerator {
  readonly hasAnomalies = true;
  protected readonly random: Random;
  private readonly background: Arrivals;
  private readonly pending = new EventQueue();
  private readonly errorProbability: number;
  /** Fractional time of the next burst that starts on its own (Infinity when errorProbability is 0). */
  private nextBurst: number;
  private incidents = 0;

  /**
   * @param meanBurstSize mean number of events in a burst: sets how often bursts start for a given
   *   errorProbability.
   */
  constructor(
    seed: number,
    rate: number,
    startTime: number,
    errorProbability: number,
    private readonly meanBurstSize: number,
  ) {
    super();
    this.random = new Random(seed);
    this.background = new Arrivals(this.random, startTime, rate);
    this.errorProbability = checkProbability(errorProbability, 'errorProbability', false);
    this.nextBurst = startTime;
    this.nextBurst = this.drawBurstTime();
  }

  /** One event of regular traffic at `time`. */
  protected abstract regular(time: number): SimulatedEvent;
  /** All events of a burst starting at `start` (whole ms), each marked anomaly with `incident`. */
  protected abstract burst(start: number, incident: number): TimedEvent[];

  get now(): number {
    return Math.min(this.pending.peekTime(), this.background.next, Math.floor(this.nextBurst));
  }

  get rate(): number {
    return this.background.rate;
  }

  set rate(perSecond: number) {
    this.background.rate = checkRate(perSecond);
  }

  /** Starts n bursts at {@link now}; their events are among the next ones taken. */
  override inject(n: number): void {
    checkCount(n, 'inject(n)');
    const start = this.now;
    for (let i = 0; i < n; i++) this.schedule(start);
  }

  protected step(): SimulatedEvent {
    for (;;) {
      const burstAt = Math.floor(this.nextBurst);
      const queued = this.pending.peekTime();
      const regularAt = this.background.next;
      if (burstAt <= queued && burstAt <= regularAt) {
        this.schedule(burstAt);
        this.nextBurst = this.drawBurstTime();
        continue;
      }
      if (queued <= regularAt) return this.pending.pop();
      return this.regular(this.background.advance());
    }
  }

  /** Events until the last scheduled burst event is out; bursts due meanwhile are skipped, not started. */
  override settle(): SimulatedEvent[] {
    const out: SimulatedEvent[] = [];
    while (this.pending.size) {
      const burstAt = Math.floor(this.nextBurst);
      const queued = this.pending.peekTime();
      const regularAt = this.background.next;
      if (burstAt <= queued && burstAt <= regularAt) {
        this.nextBurst = this.drawBurstTime();
        continue;
      }
      out.push(queued <= regularAt ? this.pending.pop() : this.regular(this.background.advance()));
    }
    return out;
  }

  private schedule(start: number): void {
    for (const { time, item } of this.burst(start, this.incidents++)) this.pending.push(time, item);
  }

  /**
   * Bursts start as a renewal process whose rate makes anomalies the fraction p of all events:
   * anomalous events per second = rate × p / (1 − p).
   */
  private drawBurstTime(): number {
    const p = this.errorProbability;
    if (p === 0) return Infinity;
    const burstsPerMs = (this.background.rate / 1000) * (p / (1 - p)) / this.meanBurstSize;
    return this.nextBurst + (this.random.next() * 2) / burstsPerMs;
  }
}
