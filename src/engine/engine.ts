/**
 * The engine: a facade over the parts named for their concept — the rule registry and history
 * (registry.ts: each rule a plan, rule-plan.ts, with its state, rule-state.ts), the batch pipeline
 * (pipeline.ts, with the IOC stage in ioc-stage.ts), event time (time-index.ts, watermark.ts),
 * firing HAVING and SINK (firing.ts, alert-shape.ts), re-entry and the order of output
 * (reentry.ts), the checkpoint document (engine-state.ts) and metrics (metrics.ts).
 * Synchronous and runtime-agnostic: everything that touches a platform (loading WebAssembly,
 * files, timers) is done by the caller and handed in through the ports (ports.ts).
 */
import { createUtils, type Utils, type UtilsHost } from '../lang/utils.js';
import { Broadcast } from './alert-stream.js';
import { CheckpointError } from './checkpoint.js';
import { decodeEngineState, encodeEngineState, type SavedRule } from './engine-state.js';
import type { Clock } from './event-time.js';
import type { EventRecord } from './fields.js';
import { Firing, Work, type KeyedAlert } from './firing.js';
import { IocRegistry } from './ioc-registry.js';
import { compileCheck } from '../lang/index.js';
import { Metrics } from './metrics.js';
import { ModelRegistry } from './models.js';
import { MAX_EVENT_DEPTH, nestingDepthExceeds } from './nesting.js';
import { resolveOptions, type EngineOptions, type ResolvedOptions } from './options.js';
import { Pipeline } from './pipeline.js';
import { SandboxViolation, type FunctionPhase, type ViolationKind } from './ports.js';
import { Reentry, selfTarget, type AlertTarget } from './reentry.js';
import { LiveRule, RuleRegistry } from './registry.js';
import { compileRule, type RuleCompileContext } from './rule-plan.js';
import { MachineKeys, type MachineTransition } from './state-machine.js';
import { Suppressor } from './suppression.js';
import { TableRegistry } from './tables.js';
import { advanceRule, DEFAULT_SOURCE, TimeIndex, type Fired } from './time-index.js';
import type {
  Alert,
  ApplyOptions,
  ApplyResult,
  EngineHost,
  EngineMetrics,
  EventTimeInfo,
  PushOptions,
  PushResult,
  RuleActivity,
  RuleInfo,
  RuleVersion,
  RuntimeDiagnostic,
  StateMachineStats,
} from './types.js';
import { WindowStore } from './window.js';

export type { EngineOptions } from './options.js';
export type { MachineTransition } from './state-machine.js';
export type { AlertTarget } from './reentry.js';
export type { KeyedAlert } from './firing.js';
export type * from './types.js';

export class Engine {
  readonly iocs: IocRegistry;
  readonly tables = new TableRegistry();
  /** Flow models for `utils.classify` (src/ml: `vigil train` writes them). */
  readonly models = new ModelRegistry();
  private readonly options: ResolvedOptions;
  private readonly activity?: RuleActivity;
  private readonly clock: Clock;
  private readonly utilsHost: UtilsHost;
  private readonly utils: Utils;
  private readonly registry: RuleRegistry;
  private readonly time: TimeIndex;
  private readonly firing: Firing;
  private readonly pipeline: Pipeline;
  private readonly reentry: Reentry;
  private readonly metricsOf: Metrics;
  private readonly alertOut = new Broadcast<Alert>();
  private readonly diagnosticOut = new Broadcast<RuntimeDiagnostic>();
  private readonly transitionOut = new Broadcast<MachineTransition>();
  /** Events consumed from the input, for checkpoints and for error messages. */
  private inputPosition = 0;
  private disposed = false;

