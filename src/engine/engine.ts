/**
 * The engine: rules, IOC sets, tables, windows and the path of an event through them.
 * Synchronous and runtime-agnostic: everything that touches a platform (loading WebAssembly,
 * files, timers) is done by the caller and handed in.
 */
import type { Diagnostic } from '../lang/diagnostic.js';
import { compileCheck } from '../lang/index.js';
import { resolveLimits, SandboxViolation, type BatchOutcome, type IocSetFactory, type SandboxFactory, type SandboxLimits, type StateTableFactory, type ViolationKind, type WindowBufferFactory } from './ports.js';
import { createUtils, type Utils, type UtilsHost } from '../lang/utils.js';
import { Broadcast } from './alert-stream.js';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import { compileRule, sameMachine, sameSuppression, sameWindowing, type CompiledRule, type FunctionPhase, type FunctionRunner } from './compile-rule.js';
import { parseEventTime, type Clock } from './event-time.js';
import { fieldReader, groupKeyText, ownField, recordOf, scalarText, type EventRecord, type FieldReader } from './fields.js';
import { IocRegistry } from './ioc-registry.js';
import { ModelRegistry } from './models.js';
import { RateMeter } from './rate-meter.js';
import { Router } from './router.js';
import type { MachineTransition, StateMachineViolation } from './state-machine.js';

export type { MachineTransition } from './state-machine.js';
import type { Suppressor } from './suppression.js';
import { TableRegistry } from './tables.js';
import { MAX_EVENT_DEPTH, nestingDepthExceeds } from './nesting.js';
import { EventClock, type EventClockSnapshot, type Quarantine } from './watermark.js';
import { WindowStore, type FiredWindow, type WindowSnapshot } from './window.js';

export interface EngineOptions {
  /** How far out of order events may arrive: the watermark trails the highest event time by this. Default 5000 ms. */
  outOfOrderMs?: number;
  /**
   * An event whose USING time is more than this ahead of the processing clock is quarantined: it
   * reaches simple rules but moves no event time and enters no window or state machine, and a
   * `vigil.future` diagnostic reports it. Default: off (Infinity) — replays of any date work;
   * `vigil collect` and the HTTP API set 5 minutes for live input.
   */
  maxFutureMs?: number;
  /**
   * An event more than this ahead of its own source's highest time (or, for a new source, of every
   * active source's) is quarantined the same way, unless `jumpConfirmations` events in a row agree
   * on the new time (a replay after a gap). Default 1 hour.
   */
  maxJumpMs?: number;
  /**
   * How many events in a row must agree before a source's jump in time is believed (the waiting
   * ones are then accepted, so a gap in a sparse feed loses nothing). Default 3.
   */
  jumpConfirmations?: number;
  /**
   * Sources tracked per USING field. Source names can be chosen by whoever writes the input (a
   * `watermarkBy` field, a spoofed exporter address): past this many, idle sources are forgotten,
   * then new ones share one source, "(other sources)". Default 10 000.
   */
  maxSources?: number;
  /** A source with no event for this long (processing time) stops holding the watermark back. Default 60 000 ms. */
  sourceIdleMs?: number;
  /**
   * A field naming each event's source for event time (JSON lines that carry their own source,
   * e.g. `host.name`); events without it belong to the batch's source (PushOptions.source).
   */
  watermarkBy?: string;
  /** How long after a window fires late events still update it (re-firing it). Default 0. */
  allowedLatenessMs?: number;
  /** Limits for rule functions that run in the sandbox. */
  sandbox?: Partial<SandboxLimits>;
  /** Per-rule sandbox limits, by rule name, over `sandbox` field by field. */
  sandboxPerRule?: Readonly<Record<string, Partial<SandboxLimits>>>;
  /** Run every FILTER in the sandbox, even pure expressions (for comparison). */
  sandboxOnly?: boolean;
  /** How many times alerts may re-enter the engine in one chain. Default 8. */
  maxReentryDepth?: number;
  /**
   * How many alerts raised by re-entered alerts one input (a push, a flush, a clock tick) may cause:
   * this plus `reentryFanOut` per alert it raised directly. Rules that feed each other can multiply
   * alerts exponentially within the depth limit; past the budget the rule raising the most derived
   * alerts is deactivated (kind `fanout`) and those alerts dropped. Default 10 000.
   */
  reentryBudget?: number;
  /** See reentryBudget. Default 4. */
  reentryFanOut?: number;
  /**
   * Index FILTERs' leading equality tests so an event meets only rules it can pass. Default true;
   * false is for measuring what the index brings.
   */
  equalityIndex?: boolean;
  /** Processing time; defaults to Date.now. Inject one on edge runtimes and in tests. */
  clock?: Clock;
  /**
   * The clock the sandbox's CPU deadline is measured on, in ms. Defaults to wall time; the Node
   * runtime passes the process's CPU time, so a process descheduled on a busy machine does not
   * lose rules that did little work.
   */
  cpuClock?: () => number;
  /**
   * Told which rule function is about to run and when it returned. An outer guard (the Node
   * off-thread watchdog) records it in shared memory, so when a function overruns and the thread
   * has to be stopped, the guard knows which rule to blame without the stuck thread's help.
   */
  activity?: RuleActivity;
}

/** See EngineOptions.activity. Called once per rule function and batch, not per event. */
export interface RuleActivity {
  enter(rule: string, phase: FunctionPhase): void;
  leave(): void;
}

/** What a runtime hands the engine: its ports (src/engine/ports.ts), loaded the runtime's way. */
export interface EngineHost {
  /** Runs rule functions that cannot run natively (src/sandbox: `createSandboxFactory(quickjs)`). */
  sandboxes: SandboxFactory;
  iocSets: IocSetFactory;
  stateTables: StateTableFactory;
  windowBuffers: WindowBufferFactory;
}

/** An alert: the object SINK returned, plus `rule` and, for aggregation rules, key and window. */
export interface Alert {
  rule: string;
  [field: string]: unknown;
}

/** Something the engine reports about the stream while it runs (late events, rule errors…). */
export interface RuntimeDiagnostic {
  /** `vigil.late`, `vigil.rule.error`, `vigil.time`, `vigil.reentry`, `vigil.input`. */
  code: string;
  message: string;
  rule?: string;
  [detail: string]: unknown;
}

export interface RuleInfo {
  name: string;
  state: 'active' | 'deactivated' | 'disabled';
  deactivation?: { kind: string; reason: string; at: number };
  version: number;
  text: string;
  file: string;
  kind: 'simple' | 'aggregation' | 'state-machine';
  /** Where each function runs, and why a function went to the sandbox. */
  functions: { phase: FunctionPhase; mode: 'native' | 'sandbox'; reason?: string }[];
  stats: { routed: number; matched: number; alerts: number; late: number; errors: number; suppressed: number };
}

export interface RuleVersion {
  version: number;
  action: 'create' | 'replace' | 'remove' | 'revert';
  text: string;
  author: string;
  time: number;
}

export interface ApplyOptions {
  file?: string;
  author?: string;
  /** With false, a rule whose name exists already is an error. Default true. */
  replace?: boolean;
}

export interface ApplyResult {
  ok: boolean;
  added: string[];
  replaced: string[];
  diagnostics: Diagnostic[];
}

/** Where a batch comes from, for event time (see EngineOptions.watermarkBy). */
export interface PushOptions {
  /**
   * The source of the batch: an exporter and observation domain, a file, a partition and client.
   * Event time advances per source; the engine's watermark is the minimum over active sources.
   */
  source?: string;
  /** This source's out-of-order bound, overriding `outOfOrderMs` (a collector derives it per exporter). */
  outOfOrderMs?: number;
}

export interface PushResult {
  accepted: number;
  rejected: { index: number; reason: string }[];
}

export interface StateMachineStats {
  liveKeys: number;
  byteSize: number;
  /** INITIAL first, then the states in order of first mention. */
  stateNames: string[];
  /** Keys per state, when asked for (it walks every key). INITIAL counts only keys the table holds. */
  states?: Record<string, number>;
}

