/**
 * Drives the traffic simulator (src/simulate) inside the engine worker: a timer takes events from
 * the generator at the chosen rate (wall clock) and pushes them to the engine; event time comes
 * from the generator, which starts at the wall clock so windows and charts line up with "now".
 *
 * The simulator library is handed in (`SimulatorLib`), so the driver is tested without it and the
 * worker still works if it fails to load.
 */
import type { Alert } from '../../src/engine/engine.js';
import type { SimulatorGeneratorName, SimulatorSettings, SimulatorStatus } from '../../src/runtime/worker/protocol.js';

/** What the driver needs of a generator (src/simulate's `Generator`). */
export interface SimGenerator {
  readonly name: string;
  take(n: number): { event: Record<string, unknown>; anomaly: boolean; truthKey?: string }[];
  inject(n: number): void;
  readonly now: number;
  rate: number;
  readonly hasAnomalies?: boolean;
}

export interface SimScore {
  precision: number;
  recall: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

/** What the driver needs of src/simulate. */
export interface SimulatorLib {
  createGenerator(
    name: SimulatorGeneratorName,
    options?: { seed?: number; rate?: number; startTime?: number; errorProbability?: number; capacity?: number },
  ): SimGenerator;
  mixGenerators(parts: { generator: SimGenerator; weight: number }[], seed?: number): SimGenerator;
  /** Scores alerts against the ground-truth keys of the anomalies generated so far. */
  score(alerts: readonly Alert[], truthKeys: ReadonlySet<string>): SimScore;
  /** The ground-truth key an alert speaks about (what `score` matches), or undefined when it names none. */
  alertKey(alert: Alert): string | undefined;
  /**
   * Renames the keys of stream `stream` (> 0) in place, so a fresh generator does not reuse the
   * keys of an earlier one that the engine still holds state for (state machines, windows).
   */
  relabel?(taken: { event: Record<string, unknown>; truthKey?: string }[], stream: number): void;
}

export interface SimulatorSink {
  /**
   * Pushes generated events to the engine; returns how many it rejected. `anomalous[i]` is the
   * ground truth of events[i] (for statistics that want it, e.g. the flow model's labels).
   */
  push(events: Record<string, unknown>[], anomalous: readonly boolean[]): number;
}

export interface SimulatorTimer {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimer: SimulatorTimer = {
  now: () => Date.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

export const TICK_MS = 100;
/** Most events taken in one tick, as seconds of the rate (at least CATCH_UP_EVENTS_PER_TICK). */
const MAX_BACKLOG_SECONDS = 0.5;
const CATCH_UP_EVENTS_PER_TICK = 5000;
/** Events pushed to the engine per call. */
const CHUNK = 2000;
/** The generator is "behind" when its event time trails the wall clock by more than this. */
const BEHIND_MS = 2000;
/** Resuming after a longer pause starts a fresh stream at the wall clock. */
const MAX_CATCH_UP_MS = 30_000;
/**
 * Distinct truth keys, distinct alert keys and key-less alerts kept for scoring (each; the oldest
 * go first). The score counts each key once, so one alert per key is all it needs: at 100k events/s
 * the default rules raise tens of thousands of alerts in ten minutes, and keeping alerts by count
 * (as before) dropped the alerts of keys still counted as truth — false misses.
 */
export const MAX_SCORED = 20_000;

export const DEFAULT_SIMULATOR_SETTINGS: SimulatorSettings = {
  mix: [
    { generator: 'bruteforce', weight: 1 },
    { generator: 'noise', weight: 1 },
  ],
  rate: 200,
  errorProbability: 0.01,
  seed: 1,
};

export function checkSettings(settings: SimulatorSettings): SimulatorSettings {
  if (!settings.mix.length) throw new RangeError('choose at least one generator');
  for (const part of settings.mix) {
    if (!(part.weight > 0)) throw new RangeError(`weight of ${part.generator} must be positive`);
    if (part.errorProbability !== undefined && !(part.errorProbability >= 0 && part.errorProbability < 1)) {
      throw new RangeError(`error probability of ${part.generator} must be in [0, 1)`);
    }
  }
  if (!(Number.isFinite(settings.rate) && settings.rate > 0 && settings.rate <= 100_000)) {
    throw new RangeError('rate must be between 1 and 100000 events per second');
  }
  if (!(settings.errorProbability >= 0 && settings.errorProbability < 1)) {
    throw new RangeError('error probability must be in [0, 1)');
  }
  if (!Number.isInteger(settings.seed)) throw new RangeError('seed must be a whole number');
  return settings;
}

export class SimulatorDriver {
  private settings: SimulatorSettings = DEFAULT_SIMULATOR_SETTINGS;
  private generator: SimGenerator | undefined;
  private handle: unknown;
  private restarts = 0;
  private warmedUp = false;
  private generated = 0;
  private anomalies = 0;
  private injected = 0;
  private rejected = 0;
  private behind = false;
  private truthKeys = new Set<string>();
  /** One alert per distinct alert key (insertion order: the oldest first). */
  private keyedAlerts = new Map<string, Alert>();
  /** Alerts that name no key: each is a false positive. */
  private unnamedAlerts: Alert[] = [];
  private cachedScore: SimScore | undefined;
  private scoreDirty = false;
  private error: string | undefined;
  /** Generators built so far (a fresh one renames its keys, see SimulatorLib.relabel). */
  private stream = 0;
  private generatorsBuilt = 0;
  /** Event time a fresh stream must not start before (the watermark of a restored engine). */
  private notBefore = -Infinity;

