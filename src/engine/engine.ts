/**
 * The engine: a facade over the parts named for their concept — the rule registry and history
 * (registry.ts: each rule a plan, rule-plan.ts, with its state, rule-state.ts), the batch pipeline
 * (pipeline.ts, with the IOC stage in ioc-stage.ts), the inputs it takes (inputs.ts), event time
 * (time-index.ts, watermark.ts), firing HAVING and SINK (firing.ts, alert-shape.ts), re-entry and
 * the order of output (reentry.ts), checkpoints (checkpointing.ts, engine-state.ts) and metrics
 * (metrics.ts). Synchronous and runtime-agnostic: everything that touches a platform (loading
 * WebAssembly, files, timers) is done by the caller and handed in through the ports (ports.ts).
 *
 * Over 400 lines because it is the whole public API with its documentation; every method body
 * is a line or two handing over to the part that does the work.
 */
import { createUtils, type Utils, type UtilsHost } from '../lang/utils.js';
import { Broadcast } from './alert-stream.js';
import { restoreCheckpoint, takeCheckpoint, type EngineParts, type RefusedOnRestore } from './checkpointing.js';
import type { Clock } from './event-time.js';
import { Firing, type KeyedAlert } from './firing.js';
import { Inputs } from './inputs.js';
import { IocRegistry } from './ioc-registry.js';
import { Metrics } from './metrics.js';
import { ModelRegistry } from './models.js';
import { resolveOptions, type EngineOptions, type ResolvedOptions } from './options.js';
import { Pipeline } from './pipeline.js';
import { SandboxViolation, type FunctionPhase, type ViolationKind } from './ports.js';
import { Reentry, selfTarget, type AlertTarget } from './reentry.js';
import { LiveRule, RuleRegistry } from './registry.js';
import type { RuleCompileContext, RulePlan } from './rule-plan.js';
import type { MachineTransition } from './state-machine.js';
import { TableRegistry } from './tables.js';
import { TimeIndex } from './time-index.js';
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

export type { EngineOptions } from './options.js';
export type { MachineTransition } from './state-machine.js';
export type { AlertTarget } from './reentry.js';
export type { KeyedAlert } from './firing.js';
export type { RefusedOnRestore } from './checkpointing.js';
export type * from './types.js';

export class Engine {
  readonly iocs: IocRegistry;
  readonly tables = new TableRegistry();
  /** Flow models for `utils.classify` (src/ml: `vigil train` writes them). */
  readonly models: ModelRegistry;
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
  private readonly inputs: Inputs;
  private disposed = false;

  constructor(
    private readonly host: EngineHost,
    options: EngineOptions = {},
  ) {
    this.options = resolveOptions(options);
    this.models = new ModelRegistry(host.models);
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
      sigma: options.sigma,
      clock: this.clock,
      changed: () => this.time.rulesChanged(() => this.registry.ordered()),
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
    this.inputs = new Inputs({
      options: this.options,
      registry: this.registry,
      time: this.time,
      firing: this.firing,
      pipeline: this.pipeline,
      reentry: this.reentry,
      metrics: this.metricsOf,
      count: (keyed) => this.countFor(keyed),
    });
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

  /** The rules' compiled plans, in order: for a decoder that reads only the fields they use (src/io/lazy-fields.ts). */
  rulePlans(): RulePlan[] {
    return this.registry.ordered().map((r) => r.plan);
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
    return this.inputs.push(events, options);
  }

  /** Reads the clock and closes the processing-time windows that are due. */
  advanceTime(): void {
    this.assertAlive();
    this.inputs.advanceTime();
  }

  /**
   * Declares that no event earlier than `timeMs` will come (an idle or finished source): every
   * event-time watermark moves up to it and the windows that end by then close.
   */
  advanceWatermark(timeMs: number): void {
    this.assertAlive();
    this.inputs.advanceWatermark(timeMs);
  }

  /**
   * End of input: every open window fires, and the alerts it causes are delivered. Rules fed by
   * alerts drain after the rules that feed them, so the last alerts still reach their windows.
   */
  flush(): void {
    this.assertAlive();
    this.inputs.flush();
  }

  /** Number of input events consumed so far (rejected ones included). */
  get position(): number {
    return this.inputs.position;
  }

  /**
   * Pushes a batch as `push` does, but hands back the alerts it raised directly (keyed, counted
   * here, their keys starting with `indexOf(their event's index in the batch)`) instead of
   * re-entering and emitting them: for a caller that runs one chain over several engines (the
   * edge's partitions, with a Reentry of their own and this engine's alert target).
   */
  pushLevel(events: readonly Record<string, unknown>[], indexOf: (origin: number) => number, options: PushOptions = {}): KeyedAlert[] {
    this.assertAlive();
    return this.inputs.pushLevel(events, indexOf, options);
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
    for (const keyed of raised) this.countFor(keyed);
    return raised;
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
    return takeCheckpoint(this.parts(), this.inputs.position, extra);
  }

  /**
   * Brings back what `checkpoint` saved, replacing everything this engine holds. Returns the
   * `extra` data stored with it, and the rules left out because this engine no longer compiles
   * them (each also reported as a `vigil.restore` diagnostic; the rest is restored). An unknown
   * format version or a corrupt file is a CheckpointError.
   */
  restore(bytes: Uint8Array): { extra?: unknown; refused?: RefusedOnRestore[] } {
    this.assertAlive();
    const { position, extra, refused } = restoreCheckpoint(this.parts(), bytes);
    this.inputs.position = position;
    for (const { rule, reason } of refused) {
      this.diagnosticOut.emit({ code: 'vigil.restore', rule, message: `rule "${rule}" was left out of the restored checkpoint: ${reason}` });
    }
    return refused.length ? { extra, refused } : { extra };
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

  private emit({ alert, counted }: KeyedAlert): void {
    if (!counted) this.count(alert);
    this.alertOut.emit(alert);
  }

  /** Counts an alert raised here that someone else's chain emits. */
  private countFor(keyed: KeyedAlert): void {
    this.count(keyed.alert);
    keyed.counted = true;
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

  /** What a checkpoint saves and restores (checkpointing.ts). */
  private parts(): EngineParts {
    return {
      registry: this.registry,
      iocs: this.iocs,
      tables: this.tables,
      models: this.models,
      time: this.time,
      metrics: this.metricsOf,
      state: this.host,
      compile: () => this.compileContext(),
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
      sandboxHeapBytes: this.options.sandboxHeapBytes,
      equalityIndex: this.options.equalityIndex,
      sigmaPrefilter: this.options.sigmaPrefilter,
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