export interface EventTimeInfo {
  field: string;
  watermark: number | null;
  sources: ReturnType<EventClock['describe']>;
}

export interface EngineMetrics {
  eventsIn: number;
  eventsPerSecond: number;
  alertsOut: number;
  lateEvents: number;
  deactivations: number;
  reentries: number;
  /** Events whose time was too far ahead (vigil.future): they moved no event time. */
  quarantined: number;
  rules: Record<string, RuleInfo['stats'] & { state: RuleInfo['state'] }>;
}

/** What a checkpoint holds, as JSON (IOC filters are blobs beside it). */
interface EngineState {
  position: number;
  nextOrder: number;
  counters: Engine['counters'];
  rules: { name: string; text: string; file: string; order: number; state: RuleInfo['state']; deactivation?: RuleInfo['deactivation']; stats: RuleInfo['stats'] }[];
  history: [string, RuleVersion[]][];
  iocs: { name: string; blob: number }[];
  tables: { name: string; entries: string[] }[];
  /** Flow models by name (absent in checkpoints of older versions). */
  models?: [string, unknown][];
  watermarks: [string, number | null][];
  /** Per USING field, event time per source (absent in checkpoints of older versions). */
  eventClocks?: [string, EventClockSnapshot][];
  windows: [string, WindowSnapshot<EventRecord>][];
  /** Per state-machine rule, the blob holding its state table. */
  machines: [string, number][];
  /** Per SUPPRESS rule, the keys inside their period (absent in checkpoints of older versions). */
  suppressions?: [string, ReturnType<Suppressor['snapshot']>][];
  /** The caller's own data, returned by restore (e.g. input offsets). */
  extra?: unknown;
}

/** The events of one batch that passed a rule's FILTER, waiting for its IOC FILTERS. */
interface IocWork {
  rule: CompiledRule;
  indices: number[];
  passed: Uint8Array;
}

/** An event whose time waited for its source's jump to be confirmed, with the rules it passed. */
interface ReleasedEvent {
  item: EventRecord;
  /** The rules it passed (one, several, or none). */
  context: unknown;
}

/** A STATE MACHINE rule's events of one batch, in order, as parallel arrays. */
interface MachineBatch {
  seqs: number[];
  events: EventRecord[];
  times: number[];
}

/** One unit of pending work inside a batch, ordered by `seq` so output order never depends on batch size. */
interface Pending {
  seq: number;
  rule: CompiledRule;
  input: unknown;
  window?: FiredWindow<EventRecord>;
}

const REENTRY_FIELD = 'rule';
const EMPTY_COUNTERS = { eventsIn: 0, alertsOut: 0, lateEvents: 0, deactivations: 0, reentries: 0, quarantined: 0 };
/** The source of events pushed without one. */
const DEFAULT_SOURCE = 'default';
/** Quarantined events reported one by one per source before they are only counted. */
const MAX_QUARANTINE_REPORTS = 100;

export class Engine {
  readonly iocs: IocRegistry;
  readonly tables = new TableRegistry();
  /** Flow models for `utils.classify` (src/ml: `vigil train` writes them). */
  readonly models = new ModelRegistry();
  private readonly options: Required<Omit<EngineOptions, 'sandbox' | 'sandboxPerRule' | 'clock' | 'cpuClock' | 'activity' | 'watermarkBy'>> & {
    sandbox: SandboxLimits;
    sandboxPerRule?: EngineOptions['sandboxPerRule'];
    cpuClock?: () => number;
  };
  private readonly sourceReader?: FieldReader;
  /** Alerts of the current input: raised directly, and raised by re-entered alerts (see reentryBudget). */
  private fanOut = { direct: 0, derived: 0 };
  /** The source of the batch being pushed, and its out-of-order bound when the caller gave one. */
  private batchSource = DEFAULT_SOURCE;
  private batchBound: number | undefined;
  /** Quarantined events reported per source; past the first few, only counted. */
  private readonly quarantineReports = new Map<string, number>();
  private readonly activity?: RuleActivity;
  private readonly clock: Clock;
  private readonly utilsHost: UtilsHost;
  private readonly utils: Utils;
  private readonly rulesByName = new Map<string, CompiledRule>();
  private orderedRules?: CompiledRule[];
  private readonly versions = new Map<string, RuleVersion[]>();
  private router = new Router<CompiledRule>();
  private nextOrder = 0;
  /** Event time per USING field (per source inside), shared by the rules that use it. */
  private readonly watermarks = new Map<string, { field: string; read: FieldReader; clock: EventClock<EventRecord>; rules: CompiledRule[] }>();
  private processingTimeRules: CompiledRule[] = [];
  /**
   * Aggregation rules fed by alerts (SOURCES rule = …). Alerts re-enter after the batch that caused
   * them, when the watermark has already moved past them; these rules' windows therefore advance
   * only once the batch's alerts have re-entered (as Flink forwards a watermark after the
   * elements before it), never in the middle of the input pass.
   */
  private derivedRules: CompiledRule[] = [];
  private readonly alertOut = new Broadcast<Alert>();
  private readonly diagnosticOut = new Broadcast<RuntimeDiagnostic>();
  private readonly transitionOut = new Broadcast<MachineTransition>();
  private readonly rate: RateMeter;
  private counters = { ...EMPTY_COUNTERS };

  /** Events consumed from the input, for checkpoints and for error messages. */
  private inputPosition = 0;
  private disposed = false;

  constructor(
    private readonly host: EngineHost,
    options: EngineOptions = {},
  ) {
    this.options = {
      outOfOrderMs: options.outOfOrderMs ?? 5000,
      maxFutureMs: options.maxFutureMs ?? Infinity,
      maxJumpMs: options.maxJumpMs ?? 3_600_000,
      jumpConfirmations: options.jumpConfirmations ?? 3,
      sourceIdleMs: options.sourceIdleMs ?? 60_000,
      maxSources: options.maxSources ?? 10_000,
      allowedLatenessMs: options.allowedLatenessMs ?? 0,
      sandboxOnly: options.sandboxOnly ?? false,
      maxReentryDepth: options.maxReentryDepth ?? 8,
      reentryBudget: options.reentryBudget ?? 10_000,
      reentryFanOut: options.reentryFanOut ?? 4,
      equalityIndex: options.equalityIndex ?? true,
      sandbox: resolveLimits(options.sandbox),
      sandboxPerRule: options.sandboxPerRule,
      cpuClock: options.cpuClock,
    };
    for (const limits of Object.values(options.sandboxPerRule ?? {})) resolveLimits(limits);
    if (this.options.outOfOrderMs < 0 || this.options.allowedLatenessMs < 0) {
      throw new RangeError('outOfOrderMs and allowedLatenessMs must not be negative');
    }
    if (!(this.options.maxFutureMs >= 0) || !(this.options.maxJumpMs >= 0) || !(this.options.sourceIdleMs >= 0) || !(this.options.jumpConfirmations >= 1) || !(this.options.maxSources >= 1)) {
      throw new RangeError('maxFutureMs, maxJumpMs and sourceIdleMs must not be negative, jumpConfirmations and maxSources at least 1');
    }
    if (options.watermarkBy !== undefined) this.sourceReader = fieldReader(options.watermarkBy);
    this.clock = options.clock ?? Date.now;
    this.activity = options.activity;
    this.rate = new RateMeter(this.clock);
    this.utilsHost = {
      inTable: (table, value) => this.tables.has(table, value),
      classify: (model, features) => this.models.classify(model, features),
    };
    this.utils = createUtils(this.utilsHost);
    this.iocs = new IocRegistry(host.iocSets, (list) =>
      [...this.rulesByName.values()].filter((r) => r.iocTerms.some((t) => t.list === list)).map((r) => r.name),
    );
  }

  // ── rules ────────────────────────────────────────────────────────────────

