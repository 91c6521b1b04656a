/**
 * Explainable detection quality: precision and recall per rule and per simulator generator, with
 * every false positive and every miss listed with what it is about (its key, its events), against
 * the simulator's ground truth. The driver's global score (src/simulate's `scoreAlerts`) stays the
 * reference: the "all rules" figures here are the same recount by key.
 *
 * Semantics (by key, each key counted once, as `scoreAlerts`):
 * - a **truth key** is the `truthKey` of an anomaly the simulator generated, owned by the generator
 *   that produced it;
 * - an alert's key is `keyOf(alert)`; an alert key that is a truth key is a true positive of its
 *   rule, any other key a false positive, and an alert without a key is one false positive;
 * - a rule **covers** a generator once one of its true positives is a truth key of that generator;
 *   a rule's recall is over the truth keys of the generators it covers (a brute-force rule is not
 *   blamed for missing port scans); a rule that covers none has no recall;
 * - a generator's recall is its truth keys found by any rule over all its truth keys; its precision
 *   is its true-positive keys over those plus the false-positive keys of the rules that cover it;
 * - a **miss** is a truth key no rule alerted on; it is `pending` while its last event is less
 *   than {@link PENDING_MS} of event time old (a window may still close on it).
 *
 * Everything kept is bounded (limits below); past them the oldest truth keys and alert keys go.
 */
import type { SimulatedEvent } from '../../src/simulate/index.js';

/** Truth keys kept (the oldest are forgotten beyond). */
export const MAX_TRUTH_KEYS = 20_000;
/** Distinct alert keys kept per rule. */
export const MAX_ALERT_KEYS_PER_RULE = 20_000;
/** Events kept per truth key, to show with a miss (and per kept alert, of its `events`). */
export const SAMPLE_EVENTS = 4;
/** False positives and misses listed in a report (newest first). */
export const MAX_LISTED = 200;
/** Injected keys remembered for the Simulator view. */
export const MAX_INJECTED = 20;
/** A miss whose last event is younger than this (event time) is pending: a window may still close on it. */
export const PENDING_MS = 120_000;

/** A generated event as the tracker sees it: src/simulate's, with the generator that made it. */
export type TrackedEvent = Pick<SimulatedEvent, 'event' | 'anomaly' | 'truthKey'> & { generator?: string };

export interface QualityFigures {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** tp / (tp + fp); undefined when nothing was counted. */
  precision?: number;
  /** tp / (tp + fn); undefined when there was nothing to find. */
  recall?: number;
}

export interface RuleQuality extends QualityFigures {
  rule: string;
  alerts: number;
  /** Generators this rule found at least one truth key of. */
  covers: string[];
}

export interface GeneratorQuality extends QualityFigures {
  generator: string;
  truthKeys: number;
  /** Rules that found at least one of its truth keys. */
  rules: string[];
}

export interface FalsePositive {
  rule: string;
  /** The alert's key, or undefined when the alert names none. */
  key?: string;
  alerts: number;
  /** Processing time of the first alert (epoch ms). */
  firstSeen: number;
  /** The first alert of this rule with this key. */
  alert: Record<string, unknown>;
}

export interface Miss {
  generator: string;
  key: string;
  /** Anomalous events generated with this key. */
  events: number;
  /** Event time of its first and last events (epoch ms). */
  firstEvent: number;
  lastEvent: number;
  /** The first events (at most SAMPLE_EVENTS). */
  sample: Record<string, unknown>[];
  injected: boolean;
  /** Its last event is younger than PENDING_MS of event time: a window may still close on it. */
  pending: boolean;
}

export interface InjectedKey {
  generator: string;
  key: string;
  /** Event time of its first event. */
  time: number;
  /** Rules that alerted on it so far. */
  detectedBy: string[];
  /** Its first events (at most SAMPLE_EVENTS). */
  sample: Record<string, unknown>[];
}

export interface QualityReport {
  overall: QualityFigures;
  rules: RuleQuality[];
  generators: GeneratorQuality[];
  falsePositives: FalsePositive[];
  misses: Miss[];
  /** Newest first. */
  injected: InjectedKey[];
  /** Latest event time the simulator generated (epoch ms). */
  eventTime: number;
  /** Truth keys forgotten because of MAX_TRUTH_KEYS. */
  forgotten: number;
}

/** What the page may ask of the worker about quality (WorkerHost serves it beside VigilWorkerApi). */
export interface QualityApi {
  quality(): QualityReport;
}

interface TruthEntry {
  generator: string;
  events: number;
  firstEvent: number;
  lastEvent: number;
  sample: Record<string, unknown>[];
  injected: boolean;
  /** Rules that alerted on this key. */
  detectedBy: Set<string>;
}