  constructor(
    private readonly host: EngineHost,
    options: EngineOptions = {},
  ) {
    this.options = resolveOptions(options);
    this.clock = options.clock ?? Date.now;
    this.activity = options.activity;
    this.metricsOf = new Metrics(this.clock);
    this.utilsHost = {
      inTable: (table, value) => this.tables.has(table, value),
      classify: (model, features) => this.models.classify(model, features),
    };
    this.utils = createUtils(this.utilsHost);
    const report = (d: RuntimeDiagnostic) => this.diagnosticOut.emit(d);
    const deactivate = (rule: LiveRule, violation: unknown, phase: FunctionPhase) => this.deactivate(rule, violation, phase);
    this.registry = new RuleRegistry({
      compile: () => this.compileContext(),
      state: host,
      iocLists: () => this.iocs.names(),
      clock: this.clock,
      changed: () => this.time.rebuild(this.registry.ordered()),
    });
    this.iocs = new IocRegistry(host.iocSets, (list) => this.registry.ordered().filter((r) => r.plan.iocTerms.some((t) => t.list === list)).map((r) => r.name));
    this.time = new TimeIndex({ options: this.options, clock: this.clock, report, quarantined: (n) => (this.metricsOf.counters.quarantined += n) }, options.watermarkBy);
    this.firing = new Firing({ options: this.options, activity: this.activity, clock: this.clock, report, deactivate });
    this.pipeline = new Pipeline({
      options: this.options,
      registry: this.registry,
      time: this.time,
      iocs: this.iocs,
      firing: this.firing,
      clock: this.clock,
      report,
      deactivate,
      lateEvent: () => this.metricsOf.counters.lateEvents++,
      transitions: () => (this.transitionOut.hasListeners ? (t: MachineTransition) => this.transitionOut.emit(t) : undefined),
    });
    this.reentry = new Reentry(
      {
        options: this.options,
        hasRule: (name) => this.registry.get(name) !== undefined,
        report,
        deactivate: (name, violation, phase) => this.deactivate(this.registry.require(name), violation, phase),
        emit: (keyed) => this.emit(keyed),
      },
      this.selfTarget(),
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
    return this.registry.apply(text, options);
  }

  /** Like putRules, but a rule whose name exists is an error. */
  addRules(text: string, options: Omit<ApplyOptions, 'replace'> = {}): ApplyResult {
    return this.putRules(text, { ...options, replace: false });
  }

  /** Removes a rule and its state. Returns false when there is no such rule. */
  removeRule(name: string, options: { author?: string } = {}): boolean {
    return this.registry.remove(name, options.author);
  }

  /** Pauses or resumes a rule by hand. Enabling a deactivated rule gives it a fresh sandbox. */
  setRuleEnabled(name: string, enabled: boolean): void {
    this.registry.setEnabled(name, enabled);
  }

  /**
   * Deactivates a rule from outside, as a limit violation inside the engine does: its status says
   * why, and a `vigil.rule.deactivated` alert is emitted (and re-enters). The outer guard calls it
   * for a rule whose function overran so long that its thread had to be stopped.
   */
  deactivateRule(name: string, kind: ViolationKind, reason: string, phase: FunctionPhase = 'filter'): void {
    this.assertAlive();
    const rule = this.registry.require(name);
    this.reentry.input((raise) => {
      const alert = this.deactivate(rule, new SandboxViolation(kind, name, reason), phase);
      if (alert) raise([{ key: [0], alert }]);
    });
  }

  /**
   * Deactivates a rule for a violation found outside it (a re-entry budget spent in a chain run by
   * another engine's caller) and returns the `vigil.rule.deactivated` alert without emitting it:
   * the chain's owner does.
   */
  deactivateForChain(name: string, violation: SandboxViolation, phase: FunctionPhase): Alert | undefined {
    return this.deactivate(this.registry.require(name), violation, phase);
  }

  /** Every applied version of a rule, oldest first. */
  history(name: string): RuleVersion[] {
    return this.registry.history(name);
  }

  /** Applies an earlier version of a rule again (recorded as a new version). */
  revertRule(name: string, version: number, options: { author?: string } = {}): ApplyResult {
    return this.registry.revert(name, version, options.author);
  }

  rules(): RuleInfo[] {
    return this.registry.ordered().map((r) => this.registry.describe(r));
  }

  rule(name: string): RuleInfo | undefined {
    const rule = this.registry.get(name);
    return rule && this.registry.describe(rule);
  }

  // ── events ───────────────────────────────────────────────────────────────

  /**
   * Pushes a batch of events. Anything that is not a plain object is rejected (and reported with
   * its index); everything else is processed, and the alerts it causes are delivered before this
   * returns.
   */
  push(events: readonly unknown[], options: PushOptions = {}): PushResult {
    this.assertAlive();
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
    this.metricsOf.eventsIn(batch.length);
    if (batch.length) {
      if (options.outOfOrderMs !== undefined && !(options.outOfOrderMs >= 0)) throw new RangeError('outOfOrderMs must not be negative');
      this.time.batchSource = options.source ?? DEFAULT_SOURCE;
      this.time.batchBound = options.outOfOrderMs;
      this.reentry.input((raise) => {
        raise(this.pipeline.run(batch, 0, (origin) => [origin]));
        this.settleDerived(raise, batch.length);
      });
    }
    return { accepted: batch.length, rejected };
  }

  /** Reads the clock and closes the processing-time windows that are due. */
  advanceTime(): void {
    this.assertAlive();
    this.reentry.input((raise) => {
      raise(this.fire((fired) => this.time.advanceProcessingTime(fired), [0]));
      this.settleDerived(raise);
    });
  }

  /**
   * Declares that no event earlier than `timeMs` will come (an idle or finished source): every
   * event-time watermark moves up to it and the windows that end by then close.
   */
  advanceWatermark(timeMs: number): void {
    this.assertAlive();
    this.reentry.input((raise) => {
      raise(this.fire((fired) => this.time.raiseAll(timeMs, fired), [0]));
      this.settleDerived(raise);
    });
  }

  /**
   * End of input: every open window fires, and the alerts it causes are delivered. Rules fed by
   * alerts drain after the rules that feed them, so the last alerts still reach their windows.
   */
  flush(): void {
    this.assertAlive();
    this.reentry.input((raise) => {
      raise(
        this.fire((fired) => {
          for (const rule of this.registry.ordered()) {
            if (!rule.state.windows || !rule.active || rule.plan.alertFed) continue;
            for (const window of rule.state.windows.drain()) fired(rule, window);
          }
        }, [0]),
      );
      for (let round = 1; round <= this.options.maxReentryDepth + 1 && this.time.derivedRules.length; round++) {
        let any = false;
        const level = this.fire((fired) => {
          for (const rule of this.time.derivedRules) {
            if (!rule.active) continue;
            for (const window of rule.state.windows!.advance(Infinity)) {
              any = true;
              fired(rule, window);
            }
          }
        }, [round]);
        raise(level);
        if (!any) break;
      }
    });
  }

  /** Number of input events consumed so far (rejected ones included). */
  get position(): number {
    return this.inputPosition;
  }

  /**
   * Pushes a batch as `push` does, but hands back the alerts it raised directly (keyed, counted
   * here, their keys starting with `indexOf(their event's index in the batch)`) instead of
   * re-entering and emitting them: for a caller that runs one chain over several engines (the
   * edge's partitions, with a Reentry of their own and this engine's alert target).
   */
  pushLevel(events: readonly Record<string, unknown>[], indexOf: (origin: number) => number, options: PushOptions = {}): KeyedAlert[] {
    this.assertAlive();
    const batch = events as EventRecord[];
    for (const event of batch) {
      if (event === null || typeof event !== 'object' || Array.isArray(event) || nestingDepthExceeds(event, MAX_EVENT_DEPTH)) {
        throw new TypeError(`an event is not an object, or is nested deeper than ${MAX_EVENT_DEPTH} (or cyclic)`);
      }
    }
    if (!batch.length) return [];
    this.inputPosition += batch.length;
    this.metricsOf.eventsIn(batch.length);
    this.time.batchSource = options.source ?? DEFAULT_SOURCE;
    this.time.batchBound = options.outOfOrderMs;
    // Before the first event (processing-time windows) and after the last (windows settled at the end).
    const at = (origin: number) => (origin < 0 ? indexOf(0) - 0.5 : indexOf(Math.min(origin, batch.length - 1)));
    const raised = this.pipeline.run(batch, 0, (origin) => [at(origin)]);
    this.settleDerived((level) => raised.push(...level), batch.length, at);
    for (const keyed of raised) {
      this.count(keyed.alert);
      keyed.counted = true;
    }
    return raised;
  }

  /**
   * Where re-entered alerts go. By default the engine itself; a deployment that spreads its rules
   * over several engines (the edge's partitions) routes them to the engines that hold the rules.
   */
  setAlertTarget(target: AlertTarget | undefined): void {
    this.reentry.target = target ?? this.selfTarget();
  }

  /**
   * Re-enters one level of alerts (from another engine's chain) at `depth`, and returns the alerts
   * that raised here, keyed after their causes and counted here, without re-entering or emitting
   * them: the chain's owner does that (see AlertTarget).
   */
  reenterLevel(level: readonly KeyedAlert[], depth: number): KeyedAlert[] {
    this.assertAlive();
    this.metricsOf.counters.reentries += level.length;
    const raised = selfTarget(this.registry, (batch, d, prefixOf) => this.pipeline.run(batch, d, prefixOf)).reenter(level, depth);
    for (const keyed of raised) {
      this.count(keyed.alert);
      keyed.counted = true;
    }
    return raised;
  }

  /**
   * Continues a chain that started in another engine (alerts forwarded by another partition and
   * re-entered here with reenterLevel): `level` was raised at `depth`; what it causes re-enters
   * through the alert target, and all of it is emitted here, in order.
   */
  continueChain(level: KeyedAlert[], depth: number): void {
    this.assertAlive();
    this.reentry.input((raise) => raise(level, depth));
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
    const rules: SavedRule[] = this.registry.ordered().map((r) => ({
      name: r.name,
      text: r.plan.text,
      file: r.plan.ast.file,
      order: r.order,
      status: r.state.status,
      deactivation: r.state.deactivation,
      stats: { ...r.state.stats },
      windows: r.state.windows?.snapshot(),
      machineBlob: r.state.machine && blobs.push(r.state.machine.serialize()) - 1,
      suppression: r.state.suppressor?.snapshot(),
    }));
    return encodeEngineState(
      {
        position: this.inputPosition,
        nextOrder: this.registry.nextOrder,
        counters: { ...this.metricsOf.counters },
        rules,
        history: this.registry.allHistory(),
        iocs: this.iocs.list().map(({ name }) => ({ name, blob: blobs.push(this.iocs.serialize(name)) - 1 })),
        tables: this.tables.names().map((name) => ({ name, entries: this.tables.entries(name) })),
        models: this.models.names().map((name) => [name, this.models.get(name)]),
        ...this.time.snapshot(),
        extra,
      },
      blobs,
    );
  }

  /**
   * Brings back what `checkpoint` saved, replacing everything this engine holds. Returns the
   * `extra` data stored with it. An unknown format version or a corrupt file is a CheckpointError.
   */
  restore(bytes: Uint8Array): { extra?: unknown } {
    this.assertAlive();
    const { state, blobs } = decodeEngineState(bytes);
    this.registry.clear();
    for (const { name } of this.iocs.list()) this.iocs.drop(name);
    for (const name of this.tables.names()) this.tables.delete(name);
    for (const name of this.models.names()) this.models.delete(name);

    for (const { name, blob } of state.iocs) this.iocs.load(name, blobs[blob]!);
    for (const { name, entries } of state.tables) this.tables.create(name, entries);
    for (const [name, model] of state.models) this.models.set(name, model);
    for (const saved of state.rules) {
      const { rules, diagnostics } = compileCheck(saved.text, saved.file, { iocLists: this.iocs.names() });
      const ast = rules.find((r) => r.name === saved.name);
      if (!ast) throw new CheckpointError(`rule "${saved.name}" in the checkpoint no longer compiles: ${diagnostics.map((d) => d.message).join('; ')}`);
      const plan = compileRule(ast, this.compileContext());
      const agg = plan.aggregation;
      this.registry.restoreRule(
        plan,
        {
          status: saved.status,
          deactivation: saved.deactivation,
          stats: saved.stats,
          windows: agg && (saved.windows ? WindowStore.restore(agg.window, saved.windows, this.host.windowBuffers) : new WindowStore<EventRecord>(agg.window, this.host.windowBuffers)),
          machine: plan.stateMachine && (saved.machineBlob !== undefined ? MachineKeys.restore(this.host.stateTables, blobs[saved.machineBlob]!) : MachineKeys.create(this.host.stateTables)),
          suppressor: plan.suppression && restoredSuppressor(plan.suppression.periodMs, saved.suppression),
        },
        saved.order,
      );
      if (saved.status === 'deactivated') plan.sandbox?.dispose();
    }
    this.registry.restoreHistory(state.history, state.nextOrder);
    this.metricsOf.counters = { ...state.counters };
    this.inputPosition = state.position;
    this.time.rebuild(this.registry.ordered());
    this.time.restore(state.watermarks, state.eventClocks);
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
    const { plan, keys } = this.machineOf(name);
    return {
      liveKeys: keys.liveKeys,
      byteSize: keys.byteSize,
      stateNames: [...plan.stateNames],
      states: options.countStates ? plan.stateCounts(keys) : undefined,
    };
  }

  /** The state one key of a STATE MACHINE rule is in (INITIAL when the rule holds nothing for it). */
  stateOf(name: string, key: Record<string, unknown>): string {
    const { plan, keys } = this.machineOf(name);
    return plan.stateOf(keys, key);
  }

  /**
   * Event time per USING field: the field's watermark and, per source, its highest time, its own
   * watermark, how far it trails, whether it still holds the watermark back (not idle), and how
   * many of its events were quarantined.
   */
  eventTime(): EventTimeInfo[] {
    return this.time.describe(this.clock());
  }

  metrics(): EngineMetrics {
    return this.metricsOf.report(this.registry.ordered());
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.registry.dispose();
    for (const { name } of this.iocs.list()) this.iocs.get(name).dispose();
    this.alertOut.close();
    this.diagnosticOut.close();
    this.transitionOut.close();
  }

  // ── inside ───────────────────────────────────────────────────────────────

  /** Runs `work`, which may close windows, then HAVING and SINK for what closed; the alerts keyed after `prefix`. */
  private fire(work: (fired: Fired) => void, prefix: number[]): KeyedAlert[] {
    const pending = new Work();
    work((rule, window) => pending.fired(rule, window, 0));
    return this.firing.finish(pending, () => prefix);
  }

  /**
   * Moves the windows of alert-fed rules up to their watermarks, again and again while that fires
   * windows whose alerts feed further rules (bounded by the re-entry depth). A window goes in the
   * output after the input event that moved its watermark past its end, as if the batch had
   * ended there: the order does not depend on batch boundaries. (`batchLength` is the pushed
   * batch's; without it, after a clock tick, they come after the tick's own alerts.)
   */
  private settleDerived(raise: (level: KeyedAlert[]) => void, batchLength?: number, indexOf: (origin: number) => number = (origin) => origin): void {
    if (!this.time.derivedRules.length) return;
    for (let round = 0; round <= this.options.maxReentryDepth; round++) {
      const work = new Work();
      for (const rule of this.time.derivedRules) {
        const field = rule.plan.aggregation!.timeField;
        advanceRule(rule, this.time.watermarkOf(rule), (r, window) => work.fired(r, window, batchLength === undefined ? 0 : this.time.reachedAt(field, window.end, batchLength)));
      }
      const level = this.firing.finish(work, (origin) => (batchLength === undefined ? [1, round] : [indexOf(origin) + 0.5, round]));
      if (!work.having.size && !work.sink.size) return;
      raise(level);
    }
  }

  private emit({ alert, counted }: KeyedAlert): void {
    if (!counted) this.count(alert);
    this.alertOut.emit(alert);
  }

  private count(alert: Alert): void {
    this.metricsOf.counters.alertsOut++;
    const rule = this.registry.get(alert.rule);
    if (rule) rule.state.stats.alerts++;
  }

  private selfTarget(): AlertTarget {
    const target = selfTarget(this.registry, (batch, depth, prefixOf) => this.pipeline.run(batch, depth, prefixOf));
    return {
      wantsAlerts: target.wantsAlerts,
      reenter: (level, depth) => {
        this.metricsOf.counters.reentries += level.length;
        return target.reenter(level, depth);
      },
    };
  }

  private machineOf(name: string) {
    const rule = this.registry.require(name);
    if (!rule.plan.stateMachine || !rule.state.machine) throw new Error(`rule "${name}" is not a STATE MACHINE rule`);
    return { plan: rule.plan.stateMachine.machine, keys: rule.state.machine };
  }

  private compileContext(): RuleCompileContext {
    return {
      sandboxes: this.host.sandboxes,
      utils: this.utils,
      utilsHost: this.utilsHost,
      limits: this.options.sandbox,
      limitsPerRule: this.options.sandboxPerRule,
      stateTables: this.host.stateTables,
      allowedLatenessMs: this.options.allowedLatenessMs,
      sandboxOnly: this.options.sandboxOnly,
      equalityIndex: this.options.equalityIndex,
      cpuClock: this.options.cpuClock,
    };
  }

  private deactivate(rule: LiveRule, violation: unknown, phase: FunctionPhase): Alert | undefined {
    if (!(violation instanceof SandboxViolation)) throw violation;
    if (rule.state.status === 'deactivated') return undefined;
    const at = this.clock();
    rule.state.status = 'deactivated';
    rule.state.deactivation = { kind: violation.kind, reason: `${phase}: ${violation.message}`, at };
    rule.plan.sandbox?.dispose();
    this.metricsOf.counters.deactivations++;
    return { rule: 'vigil.rule.deactivated', deactivatedRule: rule.name, kind: violation.kind, phase, reason: violation.message, time: at };
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('the engine has been disposed');
  }
}

function restoredSuppressor(periodMs: number, saved: SavedRule['suppression']): Suppressor {
  const suppressor = new Suppressor(periodMs);
  if (saved) suppressor.restore(saved);
  return suppressor;
}