  /**
   * Parses, checks and applies the rules in `text`. All or nothing: when any rule has an error,
   * no rule of the text is applied and the diagnostics say why. Rules whose name exists are
   * replaced (unless `replace: false`); a replaced aggregation rule with the same key, time field
   * and windows keeps its open windows.
   */
  putRules(text: string, options: ApplyOptions = {}): ApplyResult {
    this.assertAlive();
    const file = options.file ?? '<rules>';
    const { rules, diagnostics } = compileCheck(text, file, { iocLists: this.iocs.names() });
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (options.replace === false) {
      for (const rule of rules) {
        if (this.rulesByName.has(rule.name)) {
          errors.push(ruleDiagnostic(rule, 'rule-exists', `rule "${rule.name}" already exists`));
        }
      }
    }
    if (errors.length) return { ok: false, added: [], replaced: [], diagnostics: [...diagnostics, ...errors.filter((d) => !diagnostics.includes(d))] };

    const compiled: CompiledRule[] = [];
    const failures: Diagnostic[] = [];
    for (const ast of rules) {
      const existing = this.rulesByName.get(ast.name);
      try {
        compiled.push(compileRule(ast, this.compileContext(), existing?.order ?? this.nextOrder + compiled.length));
      } catch (error) {
        failures.push(ruleDiagnostic(ast, 'rule-compile', error instanceof Error ? error.message : String(error)));
      }
    }
    if (failures.length) {
      for (const rule of compiled) rule.sandbox?.dispose();
      return { ok: false, added: [], replaced: [], diagnostics: [...diagnostics, ...failures] };
    }

    const added: string[] = [];
    const replaced: string[] = [];
    const now = this.clock();
    for (const rule of compiled) {
      const existing = this.rulesByName.get(rule.name);
      if (existing) {
        if (existing.aggregation && rule.aggregation && sameWindowing(existing, rule)) {
          rule.aggregation.windows = existing.aggregation.windows;
        }
        if (existing.stateMachine && rule.stateMachine && sameMachine(existing, rule)) {
          rule.stateMachine.machine.restore(existing.stateMachine.machine.serialize());
        }
        if (rule.suppression && existing.suppression && sameSuppression(existing, rule)) {
          rule.suppression.suppressor = existing.suppression.suppressor;
        }
        this.unregister(existing);
        replaced.push(rule.name);
      } else {
        this.nextOrder = Math.max(this.nextOrder, rule.order + 1);
        added.push(rule.name);
      }
      this.register(rule);
      this.recordVersion(rule.name, existing ? 'replace' : 'create', rule.text, options.author, now);
    }
    this.rebuildTimeIndex();
    return { ok: true, added, replaced, diagnostics };
  }

  /** Like putRules, but a rule whose name exists is an error. */
  addRules(text: string, options: Omit<ApplyOptions, 'replace'> = {}): ApplyResult {
    return this.putRules(text, { ...options, replace: false });
  }

  /** Removes a rule and its state. Returns false when there is no such rule. */
  removeRule(name: string, options: { author?: string } = {}): boolean {
    const rule = this.rulesByName.get(name);
    if (!rule) return false;
    this.unregister(rule);
    this.rulesByName.delete(name);
    this.orderedRules = undefined;
    this.rebuildTimeIndex();
    this.recordVersion(name, 'remove', '', options.author, this.clock());
    return true;
  }

  /** Pauses or resumes a rule by hand. Enabling a deactivated rule gives it a fresh sandbox. */
  setRuleEnabled(name: string, enabled: boolean): void {
    const rule = this.requireRule(name);
    if (!enabled) {
      rule.state = 'disabled';
      return;
    }
    if (rule.state === 'active') return;
    if (rule.state === 'deactivated') {
      const fresh = compileRule(rule.ast, this.compileContext(), rule.order);
      if (fresh.aggregation && rule.aggregation) fresh.aggregation.windows = rule.aggregation.windows;
      if (fresh.stateMachine && rule.stateMachine) fresh.stateMachine.machine.restore(rule.stateMachine.machine.serialize());
      if (fresh.suppression && rule.suppression) fresh.suppression.suppressor = rule.suppression.suppressor;
      fresh.stats = rule.stats;
      this.unregister(rule);
      this.register(fresh);
      this.rebuildTimeIndex();
      return;
    }
    rule.state = 'active';
  }

  /**
   * Deactivates a rule from outside, as a limit violation inside the engine does: its status says
   * why, and a `vigil.rule.deactivated` alert is emitted (and re-enters). The outer guard calls it
   * for a rule whose function overran so long that its thread had to be stopped.
   */
  deactivateRule(name: string, kind: ViolationKind, reason: string, phase: FunctionPhase = 'filter'): void {
    this.assertAlive();
    this.fanOut = { direct: 0, derived: 0 };
    const alert = this.deactivate(this.requireRule(name), new SandboxViolation(kind, name, reason), phase);
    if (alert) this.deliver([{ seq: 0, alert }], 0);
  }

  /** Every applied version of a rule, oldest first. */
  history(name: string): RuleVersion[] {
    return [...(this.versions.get(name) ?? [])];
  }

  /** Applies an earlier version of a rule again (recorded as a new version). */
  revertRule(name: string, version: number, options: { author?: string } = {}): ApplyResult {
    const target = this.versions.get(name)?.find((v) => v.version === version);
    if (!target || target.action === 'remove') throw new Error(`rule "${name}" has no version ${version} to revert to`);
    const result = this.putRules(target.text, { author: options.author, file: `${name}@${version}` });
    if (result.ok) {
      const list = this.versions.get(name)!;
      list[list.length - 1].action = 'revert';
    }
    return result;
  }

  rules(): RuleInfo[] {
    return [...this.rulesByName.values()].sort((a, b) => a.order - b.order).map((r) => this.describe(r));
  }

  rule(name: string): RuleInfo | undefined {
    const rule = this.rulesByName.get(name);
    return rule && this.describe(rule);
  }

  // ── events ───────────────────────────────────────────────────────────────

