/** What every traffic generator promises: events in event-time order, with ground truth. */

/** One generated event and what the simulator knows about it. */
export interface SimulatedEvent {
  /** The event as the engine receives it (JSON-safe: plain objects, strings, finite numbers). */
  event: Record<string, unknown>;
  /** Ground truth: this event is (part of) an injected anomaly. */
  anomaly: boolean;
  /** What an alert about this anomaly is keyed by (a source IP, `user@server`…), for {@link scoreAlerts}. Set on every anomaly. */
  truthKey?: string;
  /**
   * Which injected anomaly this event belongs to: a number unique within its generator, shared by
   * all events of one attack or scan (a network anomaly is one event). Set on every anomaly.
   */
  incident?: number;
}

export interface Generator {
  readonly name: string;
  /** The next n events, in event-time order (each has a `timestamp` field, epoch ms). */
  take(n: number): SimulatedEvent[];
  /**
   * Forces n anomalies into the next events (the "controlled" mode); generators without anomalies
   * ignore it. For `network` that is the next n events, each invalid; for `bruteforce` and
   * `portscan` it is n attacks (scans) starting at {@link now}, each of many events.
   */
  inject(n: number): void;
  /** Event time of the next event (epoch ms). */
  readonly now: number;
  /**
   * Completes the anomalies under way: takes events (regular ones too, in event-time order) until no
   * attack or scan is half-emitted, starting no new one, and returns them — [] when none is under
   * way (always for `network`, `wave`, `noise`). Call it at the end of a run, so that the ground
   * truth holds only whole anomalies; taking more afterwards goes on in event-time order.
   */
  settle(): SimulatedEvent[];
  /**
   * Events per second of event time of the generator's regular traffic. Writable: a new rate
   * applies from the next event drawn (for `wave`, from the next cycle). {@link mixGenerators}
   * scales it by each part's weight.
   */
  rate: number;
  /** Whether the generator ever produces anomalies (whether {@link inject} does anything). */
  readonly hasAnomalies: boolean;
}

export interface GeneratorOptions {
  /** Seed of the generator's PRNG; the same seed gives the same events. Default 1. */
  seed?: number;
  /**
   * Events per second of event time, default 100. For `bruteforce` and `portscan` this is the
   * regular traffic; attack events come on top (about rate × p / (1 − p) more per second).
   */
  rate?: number;
  /** Event time of the first event (epoch ms), default 2026-01-01T00:00:00Z. */
  startTime?: number;
  /**
   * `network`: probability that an event is an invalid transition (default 0).
   * `bruteforce`, `portscan`: the expected fraction of events that belong to attacks (default 0.01).
   */
  errorProbability?: number;
  /** `network`: most protocol machines live at once (default 1000). */
  capacity?: number;
}

export const DEFAULT_SEED = 1;
export const DEFAULT_RATE = 100;
/** 2026-01-01T00:00:00Z: a multiple of every minute, hour and day, so windows align with it. */
export const DEFAULT_START_TIME = Date.UTC(2026, 0, 1);

/** Checks and fills in the options every generator shares. Throws RangeError on bad values. */
export function baseOptions(options: GeneratorOptions = {}): { seed: number; rate: number; startTime: number } {
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const startTime = options.startTime ?? DEFAULT_START_TIME;
  if (!Number.isFinite(startTime)) throw new RangeError(`startTime must be epoch milliseconds, got ${startTime}`);
  return { seed, rate: checkRate(options.rate ?? DEFAULT_RATE), startTime };
}

export function checkRate(rate: number): number {
  if (!(Number.isFinite(rate) && rate > 0)) throw new RangeError(`rate must be a positive number of events per second, got ${rate}`);
  return rate;
}

export function checkProbability(p: number, what: string, allowOne: boolean): number {
  if (!(p >= 0 && (allowOne ? p <= 1 : p < 1))) throw new RangeError(`${what} must be in [0, 1${allowOne ? ']' : ')'}, got ${p}`);
  return p;
}

export function checkCount(n: number, what: string): number {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`${what} must be a whole number, got ${n}`);
  return n;
}

export function positive(n: number, what: string): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`${what} must be a positive whole number, got ${n}`);
  return n;
}