  constructor(
    private readonly lib: SimulatorLib | undefined,
    private readonly sink: SimulatorSink,
    private readonly timer: SimulatorTimer = realTimer,
    /** Called after each step that pushed events. */
    private readonly onTick: () => void = () => {},
    /**
     * The first stream starts this far in the past and catches up at once, so windows close and
     * alerts show within seconds of loading instead of after the first window's length.
     */
    private readonly warmupMs = 0,
  ) {}

  get running(): boolean {
    return this.handle !== undefined;
  }

  configure(settings: Partial<SimulatorSettings>): void {
    const next = checkSettings({ ...this.settings, ...settings, mix: settings.mix ?? this.settings.mix });
    const rebuild =
      JSON.stringify(next.mix) !== JSON.stringify(this.settings.mix) ||
      next.seed !== this.settings.seed ||
      next.errorProbability !== this.settings.errorProbability;
    this.settings = next;
    if (rebuild) {
      const wasRunning = this.running;
      this.stop();
      this.generator = undefined;
      this.restarts = 0;
      this.resetScore();
      if (wasRunning) this.start();
    } else if (this.generator) {
      this.generator.rate = next.rate;
    }
  }

  start(): void {
    if (this.running) return;
    if (!this.lib) throw new Error(this.error ?? 'the simulator is not available');
    const now = this.timer.now();
    // After a long pause, start a fresh stream at "now" rather than fast-forward through the gap.
    if (this.generator && this.generator.now < now - MAX_CATCH_UP_MS) {
      this.restarts++;
      this.generator = undefined;
    }
    this.generator ??= this.build();
    this.handle = this.timer.setInterval(() => this.tick(), TICK_MS);
    this.tick();
  }

  stop(): void {
    if (this.handle !== undefined) this.timer.clearInterval(this.handle);
    this.handle = undefined;
    this.behind = false;
  }

  inject(n = 1): void {
    if (!this.lib) return;
    this.generator ??= this.build();
    this.generator.inject(n);
    this.injected += n;
  }

  /** Every alert the engine raises, for precision/recall. */
  observeAlert(alert: Alert): void {
    if (alert.rule.startsWith('vigil.')) return;
    const key = this.lib?.alertKey(alert);
    if (key === undefined) {
      if (this.unnamedAlerts.length >= MAX_SCORED) this.unnamedAlerts.splice(0, this.unnamedAlerts.length >> 1);
      this.unnamedAlerts.push(alert);
    } else if (!this.keyedAlerts.has(key)) {
      if (this.keyedAlerts.size >= MAX_SCORED) this.keyedAlerts.delete(this.keyedAlerts.keys().next().value!);
      this.keyedAlerts.set(key, alert);
    } else return;
    this.scoreDirty = true;
  }

  resetScore(): void {
    this.truthKeys = new Set();
    this.keyedAlerts = new Map();
    this.unnamedAlerts = [];
    this.cachedScore = undefined;
    this.generated = 0;
    this.anomalies = 0;
    this.injected = 0;
    this.rejected = 0;
  }

  /**
   * After an engine restore: the next stream starts at `eventTime` or later (no warm-up in the past,
   * which the restored windows would see as late) and renames its keys away from stream `stream`'s.
   */
  resumeAfter(eventTime: number, stream: number): void {
    this.warmedUp = true;
    this.notBefore = eventTime;
    this.stream = Math.max(this.stream, stream + 1);
  }