  /**
   * Pushes a batch of events. Anything that is not a plain object is rejected (and reported with
   * its index); everything else is processed, and the alerts it causes are delivered before this
   * returns.
   */
  push(events: readonly unknown[], options: PushOptions = {}): PushResult {
    this.assertAlive();
    this.fanOut = { direct: 0, derived: 0 };
    const batch: EventRecord[] = [];
    const rejected: PushResult['rejected'] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      if (event === null || typeof event !== 'object' || Array.isArray(event)) {
        rejected.push({ index: i, reason: `event is ${event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event}, not an object` });
      } else if (nestingDepthExceeds(event, MAX_EVENT_DEPTH)) {
        // Everything after the door walks events recursively (keys, output, checkpoints, the sandbox).
        rejected.push({ index: i, reason: `nested deeper than ${MAX_EVENT_DEPTH} (or cyclic)` });
      } else {
        batch.push(event as EventRecord);
      }
    }
    this.inputPosition += events.length;
    this.counters.eventsIn += batch.length;
    this.rate.add(batch.length);
    if (batch.length) {
      if (options.outOfOrderMs !== undefined && !(options.outOfOrderMs >= 0)) throw new RangeError('outOfOrderMs must not be negative');
      this.batchSource = options.source ?? DEFAULT_SOURCE;
      this.batchBound = options.outOfOrderMs;
      this.runBatch(batch, 0);
      this.settleDerived();
    }
    return { accepted: batch.length, rejected };
  }

  /** Reads the clock and closes the processing-time windows that are due. */
  advanceTime(): void {
    this.assertAlive();
    this.fanOut = { direct: 0, derived: 0 };
    this.fireDue((sink) => this.advanceProcessingTime(sink));
    this.settleDerived();
  }

  /**
   * Declares that no event earlier than `timeMs` will come (an idle or finished source): every
   * event-time watermark moves up to it and the windows that end by then close.
   */
  advanceWatermark(timeMs: number): void {
    this.assertAlive();
    this.fanOut = { direct: 0, derived: 0 };
    this.fireDue((sink) => {
      for (const [, wm] of this.watermarks) {
        if (timeMs > wm.clock.value) {
          wm.clock.raise(timeMs);
          for (const rule of wm.rules) this.advanceRule(rule, timeMs, sink);
        }
      }
    });
    this.settleDerived();
  }

  /**
   * End of input: every open window fires, and the alerts it causes are delivered. Rules fed by
   * alerts drain after the rules that feed them, so the last alerts still reach their windows.
   */
  flush(): void {
    this.assertAlive();
    this.fanOut = { direct: 0, derived: 0 };
    this.fireDue((sink) => {
      for (const rule of this.ordered()) {
        if (!rule.aggregation || rule.state !== 'active' || this.derivedRules.includes(rule)) continue;
        for (const window of rule.aggregation.windows.drain()) sink(rule, window);
      }
    });
    for (let round = 0; round <= this.options.maxReentryDepth && this.derivedRules.length; round++) {
      let fired = false;
      this.fireDue((sink) => {
        for (const rule of this.derivedRules) {
          if (rule.state !== 'active') continue;
          for (const window of rule.aggregation!.windows.advance(Infinity)) {
            fired = true;
            sink(rule, window);
          }
        }
      });
      if (!fired) break;
    }
  }

  /** Number of input events consumed so far (rejected ones included). */
  get position(): number {
    return this.inputPosition;
  }

  // ── checkpoints ──────────────────────────────────────────────────────────

  /**
   * Everything the engine holds, as bytes in a versioned format: rules (text, status, history),
   * IOC sets, tables, open windows, watermarks, counters and the input position. `extra` is stored
   * alongside and handed back by `restore` (the CLI keeps its file offsets there). Take it between
   * pushes; restoring it and replaying the input after `position` gives the alerts an uninterrupted
   * run gives. (What a sandboxed rule keeps in its own global variables is not part of it.)
   */
  checkpoint(extra?: unknown): Uint8Array {
    this.assertAlive();
    const blobs: Uint8Array[] = [];
    const ordered = this.ordered();
    const state: EngineState = {
      position: this.inputPosition,
      nextOrder: this.nextOrder,
      counters: { ...this.counters },
      rules: ordered.map((r) => ({ name: r.name, text: r.text, file: r.ast.file, order: r.order, state: r.state, deactivation: r.deactivation, stats: { ...r.stats } })),
      history: [...this.versions],
      iocs: this.iocs.list().map(({ name }) => ({ name, blob: blobs.push(this.iocs.serialize(name)) - 1 })),
      tables: this.tables.names().map((name) => ({ name, entries: this.tables.entries(name) })),
      models: this.models.names().map((name) => [name, this.models.get(name)]),
      watermarks: [...this.watermarks].map(([field, wm]) => [field, Number.isFinite(wm.clock.value) ? wm.clock.value : null]),
      eventClocks: [...this.watermarks].map(([field, wm]) => [field, wm.clock.snapshot()]),
      windows: ordered.filter((r) => r.aggregation).map((r) => [r.name, r.aggregation!.windows.snapshot()]),
      machines: ordered.filter((r) => r.stateMachine).map((r) => [r.name, blobs.push(r.stateMachine!.machine.serialize()) - 1]),
      suppressions: ordered.filter((r) => r.suppression).map((r) => [r.name, r.suppression!.suppressor.snapshot()]),
      extra,
    };
    return encodeCheckpoint({ document: state, blobs });
  }

  /**
   * Brings back what `checkpoint` saved, replacing everything this engine holds. Returns the
   * `extra` data stored with it. An unknown format version or a corrupt file is a CheckpointError.
   */
  restore(bytes: Uint8Array): { extra?: unknown } {
    this.assertAlive();
    const { document: state, blobs } = decodeCheckpoint<EngineState>(bytes);
    for (const rule of this.rulesByName.values()) this.unregister(rule);
    this.rulesByName.clear();
    this.orderedRules = undefined;
    this.router = new Router<CompiledRule>();
    for (const { name } of this.iocs.list()) this.iocs.drop(name);
    for (const name of this.tables.names()) this.tables.delete(name);

    for (const { name, blob } of state.iocs) this.iocs.load(name, blobs[blob]);
    for (const { name, entries } of state.tables) this.tables.create(name, entries);
    for (const name of this.models.names()) this.models.delete(name);
    for (const [name, model] of state.models ?? []) this.models.set(name, model);
    const windows = new Map(state.windows);
    const machines = new Map(state.machines);
    const suppressions = new Map(state.suppressions ?? []);
    for (const saved of state.rules) {
      const { rules, diagnostics } = compileCheck(saved.text, saved.file, { iocLists: this.iocs.names() });
      const ast = rules.find((r) => r.name === saved.name);
      if (!ast) throw new CheckpointError(`rule "${saved.name}" in the checkpoint no longer compiles: ${diagnostics.map((d) => d.message).join('; ')}`);
      const rule = compileRule(ast, this.compileContext(), saved.order);
      rule.stats = { ...saved.stats, suppressed: saved.stats.suppressed ?? 0 };
      const snapshot = windows.get(saved.name);
      if (rule.aggregation && snapshot) {
        rule.aggregation.windows = WindowStore.restore(rule.aggregation.windows.spec, snapshot, this.host.windowBuffers);
        for (const event of rule.aggregation.windows.events()) exposeFields(event);
      }
      const machine = machines.get(saved.name);
      if (rule.stateMachine && machine !== undefined) rule.stateMachine.machine.restore(blobs[machine]);
      const suppression = suppressions.get(saved.name);
      if (rule.suppression && suppression) rule.suppression.suppressor.restore(suppression);
      this.register(rule);
      if (saved.state !== 'active') {
        rule.state = saved.state;
        rule.deactivation = saved.deactivation;
        if (saved.state === 'deactivated') rule.sandbox?.dispose();
      }
    }
    this.versions.clear();
    for (const [name, list] of state.history) this.versions.set(name, list);
    this.nextOrder = state.nextOrder;
    this.counters = { ...EMPTY_COUNTERS, ...state.counters };
    this.inputPosition = state.position;
    this.rebuildTimeIndex();
    const clocks = new Map(state.eventClocks ?? []);
    for (const [field, value] of state.watermarks) {
      const wm = this.watermarks.get(field);
      if (!wm) continue;
      const saved = clocks.get(field);
      if (saved) wm.clock.restore(saved);
      else wm.clock.raise(value ?? -Infinity);
    }
    return { extra: state.extra };
  }

  // ── output ───────────────────────────────────────────────────────────────

  onAlert(listener: (alert: Alert) => void): () => void {
    return this.alertOut.subscribe(listener);
  }

  /** Alerts from now on, as an async iterator (ends when the engine is disposed). */
  alerts(): AsyncIterableIterator<Alert> {
    return this.alertOut.iterate();
  }

  onDiagnostic(listener: (diagnostic: RuntimeDiagnostic) => void): () => void {
    return this.diagnosticOut.subscribe(listener);
  }

  diagnostics(): AsyncIterableIterator<RuntimeDiagnostic> {
    return this.diagnosticOut.iterate();
  }

  /**
   * Every event a STATE MACHINE rule steps, with the key's state before and after it, as the state
   * table applied it (after FILTER, IOC FILTERS and TIMEOUT), in event order, before the batch's
   * alerts are delivered. For debuggers; costs nothing while nobody listens.
   */
  onTransition(listener: (transition: MachineTransition) => void): () => void {
    return this.transitionOut.subscribe(listener);
  }

  /** A STATE MACHINE rule's keys: how many are live, their memory, and how many are in each state. */
  stateMachineStats(name: string, options: { countStates?: boolean } = {}): StateMachineStats {
    const machine = this.requireRule(name).stateMachine?.machine;
    if (!machine) throw new Error(`rule "${name}" is not a STATE MACHINE rule`);
    return {
      liveKeys: machine.liveKeys,
      byteSize: machine.byteSize,
      stateNames: [...machine.stateNames],
      states: options.countStates ? machine.stateCounts() : undefined,
    };
  }

  /** The state one key of a STATE MACHINE rule is in (INITIAL when the rule holds nothing for it). */
  stateOf(name: string, key: Record<string, unknown>): string {
    const machine = this.requireRule(name).stateMachine?.machine;
    if (!machine) throw new Error(`rule "${name}" is not a STATE MACHINE rule`);
    return machine.stateOf(key);
  }

  /**
   * Event time per USING field: the field's watermark and, per source, its highest time, its own
   * watermark, how far it trails, whether it still holds the watermark back (not idle), and how
   * many of its events were quarantined.
   */
  eventTime(): EventTimeInfo[] {
    const now = this.clock();
    return [...this.watermarks.values()].map((wm) => ({
      field: wm.field,
      watermark: Number.isFinite(wm.clock.value) ? wm.clock.value : null,
      sources: wm.clock.describe(now),
    }));
  }

  metrics(): EngineMetrics {
    const rules: EngineMetrics['rules'] = {};
    for (const rule of this.ordered()) Object.defineProperty(rules, rule.name, { value: { ...rule.stats, state: rule.state }, enumerable: true, writable: true, configurable: true });
    return { ...this.counters, eventsPerSecond: this.rate.perSecond(), rules };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const rule of this.rulesByName.values()) rule.sandbox?.dispose();
    for (const { name } of this.iocs.list()) this.iocs.get(name).dispose();
    this.alertOut.close();
    this.diagnosticOut.close();
    this.transitionOut.close();
  }

  // ── the path of an event ─────────────────────────────────────────────────

  private runBatch(batch: EventRecord[], depth: number): void {
    let seq = 0;
    const nextSeq = () => seq++;
    const system: { seq: number; alert: Alert }[] = [];
    const deactivate = (rule: CompiledRule, violation: unknown, phase: FunctionPhase) => {
      const alert = this.deactivate(rule, violation, phase);
      if (alert) system.push({ seq: nextSeq(), alert });
    };

    // Route: each rule gets the indices of the events that reach it, in order.
    const routed = new Map<CompiledRule, number[]>();
    let index = 0;
    const visit = (rule: CompiledRule) => {
      if (rule.state !== 'active') return;
      let list = routed.get(rule);
      if (!list) routed.set(rule, (list = []));
      list.push(index);
    };
    for (index = 0; index < batch.length; index++) {
      if (depth === 0) this.router.route(batch[index], visit);
      else this.router.routeBy(REENTRY_FIELD, batch[index], visit);
    }

    // FILTER, one crossing per rule for the whole batch; then IOC FILTERS, one crossing per list.
    const passedBy = new Map<CompiledRule, Uint8Array>();
    const iocWork: IocWork[] = [];
    for (const [rule, indices] of routed) {
      rule.stats.routed += indices.length;
      const passed = new Uint8Array(indices.length).fill(1);
      if (rule.filter) {
        let outcome;
        try {
          outcome = this.runFunction(rule, 'filter', rule.filter, indices.map((i) => batch[i]));
        } catch (violation) {
          deactivate(rule, violation, 'filter');
          continue;
        }
        for (let k = 0; k < indices.length; k++) if (!outcome.results[k]) passed[k] = 0;
        this.reportErrors(rule, 'filter', outcome.errors, (k) => batch[indices[k]]);
      }
      if (rule.iocTerms.length) iocWork.push({ rule, indices, passed });
      passedBy.set(rule, passed);
    }
    if (iocWork.length) this.applyIocTerms(iocWork, batch);

    // In event order: windows, watermarks, and the work for HAVING and SINK.
    const sinkWork = new Map<CompiledRule, Pending[]>();
    const havingWork = new Map<CompiledRule, Pending[]>();
    const fired = (rule: CompiledRule, window: FiredWindow<EventRecord>) =>
      queueWork(rule.having ? havingWork : sinkWork, { seq: nextSeq(), rule, input: this.complexEventOf(rule, window), window });

    this.advanceProcessingTime(fired);
    const now = this.clock();
    if (depth === 0) for (const wm of this.watermarks.values()) wm.clock.expireIdle(now);
    const machineWork = new Map<CompiledRule, MachineBatch>();
    // The rules each event passed, in rule order (most events pass one rule or none: no array for them).
    const perEvent: (CompiledRule | CompiledRule[] | undefined)[] = new Array(batch.length);
    for (const rule of this.ordered()) {
      const indices = routed.get(rule);
      const passed = passedBy.get(rule);
      if (!indices || !passed) continue;
      for (let k = 0; k < indices.length; k++) {
        if (!passed[k]) continue;
        const i: number = indices[k];
        const had: CompiledRule | CompiledRule[] | undefined = perEvent[i];
        perEvent[i] = had === undefined ? rule : Array.isArray(had) ? (had.push(rule), had) : [had, rule];
      }
    }
    const handle = (rule: CompiledRule, event: EventRecord, quarantined: Set<string> | undefined): void => {
      if (rule.state !== 'active') return;
      rule.stats.matched++;
      // A quarantined time enters no window and no state machine (it could expire every key) —
      // unless its source's jump is confirmed later, and `released` hands it over then.
      if (quarantined && quarantined.has((rule.stateMachine ?? rule.aggregation)?.timeField as string)) return;
      place(rule, event);
    };
    /** Events whose jump in time was confirmed: into the windows and machines they were kept from. */
    const released = (field: string, items: ReleasedEvent[]) => {
      for (const { item: event, context } of items) {
        const rules = context as CompiledRule | CompiledRule[] | undefined;
        for (const rule of rules === undefined ? [] : Array.isArray(rules) ? rules : [rules]) {
          if (rule.state === 'active' && (rule.stateMachine ?? rule.aggregation)?.timeField === field) place(rule, event);
        }
      }
    };
    const place = (rule: CompiledRule, event: EventRecord): void => {
      const machine = rule.stateMachine;
      if (machine) {
        const time = machine.timeReader ? parseEventTime(machine.timeReader(event)) : now;
        if (time === undefined) {
          this.reportBadTime(rule, machine.timeField!, machine.timeReader!(event));
          return;
        }
        let work = machineWork.get(rule);
        if (!work) machineWork.set(rule, (work = { seqs: [], events: [], times: [] }));
        work.seqs.push(nextSeq());
        work.events.push(event);
        work.times.push(time);
        return;
      }
      const agg = rule.aggregation;
      if (!agg) {
        queueWork(sinkWork, { seq: nextSeq(), rule, input: event });
        return;
      }
      const time = agg.timeReader ? parseEventTime(agg.timeReader(event)) : now;
      if (time === undefined) {
        this.reportBadTime(rule, agg.timeField!, agg.timeReader!(event));
        return;
      }
      const key = agg.keyReaders.map((read) => read(event) ?? null);
      exposeFields(event);
      const outcome = agg.windows.insert(time, groupKeyText(key), key, event);
      if (outcome.late) {
        rule.stats.late++;
        this.counters.lateEvents++;
        this.report({
          code: 'vigil.late',
          rule: rule.name,
          message: `event at ${time} arrived after its windows closed (watermark ${agg.windows.currentWatermark}, allowed lateness ${this.options.allowedLatenessMs} ms)`,
          eventTime: time,
          watermark: agg.windows.currentWatermark,
        });
      } else {
        for (const window of outcome.refired) fired(rule, window);
      }
    };
    for (let i = 0; i < batch.length; i++) {
      const event = batch[i];
      const passedRules = perEvent[i];
      const quarantined = this.watermarks.size ? this.observeTime(event, passedRules, now, depth > 0, released) : undefined;
      if (passedRules !== undefined) {
        if (Array.isArray(passedRules)) for (const rule of passedRules) handle(rule, event, quarantined);
        else handle(passedRules, event, quarantined);
      }
      this.advanceEventTime(fired);
    }

    for (const [rule, items] of machineWork) this.stepMachine(rule, items, sinkWork);

    this.finish(havingWork, sinkWork, system, nextSeq, depth);
  }

  /** One crossing per rule: the batch's events go through the rule's machines in order. */
  private stepMachine(rule: CompiledRule, work: MachineBatch, sinkWork: Map<CompiledRule, Pending[]>): void {
    const observe = this.transitionOut.hasListeners ? (t: MachineTransition) => this.transitionOut.emit(t) : undefined;
    const { violations, missingType } = rule.stateMachine!.machine.step(work.events, work.times, observe, rule.name);
    for (const i of missingType) {
      rule.stats.errors++;
      this.report({ code: 'vigil.field', rule: rule.name, message: `event has no value in field '${rule.ast.stateMachine!.on.field}' to move the state machine`, event: work.events[i] });
    }
    for (const [i, violation] of violations) queueWork(sinkWork, { seq: work.seqs[i], rule, input: violation });
  }

  private reportBadTime(rule: CompiledRule, field: string, value: unknown): void {
    rule.stats.errors++;
    this.report({ code: 'vigil.time', rule: rule.name, message: `event has no valid time in field '${field}' (epoch ms or ISO-8601 expected)`, value });
  }

  /**
   * Moves the windows of alert-fed rules up to their watermarks, again and again while that fires
   * windows whose alerts feed further rules (bounded by the re-entry depth).
   */
  private settleDerived(): void {
    if (!this.derivedRules.length) return;
    for (let round = 0; round <= this.options.maxReentryDepth; round++) {
      let fired = false;
      this.fireDue((sink) => {
        const now = this.clock();
        for (const rule of this.derivedRules) {
          const field = rule.aggregation!.timeField;
          const watermark = field === undefined ? now : this.watermarks.get(field)!.clock.value;
          this.advanceRule(rule, watermark, (r, w) => {
            fired = true;
            sink(r, w);
          });
        }
      });
      if (!fired) return;
    }
  }

  /** Runs `work`, which may close windows, then HAVING/SINK for what closed, then delivers the alerts. */
  private fireDue(work: (fired: (rule: CompiledRule, window: FiredWindow<EventRecord>) => void) => void): void {
    let seq = 0;
    const nextSeq = () => seq++;
    const havingWork = new Map<CompiledRule, Pending[]>();
    const sinkWork = new Map<CompiledRule, Pending[]>();
    work((rule, window) =>
      queueWork(rule.having ? havingWork : sinkWork, { seq: nextSeq(), rule, input: this.complexEventOf(rule, window), window }),
    );
    this.finish(havingWork, sinkWork, [], nextSeq, 0);
  }

  /** HAVING, then SINK, one crossing per rule each; then the alerts, in sequence order. */
  private finish(
    havingWork: Map<CompiledRule, Pending[]>,
    sinkWork: Map<CompiledRule, Pending[]>,
    alerts: { seq: number; alert: Alert }[],
    nextSeq: () => number,
    depth: number,
  ): void {
    const deactivate = (rule: CompiledRule, violation: unknown, phase: FunctionPhase) => {
      const alert = this.deactivate(rule, violation, phase);
      if (alert) alerts.push({ seq: nextSeq(), alert });
    };
    for (const [rule, items] of havingWork) {
      if (rule.state !== 'active') continue;
      let outcome;
      try {
        outcome = this.runFunction(rule, 'having', rule.having!, items.map((item) => item.window!.events));
      } catch (violation) {
        deactivate(rule, violation, 'having');
        continue;
      }
      this.reportErrors(rule, 'having', outcome.errors);
      items.forEach((item, k) => {
        const result = outcome.results[k];
        if (result === false || result === null || result === undefined) return;
        queueWork(sinkWork, result === true ? item : { ...item, input: result });
      });
    }
    for (const [rule, items] of sinkWork) {
      if (rule.state !== 'active') continue;
      let outcome;
      try {
        outcome = this.runFunction(rule, 'sink', rule.sink, items.map((item) => item.input));
      } catch (violation) {
        deactivate(rule, violation, 'sink');
        continue;
      }
      this.reportErrors(rule, 'sink', outcome.errors);
      items.forEach((item, k) => {
        const alert = toAlert(rule.name, outcome.results[k], item);
        if (alert && (!rule.suppression || this.admit(rule, item, alert))) alerts.push({ seq: item.seq, alert });
      });
    }
    this.deliver(alerts, depth);
  }

  /** One rule function over a batch, announced to the outer guard when there is one. */
  private runFunction(rule: CompiledRule, phase: FunctionPhase, runner: FunctionRunner, inputs: readonly unknown[]): BatchOutcome<unknown> {
    this.activity?.enter(rule.name, phase);
    try {
      return this.runInCrossings(rule, phase, runner, inputs);
    } finally {
      this.activity?.leave();
    }
  }

  /**
   * A sandboxed HAVING or SINK crosses into the sandbox with at most as many windows (or alerts) as
   * its per-batch budget gives each its full per-item time (500 ms / 10 ms: 50). A flush that closes
   * thousands of windows would otherwise share one capped budget among them, and a correct rule
   * would be cut for the number of windows rather than for what it does with one.
   */
  private runInCrossings(rule: CompiledRule, phase: FunctionPhase, runner: FunctionRunner, inputs: readonly unknown[]): BatchOutcome<unknown> {
    if (phase === 'filter' || runner.mode !== 'sandbox') return runner.run(inputs);
    const limits = { ...this.options.sandbox, ...this.options.sandboxPerRule?.[rule.name] };
    const perCrossing = Math.max(1, Math.floor(limits.maxBatchMs / limits.cpuMsPerEvent));
    if (inputs.length <= perCrossing) return runner.run(inputs);
    const results: unknown[] = [];
    const errors = new Map<number, string>();
    for (let from = 0; from < inputs.length; from += perCrossing) {
      const outcome = runner.run(inputs.slice(from, from + perCrossing));
      results.push(...outcome.results);
      for (const [k, message] of outcome.errors) errors.set(from + k, message);
    }
    return { results, errors };
  }

  /** SUPPRESS: whether the alert is raised; one raised again in its period gets a `suppression` note. */
  private admit(rule: CompiledRule, item: Pending, alert: Alert): boolean {
    const plan = rule.suppression!;
    let key: readonly unknown[];
    if (plan.keyReaders.length) key = plan.keyReaders.map((read) => read(alert) ?? null);
    else if (item.window) key = item.window.key;
    else if (rule.stateMachine) key = rule.stateMachine.machine.keyFields.map((f) => ownField((item.input as StateMachineViolation).key, f) ?? null);
    else key = [];
    let time = item.window?.end;
    if (time === undefined && plan.timeReader) {
      const event = rule.stateMachine ? (item.input as StateMachineViolation).event : (item.input as EventRecord);
      time = parseEventTime(plan.timeReader(event));
    }
    const count = typeof alert.count === 'number' && Number.isFinite(alert.count) ? alert.count : (item.window?.events.length ?? 1);
    const verdict = plan.suppressor.admit(key, time ?? this.clock(), count);
    if (!verdict.raise) {
      rule.stats.suppressed++;
      return false;
    }
    if (verdict.note) alert.suppression = verdict.note;
    return true;
  }

  private deliver(alerts: { seq: number; alert: Alert }[], depth: number): void {
    if (!alerts.length) return;
    alerts.sort((a, b) => a.seq - b.seq);
    let out = alerts.map((a) => a.alert);
    if (depth === 0) this.fanOut.direct += out.length;
    else out = this.withinReentryBudget(out);
    if (!out.length) return;
    for (const alert of out) {
      this.counters.alertsOut++;
      const rule = this.rulesByName.get(alert.rule);
      if (rule) rule.stats.alerts++;
      this.alertOut.emit(alert);
    }
    if (!this.router.hasField(REENTRY_FIELD)) return;
    if (depth + 1 > this.options.maxReentryDepth) {
      this.report({
        code: 'vigil.reentry',
        message: `alert chain deeper than ${this.options.maxReentryDepth} re-entries stopped (rules ${[...new Set(out.map((a) => a.rule))].map((r) => `"${r}"`).join(', ')})`,
        rules: [...new Set(out.map((a) => a.rule))],
      });
      return;
    }
    this.counters.reentries += out.length;
    this.runBatch(out as EventRecord[], depth + 1);
  }

  /**
   * Alerts raised by re-entered alerts count against the budget of the input that started the
   * chain. Past it, the rule raising the most of this round's alerts is deactivated and its alerts
   * of the round dropped, until the rest fits: an alert ring stops growing, every other rule goes on.
   */
  private withinReentryBudget(out: Alert[]): Alert[] {
    const budget = this.options.reentryBudget + this.options.reentryFanOut * this.fanOut.direct;
    while (out.length && this.fanOut.derived + out.length > budget) {
      const counts = new Map<string, number>();
      for (const alert of out) counts.set(alert.rule, (counts.get(alert.rule) ?? 0) + 1);
      let worst = '';
      let most = 0;
      for (const [rule, n] of counts) if (n > most && this.rulesByName.has(rule)) [worst, most] = [rule, n];
      if (!most) break;
      const rule = this.rulesByName.get(worst)!;
      const reason = `alerts derived from one input passed the re-entry budget (${budget}: reentryBudget ${this.options.reentryBudget} + ${this.options.reentryFanOut} per direct alert); this rule raised ${most} of the last round, dropped`;
      const system = this.deactivate(rule, new SandboxViolation('fanout', worst, reason), 'sink');
      out = out.filter((a) => a.rule !== worst);
      if (system) out.push(system);
    }
    this.fanOut.derived += out.length;
    return out;
  }

  /**
   * IOC FILTERS of every rule of the batch: the n-th terms of all rules are tested together, one
   * crossing into WebAssembly per list with each distinct value once. With many rules each rule
   * sees few events of a batch, and a crossing per rule would cost more than the look-ups.
   */
  private applyIocTerms(work: IocWork[], batch: EventRecord[]): void {
    let rounds = 0;
    for (const w of work) rounds = Math.max(rounds, w.rule.iocTerms.length);
    for (let t = 0; t < rounds; t++) {
      const byList = new Map<string, { values: string[]; slotOf: Map<string, number>; passed: Uint8Array[]; at: number[]; slots: number[]; negated: boolean[] }>();
      for (const { rule, indices, passed } of work) {
        const term = rule.iocTerms[t];
        if (!term) continue;
        let group = byList.get(term.list);
        for (let k = 0; k < indices.length; k++) {
          if (!passed[k]) continue;
          const text = scalarText(term.read(batch[indices[k]]));
          // A missing value is in no list: `in` fails and `not in` holds.
          if (text === undefined) {
            if (!term.negated) passed[k] = 0;
            continue;
          }
          if (!group) byList.set(term.list, (group = { values: [], slotOf: new Map(), passed: [], at: [], slots: [], negated: [] }));
          let slot = group.slotOf.get(text);
          if (slot === undefined) {
            slot = group.values.length;
            group.values.push(text);
            group.slotOf.set(text, slot);
          }
          group.passed.push(passed);
          group.at.push(k);
          group.slots.push(slot);
          group.negated.push(term.negated);
        }
      }
      for (const [list, group] of byList) {
        const present = this.iocs.get(list).hasMany(group.values);
        for (let j = 0; j < group.at.length; j++) {
          if ((present[group.slots[j]] === 1) === group.negated[j]) group.passed[j][group.at[j]] = 0;
        }
      }
    }
  }

  /**
   * Hands the event's time in each USING field to that field's clock, under the event's source.
   * Returns the fields whose time was quarantined (too far ahead), after reporting them.
   */
  private observeTime(
    event: EventRecord,
    passedRules: CompiledRule | CompiledRule[] | undefined,
    now: number,
    trusted: boolean,
    released: (field: string, items: ReleasedEvent[]) => void,
  ): Set<string> | undefined {
    let quarantined: Set<string> | undefined;
    for (const wm of this.watermarks.values()) {
      const time = parseEventTime(wm.read(event));
      if (time === undefined) continue;
      const source = (this.sourceReader && scalarText(this.sourceReader(event))) ?? this.batchSource;
      const reason = wm.clock.observe(time, source, now, this.batchBound, trusted, event, passedRules);
      if (reason === undefined) continue;
      if (Array.isArray(reason)) {
        this.counters.quarantined -= reason.length;
        this.report({
          code: 'vigil.future',
          message: `source "${source}" jumped to ${time} in '${wm.field}' and ${this.options.jumpConfirmations} events in a row agree: its ${reason.length} waiting events are accepted`,
          source,
          field: wm.field,
          eventTime: time,
          reason: 'jump-confirmed',
        });
        released(wm.field, reason);
        continue;
      }
      (quarantined ??= new Set()).add(wm.field);
      this.counters.quarantined++;
      this.reportQuarantine(reason, wm.field, source, time, now);
    }
    return quarantined;
  }

  private reportQuarantine(reason: Quarantine, field: string, source: string, time: number, now: number): void {
    // Bounded like the sources themselves: past that many names, new ones are only counted.
    if (!this.quarantineReports.has(source) && this.quarantineReports.size >= this.options.maxSources) return;
    const reported = (this.quarantineReports.get(source) ?? 0) + 1;
    this.quarantineReports.set(source, reported);
    if (reported > MAX_QUARANTINE_REPORTS + 1) return;
    const message =
      reported > MAX_QUARANTINE_REPORTS
        ? `more events too far ahead from source "${source}" are counted (metrics: quarantined), not reported`
        : reason === 'future'
          ? `event time ${time} in '${field}' is more than ${this.options.maxFutureMs} ms ahead of the clock (${now}): quarantined, it moves no event time`
          : `event time ${time} in '${field}' is more than ${this.options.maxJumpMs} ms ahead of source "${source}": quarantined, it moves no event time`;
    this.report({ code: 'vigil.future', message, source, field, eventTime: time, reason });
  }

  /** Moves every field's watermark to what its sources now allow, closing the windows that end by then. */
  private advanceEventTime(fired: (rule: CompiledRule, window: FiredWindow<EventRecord>) => void): void {
    for (const wm of this.watermarks.values()) {
      const before = wm.clock.value;
      const after = wm.clock.advance();
      if (after <= before) continue;
      for (const rule of wm.rules) this.advanceRule(rule, after, fired);
    }
  }

  private advanceProcessingTime(fired: (rule: CompiledRule, window: FiredWindow<EventRecord>) => void): void {
    if (!this.processingTimeRules.length) return;
    const now = this.clock();
    for (const rule of this.processingTimeRules) this.advanceRule(rule, now, fired);
  }

  private advanceRule(rule: CompiledRule, watermark: number, fired: (rule: CompiledRule, window: FiredWindow<EventRecord>) => void): void {
    if (rule.state !== 'active' || !rule.aggregation) return;
    for (const window of rule.aggregation.windows.advance(watermark)) fired(rule, window);
  }

  /**
   * What HAVING receives for a window is its events; what SINK receives when HAVING says `true`
   * (or when there is no HAVING) is this: the key fields, the count and the events.
   */
  private complexEventOf(rule: CompiledRule, window: FiredWindow<EventRecord>): EventRecord {
    const agg = rule.aggregation!;
    if (agg.sortBy) sortEvents(window.events, agg.sortBy.read, agg.sortBy.descending);
    const out: EventRecord = recordOf(agg.keyFields, window.key);
    out.count = window.events.length;
    out.events = window.events;
    return out;
  }

  // ── bookkeeping ──────────────────────────────────────────────────────────

  private compileContext() {
    return {
      sandboxes: this.host.sandboxes,
      utils: this.utils,
      utilsHost: this.utilsHost,
      limits: this.options.sandbox,
      limitsPerRule: this.options.sandboxPerRule,
      stateTables: this.host.stateTables,
      windowBuffers: this.host.windowBuffers,
      allowedLatenessMs: this.options.allowedLatenessMs,
      sandboxOnly: this.options.sandboxOnly,
      equalityIndex: this.options.equalityIndex,
      cpuClock: this.options.cpuClock,
    };
  }

  private register(rule: CompiledRule): void {
    this.rulesByName.set(rule.name, rule);
    this.orderedRules = undefined;
    this.router.add(rule);
  }

  private unregister(rule: CompiledRule): void {
    this.router.remove(rule);
    rule.sandbox?.dispose();
    rule.stateMachine?.machine.dispose();
  }

  private rebuildTimeIndex(): void {
    const previous = new Map([...this.watermarks].map(([field, wm]) => [field, wm.clock]));
    this.watermarks.clear();
    this.processingTimeRules = [];
    this.derivedRules = [];
    const clockOf = (field: string) => {
      let wm = this.watermarks.get(field);
      if (!wm) {
        wm = { field, read: fieldReader(field), clock: previous.get(field) ?? new EventClock(this.options), rules: [] };
        this.watermarks.set(field, wm);
      }
      return wm;
    };
    for (const rule of this.ordered()) {
      // State machines' times are checked too: a forged time would expire every key's state.
      if (rule.stateMachine?.timeField) clockOf(rule.stateMachine.timeField);
      const agg = rule.aggregation;
      if (!agg) continue;
      const derived = rule.selectors.some((s) => s.field === REENTRY_FIELD);
      if (derived) this.derivedRules.push(rule);
      if (!agg.timeField) {
        if (!derived) this.processingTimeRules.push(rule);
        continue;
      }
      const wm = clockOf(agg.timeField);
      if (!derived) wm.rules.push(rule);
    }
  }

  /** The rules in rule order; kept until the set of rules changes (every batch walks it). */
  private ordered(): CompiledRule[] {
    return (this.orderedRules ??= [...this.rulesByName.values()].sort((a, b) => a.order - b.order));
  }

  private deactivate(rule: CompiledRule, violation: unknown, phase: FunctionPhase): Alert | undefined {
    if (!(violation instanceof SandboxViolation)) throw violation;
    if (rule.state === 'deactivated') return undefined;
    const at = this.clock();
    rule.state = 'deactivated';
    rule.deactivation = { kind: violation.kind, reason: `${phase}: ${violation.message}`, at };
    rule.sandbox?.dispose();
    this.counters.deactivations++;
    return {
      rule: 'vigil.rule.deactivated',
      deactivatedRule: rule.name,
      kind: violation.kind,
      phase,
      reason: violation.message,
      time: at,
    };
  }

  private reportErrors(rule: CompiledRule, phase: FunctionPhase, errors: Map<number, string>, inputOf?: (k: number) => unknown): void {
    for (const [k, message] of errors) {
      rule.stats.errors++;
      // The first few errors of a rule are reported one by one; after that only counted.
      if (rule.stats.errors <= 10) {
        this.report({ code: 'vigil.rule.error', rule: rule.name, phase, message: `${phase} threw ${message}`, event: inputOf?.(k) });
      } else if (rule.stats.errors === 11) {
        this.report({ code: 'vigil.rule.error', rule: rule.name, phase, message: 'more errors from this rule are counted in its metrics, not reported' });
      }
    }
  }

  private report(diagnostic: RuntimeDiagnostic): void {
    this.diagnosticOut.emit(diagnostic);
  }

  private describe(rule: CompiledRule): RuleInfo {
    const list = this.versions.get(rule.name) ?? [];
    const functions: RuleInfo['functions'] = [];
    const add = (phase: FunctionPhase, runner: FunctionRunner | undefined) => {
      if (runner) functions.push({ phase, mode: runner.mode, reason: runner.sandboxReason });
    };
    add('filter', rule.filter);
    add('having', rule.having);
    add('sink', rule.sink);
    return {
      name: rule.name,
      state: rule.state,
      deactivation: rule.deactivation,
      version: list.length ? list[list.length - 1].version : 0,
      text: rule.text,
      file: rule.ast.file,
      kind: rule.aggregation ? 'aggregation' : rule.stateMachine ? 'state-machine' : 'simple',
      functions,
      stats: { ...rule.stats },
    };
  }

  private recordVersion(name: string, action: RuleVersion['action'], text: string, author = 'unknown', time: number): void {
    const list = this.versions.get(name) ?? [];
    list.push({ version: list.length + 1, action, text, author, time });
    this.versions.set(name, list);
  }

  private requireRule(name: string): CompiledRule {
    const rule = this.rulesByName.get(name);
    if (!rule) throw new Error(`unknown rule "${name}"`);
    return rule;
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('the engine has been disposed');
  }
}