interface AlertKeyEntry {
  alerts: number;
  firstSeen: number;
  /** The first alert, kept only while its key is no truth key (a false positive to show), its events cut to SAMPLE_EVENTS. */
  alert?: Record<string, unknown>;
}

interface RuleEntry {
  alerts: number;
  keys: Map<string, AlertKeyEntry>;
  /** Alerts without a key: each one a false positive. */
  unnamed: AlertKeyEntry[];
}

export class QualityTracker {
  private readonly truth = new Map<string, TruthEntry>();
  private readonly rules = new Map<string, RuleEntry>();
  /** Injections asked for per generator and not yet seen as a new truth key. */
  private readonly pendingInjections = new Map<string, number>();
  private readonly injected: string[] = [];
  /** Batches taken but not read yet: the driver may still rename their keys (relabel). */
  private unread: TrackedEvent[][] = [];
  private eventTime = -Infinity;
  private forgotten = 0;

  constructor(
    private readonly keyOf: (alert: Record<string, unknown>) => string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** A batch the simulator generated; read lazily, once the driver is done renaming keys. */
  observeTaken(taken: TrackedEvent[]): void {
    this.flush();
    this.unread.push(taken);
  }

  /** n anomalies were asked of `generator`: its next n new truth keys are the injected ones. */
  noteInjected(generator: string, n: number): void {
    this.pendingInjections.set(generator, (this.pendingInjections.get(generator) ?? 0) + n);
  }

  observeAlert(alert: Record<string, unknown>): void {
    const rule = typeof alert.rule === 'string' ? alert.rule : '';
    if (!rule || rule.startsWith('vigil.')) return;
    this.flush();
    let entry = this.rules.get(rule);
    if (!entry) this.rules.set(rule, (entry = { alerts: 0, keys: new Map(), unnamed: [] }));
    entry.alerts++;
    const key = this.keyOf(alert);
    if (key === undefined) {
      if (entry.unnamed.length >= MAX_LISTED) entry.unnamed.shift();
      entry.unnamed.push({ alerts: 1, firstSeen: this.now(), alert: slim(alert) });
      return;
    }
    const known = entry.keys.get(key);
    if (known) known.alerts++;
    else {
      if (entry.keys.size >= MAX_ALERT_KEYS_PER_RULE) entry.keys.delete(entry.keys.keys().next().value!);
      const truth = this.truth.get(key);
      entry.keys.set(key, truth ? { alerts: 1, firstSeen: this.now() } : { alerts: 1, firstSeen: this.now(), alert: slim(alert) });
    }
    this.truth.get(key)?.detectedBy.add(rule);
  }

  reset(): void {
    this.truth.clear();
    this.rules.clear();
    this.pendingInjections.clear();
    this.injected.length = 0;
    this.unread = [];
    this.eventTime = -Infinity;
    this.forgotten = 0;
  }

  report(): QualityReport {
    this.flush();
    const truthByGenerator = new Map<string, string[]>();
    for (const [key, t] of this.truth) {
      let keys = truthByGenerator.get(t.generator);
      if (!keys) truthByGenerator.set(t.generator, (keys = []));
      keys.push(key);
    }
    const found = new Set<string>();
    const falsePositives: FalsePositive[] = [];
    const rules: RuleQuality[] = [];
    const coveredBy = new Map<string, Set<string>>();
    const fpKeysOfRule = new Map<string, Set<string>>();
    let unnamedTotal = 0;
    for (const [rule, entry] of this.rules) {
      const covers = new Set<string>();
      let tp = 0;
      const fpKeys = new Set<string>();
      for (const [key, a] of entry.keys) {
        const t = this.truth.get(key);
        if (t) {
          tp++;
          found.add(key);
          covers.add(t.generator);
        } else {
          fpKeys.add(key);
          falsePositives.push({ rule, key, alerts: a.alerts, firstSeen: a.firstSeen, alert: a.alert ?? { rule } });
        }
      }
      for (const a of entry.unnamed) falsePositives.push({ rule, alerts: 1, firstSeen: a.firstSeen, alert: a.alert ?? { rule } });
      unnamedTotal += entry.unnamed.length;
      fpKeysOfRule.set(rule, fpKeys);
      for (const g of covers) {
        let set = coveredBy.get(g);
        if (!set) coveredBy.set(g, (set = new Set()));
        set.add(rule);
      }
      let coveredTruth = 0;
      for (const g of covers) coveredTruth += truthByGenerator.get(g)?.length ?? 0;
      const fp = fpKeys.size + entry.unnamed.length;
      rules.push({
        rule,
        alerts: entry.alerts,
        covers: [...covers].sort(),
        ...figures(tp, fp, covers.size ? coveredTruth - tp : undefined),
      });
    }
    const generators: GeneratorQuality[] = [];
    for (const [generator, keys] of truthByGenerator) {
      const tp = keys.filter((k) => found.has(k)).length;
      const covering = coveredBy.get(generator) ?? new Set<string>();
      const fpKeys = new Set<string>();
      for (const rule of covering) for (const k of fpKeysOfRule.get(rule) ?? []) fpKeys.add(k);
      generators.push({ generator, truthKeys: keys.length, rules: [...covering].sort(), ...figures(tp, fpKeys.size, keys.length - tp) });
    }
    // All rules together: the keys of every alert, once each (scoreAlerts' recount).
    const allAlertKeys = new Set<string>();
    for (const entry of this.rules.values()) for (const k of entry.keys.keys()) allAlertKeys.add(k);
    let fpAll = unnamedTotal;
    for (const k of allAlertKeys) if (!this.truth.has(k)) fpAll++;
    const misses: Miss[] = [];
    for (const [key, t] of this.truth) {
      if (found.has(key)) continue;
      misses.push({
        generator: t.generator,
        key,
        events: t.events,
        firstEvent: t.firstEvent,
        lastEvent: t.lastEvent,
        sample: t.sample,
        injected: t.injected,
        pending: t.lastEvent > this.eventTime - PENDING_MS,
      });
    }
    misses.sort((a, b) => b.lastEvent - a.lastEvent);
    falsePositives.sort((a, b) => b.firstSeen - a.firstSeen);
    rules.sort((a, b) => a.rule.localeCompare(b.rule));
    generators.sort((a, b) => a.generator.localeCompare(b.generator));
    const injected: InjectedKey[] = [];
    for (let i = this.injected.length - 1; i >= 0; i--) {
      const key = this.injected[i]!;
      const t = this.truth.get(key);
      if (t) injected.push({ generator: t.generator, key, time: t.firstEvent, detectedBy: [...t.detectedBy].sort(), sample: t.sample });
    }
    return {
      overall: figures(found.size, fpAll, this.truth.size - found.size),
      rules,
      generators,
      falsePositives: falsePositives.slice(0, MAX_LISTED),
      misses: misses.slice(0, MAX_LISTED),
      injected,
      eventTime: Number.isFinite(this.eventTime) ? this.eventTime : 0,
      forgotten: this.forgotten,
    };
  }

  private flush(): void {
    if (!this.unread.length) return;
    const batches = this.unread;
    this.unread = [];
    for (const batch of batches) for (const item of batch) this.read(item);
  }

  private read(item: TrackedEvent): void {
    const time = typeof item.event.timestamp === 'number' ? item.event.timestamp : this.eventTime;
    if (time > this.eventTime) this.eventTime = time;
    if (!item.anomaly || item.truthKey === undefined) return;
    const key = item.truthKey;
    let t = this.truth.get(key);
    if (!t) {
      if (this.truth.size >= MAX_TRUTH_KEYS) {
        this.truth.delete(this.truth.keys().next().value!);
        this.forgotten++;
      }
      const generator = item.generator ?? 'simulator';
      const asked = this.pendingInjections.get(generator) ?? 0;
      if (asked > 0) this.pendingInjections.set(generator, asked - 1);
      t = { generator, events: 0, firstEvent: time, lastEvent: time, sample: [], injected: asked > 0, detectedBy: new Set() };
      this.truth.set(key, t);
      if (t.injected) {
        if (this.injected.length >= MAX_INJECTED) this.injected.shift();
        this.injected.push(key);
      }
      // An alert may have named this key before its truth was read (another generator's key).
      for (const [rule, entry] of this.rules) if (entry.keys.has(key)) t.detectedBy.add(rule);
    }
    t.events++;
    if (time > t.lastEvent) t.lastEvent = time;
    if (t.sample.length < SAMPLE_EVENTS) t.sample.push(item.event);
  }
}

/** The alert as kept: an aggregation's `events` cut to SAMPLE_EVENTS (with how many there were). */
function slim(alert: Record<string, unknown>): Record<string, unknown> {
  const events = alert.events;
  if (!Array.isArray(events) || events.length <= SAMPLE_EVENTS) return alert;
  return { ...alert, events: events.slice(0, SAMPLE_EVENTS), eventsKept: `${SAMPLE_EVENTS} of ${events.length}` };
}

function figures(tp: number, fp: number, fn: number | undefined): QualityFigures {
  return {
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn ?? 0,
    precision: tp + fp ? tp / (tp + fp) : undefined,
    recall: fn !== undefined && tp + fn ? tp / (tp + fn) : undefined,
  };
}