  /** The stream number of the current generator (for checkpoints). */
  get streamNumber(): number {
    return this.stream;
  }

  /** Marks the library as unavailable, with the reason (shown in the Simulator view). */
  setUnavailable(reason: string): void {
    this.error = reason;
  }

  status(): SimulatorStatus {
    return {
      available: this.lib !== undefined,
      running: this.running,
      settings: structuredClone(this.settings),
      generated: this.generated,
      anomalies: this.anomalies,
      injected: this.injected,
      eventTime: this.generator?.now ?? 0,
      rejected: this.rejected,
      behind: this.behind,
      score: this.score(),
      error: this.error,
    };
  }

  /** One step of `n` events, whatever the clock (tests, "step" buttons). */
  step(n: number): void {
    if (!this.lib) return;
    this.generator ??= this.build();
    const taken = this.generator.take(n);
    if (this.stream > 0) this.lib.relabel?.(taken, this.stream);
    const events: Record<string, unknown>[] = new Array(taken.length);
    const anomalous: boolean[] = new Array(taken.length);
    for (let i = 0; i < taken.length; i++) {
      const t = taken[i]!;
      events[i] = t.event;
      anomalous[i] = t.anomaly;
      if (t.anomaly) {
        this.anomalies++;
        if (t.truthKey !== undefined && !this.truthKeys.has(t.truthKey)) {
          if (this.truthKeys.size >= MAX_SCORED) {
            // The oldest truth key goes, and its alert with it: neither a miss nor a false alarm.
            const oldest = this.truthKeys.keys().next().value!;
            this.truthKeys.delete(oldest);
            this.keyedAlerts.delete(oldest);
          }
          this.truthKeys.add(t.truthKey);
          this.scoreDirty = true;
          if (this.injected > 0) this.injected--;
        }
      }
    }
    this.generated += events.length;
    if (events.length) this.rejected += this.sink.push(events, anomalous);
    this.onTick();
  }

  /**
   * Takes the events whose event time has come (the generator's clock follows the wall clock), at
   * most a budget per tick: when the engine cannot keep up, the generator falls behind (reported as
   * `behind`) instead of piling up work.
   */
  private tick(): void {
    const generator = this.generator;
    if (!generator) return;
    const now = this.timer.now();
    const rate = this.settings.rate;
    let budget = Math.max(Math.ceil(rate * MAX_BACKLOG_SECONDS), CATCH_UP_EVENTS_PER_TICK);
    try {
      while (budget > 0 && generator.now <= now) {
        const due = Math.max(1, Math.ceil(((now - generator.now) / 1000) * rate));
        const n = Math.min(due, budget, CHUNK);
        this.step(n);
        budget -= n;
      }
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
      this.stop();
    }
    this.behind = this.running && generator.now < now - BEHIND_MS;
  }

  private score(): SimScore | undefined {
    if (!this.lib || (this.truthKeys.size === 0 && this.keyedAlerts.size === 0 && this.unnamedAlerts.length === 0)) return undefined;
    if (this.scoreDirty || !this.cachedScore) {
      this.cachedScore = this.lib.score([...this.keyedAlerts.values(), ...this.unnamedAlerts], this.truthKeys);
      this.scoreDirty = false;
    }
    return this.cachedScore;
  }

  private build(): SimGenerator {
    const lib = this.lib!;
    const warmupMs = this.warmedUp ? 0 : this.warmupMs;
    // The first generator keeps the stream number (0, or the one after a restored engine's).
    if (this.generatorsBuilt > 0) this.stream++;
    this.warmedUp = true;
    this.generatorsBuilt++;
    const { mix, rate, errorProbability } = this.settings;
    const seed = this.settings.seed + this.restarts * 7919;
    // Event time starts at the wall clock (minus the warm-up), on a whole second.
    const startTime = Math.floor(Math.max(this.timer.now() - warmupMs, this.notBefore) / 1000) * 1000;
    const total = mix.reduce((s, p) => s + p.weight, 0);
    // A mix multiplies each part's rate by its weight: parts start at rate/total, the mix sums to rate.
    const single = mix.length === 1;
    const parts = mix.map((part, i) => ({
      generator: lib.createGenerator(part.generator, {
        seed: seed * 31 + i,
        rate: single ? rate : rate / total,
        startTime,
        errorProbability: part.errorProbability ?? errorProbability,
      }),
      weight: part.weight,
    }));
    return single ? parts[0]!.generator : lib.mixGenerators(parts, seed);
  }
}