function ruleDiagnostic(rule: { name: string; file: string; nameSpan: { start: { line: number; column: number }; end: { line: number; column: number } } }, code: string, message: string): Diagnostic {
  return {
    severity: 'error',
    code,
    message,
    file: rule.file,
    line: rule.nameSpan.start.line,
    column: rule.nameSpan.start.column,
    endLine: rule.nameSpan.end.line,
    endColumn: rule.nameSpan.end.column,
    excerpt: '',
    rule: rule.name,
  };
}

function queueWork(into: Map<CompiledRule, Pending[]>, item: Pending): void {
  const list = into.get(item.rule);
  if (list) list.push(item);
  else into.set(item.rule, [item]);
}

/** Reference-engine rules read window events as `e.fields['user']` as well as `e.user`. */
function exposeFields(event: EventRecord): void {
  if ('fields' in event) return;
  try {
    Object.defineProperty(event, 'fields', { value: event, enumerable: false, configurable: true });
  } catch {
    // A frozen event keeps its own shape; `e.fields` is then undefined for it.
  }
}

/** A SORT BY value, with the time it reads as when it is a string (parsed once per event, not per comparison). */
interface SortKey {
  event: EventRecord;
  value: unknown;
  time: number | undefined;
}

function compareKeys(x: SortKey, y: SortKey): number {
  const a = x.value;
  const b = y.value;
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (x.time !== undefined && y.time !== undefined) return x.time - y.time;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/**
 * Orders a window's events by SORT BY: numbers by value, strings that read as times by time, other
 * strings by code unit, missing values last. Each value is read and parsed once: a window of n events
 * sorts with n time parses, not n log n (Date.parse dominated rules that sort on text keys).
 */
function sortEvents(events: EventRecord[], read: FieldReader, descending: boolean): void {
  const keys: SortKey[] = events.map((event) => {
    const value = read(event);
    return { event, value, time: typeof value === 'string' ? parseEventTime(value) : undefined };
  });
  keys.sort((x, y) => {
    const c = compareKeys(x, y);
    return descending ? -c : c;
  });
  for (let i = 0; i < keys.length; i++) events[i] = keys[i]!.event;
}

/**
 * The alert for one SINK result: an object gets `rule` (always the producing rule, so a chain of
 * rules cannot be fooled into routing an alert back to itself) and, for aggregation rules, `key`,
 * `windowStart`, `windowEnd` and `update` unless SINK set them; `true` means the input itself;
 * null/undefined/false drop the alert; any other value is wrapped as `{ value }`.
 */
function toAlert(ruleName: string, result: unknown, item: Pending): Alert | undefined {
  if (result === null || result === undefined || result === false) return undefined;
  const body = result === true ? item.input : result;
  const fields: EventRecord = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as EventRecord) : { value: body };
  const meta: EventRecord = {};
  const window = item.window;
  if (window) {
    const agg = item.rule.aggregation!;
    meta.key = recordOf(agg.keyFields, window.key);
    meta.windowStart = window.start;
    meta.windowEnd = window.end;
    if (window.update) meta.update = true;
  }
  // `rule` first for people reading the output; assigned again last so SINK cannot change it.
  const alert: EventRecord = { rule: ruleName, ...meta, ...fields };
  alert.rule = ruleName;
  return alert as Alert;
}
