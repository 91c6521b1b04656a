/**
 * The engine worker's API (VigilWorkerApi): one Engine and the services around it, each in
 * services/ — rules (with history), lists (IOC lists and tables, uploads), the update feed,
 * flows, the state-machine debugger, checkpoints, replay, persistence, the simulator, benchmarks.
 * This file starts them (persisted state or the defaults) and routes the API to them.
 * Runtime-agnostic: engine.worker.ts builds it with browser loaders and IndexedDB; tests build it
 * with the Node engine and a MemoryStore.
 *
 * Longer than ~400 lines for one reason: about 45 one-line routes from the API to the services,
 * kept together so the API reads as one table; the work is in services/.
 */
import type { Engine, RuleInfo } from '../../src/engine/engine.js';
import type { HotPaths } from '../../src/wasm/hotpaths.js';
import type { Diagnostic } from '../../src/lang/diagnostic.js';
import type {
  AlertRetention,
  AlertStatus,
  PreviewResult,
  PreviewRingInfo,
  PreviewSample,
  TriageAlert,
  BenchmarkInfo,
  BenchmarkResult,
  CheckpointInfo,
  FlowHostProfile,
  FlowModelView,
  IocListSummary,
  ListUploadOptions,
  ListUploadProgress,
  ListUploadResult,
  MachineSnapshot,
  MachineTrail,
  MetricsSnapshot,
  ReplayProgress,
  ReplayResult,
  RuleHistoryEntry,
  RuleOpResult,
  SimulatorSettings,
  SimulatorStatus,
  TableSummary,
  TrailStep,
  UpdateBatch,
  VigilWorkerApi,
  WorkerDefaults,
  WorkerInit,
  WorkerReady,
} from '../../src/runtime/worker/protocol.js';
import { AlertStore, IdbAlertBackend, MemoryAlertBackend } from './alert-store.js';
import type { CoalescerTimer } from './coalescer.js';
import { MemoryStore, type StateStore, type StoredState } from './persistence.js';
import { QualityService } from './quality-service.js';
import type { QualityApi, QualityReport } from './quality.js';
import type { SimulatorLib, SimulatorTimer } from './simulator.js';
import { BenchmarksService, type BenchModule } from './services/benchmarks.js';
import { CHECKPOINT_EVERY_MS, CheckpointsService } from './services/checkpoints.js';
import type { HostContext } from './services/context.js';
import { DebuggerService } from './services/debugger.js';
import { FlowsService } from './services/flows.js';
import { ListsService } from './services/lists.js';
import { Persistence } from './services/persistence.js';
import { PreviewService } from './services/preview.js';
import { ReplayService } from './services/replay.js';
import { RulesService } from './services/rules.js';
import { SimulatorService } from './services/simulator.js';
import { pageCopy, UpdateFeed } from './services/update-feed.js';

export type { BenchModule } from './services/benchmarks.js';
export { CHECKPOINT_EVERY_MS } from './services/checkpoints.js';
export { FLOW_MODEL_NAME } from './services/flows.js';

export interface WorkerHostDeps {
  createEngine(): Promise<{ engine: Engine; loadMs: number; hotPaths?: HotPaths }>;
  /** The benchmarks this build has (src/bench), or why there are none. */
  benchmarks?(): Promise<BenchModule[]>;
  openStore(persist: boolean): Promise<StateStore>;
  /** src/simulate, or undefined with the reason it is missing. */
  simulator(): Promise<SimulatorLib | { unavailable: string }>;
  timer?: CoalescerTimer & SimulatorTimer;
}

const SYSTEM_AUTHOR = 'vigil';
/** Periodic checkpoints take at most one part in this many of the worker's (wall-clock) time. */
export const CHECKPOINT_COST_SHARE = 10;

/** The services of one worker, built once the engine has loaded. */
interface Services {
  ctx: HostContext;
  feed: UpdateFeed;
  persistence: Persistence;
  simulator: SimulatorService;
  rules: RulesService;
  lists: ListsService;
  flows: FlowsService;
  debugger: DebuggerService;
  checkpoints: CheckpointsService;
  replay: ReplayService;
  benchmarks: BenchmarksService;
  quality: QualityService;
  preview: PreviewService;
  alerts: AlertStore;
}

export class WorkerHost implements VigilWorkerApi, QualityApi {
  private s!: Services;
  /** What the page handed over at init: used when nothing was persisted, and by resetToDefaults. */
  private defaults!: WorkerDefaults;
  private loadMs = 0;
  private initialized: Promise<WorkerReady> | undefined;
  private checkpointHandle: unknown;

  constructor(private readonly deps: WorkerHostDeps) {}

  init(init: WorkerInit): Promise<WorkerReady> {
    this.initialized ??= this.doInit(init);
    return this.initialized;
  }

  private async doInit(init: WorkerInit): Promise<WorkerReady> {
    this.defaults = init.defaults;
    const timer = this.deps.timer;
    const now = () => (timer ? timer.now() : Date.now());
    const [{ engine, loadMs, hotPaths }, store, simLib] = await Promise.all([
      this.deps.createEngine(),
      this.deps.openStore(init.persist !== false).catch((error: unknown) => {
        console.warn('vigil: IndexedDB unavailable, state is kept in memory only:', error);
        return new MemoryStore();
      }),
      this.deps.simulator().catch((error: unknown) => ({ unavailable: String(error) })),
    ]);
    this.loadMs = loadMs;
    // Alerts go to IndexedDB where the state does (the alert store opens its own database).
    const persistAlerts = init.persist !== false && typeof indexedDB !== 'undefined' && !(store instanceof MemoryStore);
    this.s = this.build(engine, store, simLib, now, hotPaths, init.simulatorWarmupMs ?? 0, persistAlerts);
    const { feed, simulator, debugger: machines, quality, alerts } = this.s;
    if (init.reset) await alerts.clear();
    feed.continueAlertIds(await alerts.open());

    engine.onAlert((alert) => {
      simulator.driver.observeAlert(alert);
      quality.observeAlert(alert);
      alerts.add(feed.alert(alert));
    });
    engine.onDiagnostic((d) => feed.diagnostic(d));

    if (init.reset) await store.clear();
    const stored = await store.read();
    const ready = stored ? await this.restore(stored) : await this.loadDefaults();
    machines.rulesChanged();
    feed.start();
    const setInterval = timer ? timer.setInterval.bind(timer) : (fn: () => void, ms: number) => globalThis.setInterval(fn, ms);
    this.checkpointHandle = setInterval(() => this.periodicCheckpoint(now), CHECKPOINT_EVERY_MS);
    return ready;
  }

  private build(
    engine: Engine,
    store: StateStore,
    simLib: SimulatorLib | { unavailable: string },
    now: () => number,
    hotPaths: HotPaths | undefined,
    warmupMs: number,
    persistAlerts: boolean,
  ): Services {
    // The feed reads the other services only when a batch goes out, after they all exist.
    const feed = new UpdateFeed(
      engine,
      now,
      {
        simulator: () => this.s.simulator.status(),
        checkpoint: () => this.s.checkpoints.lastSaved,
        checkpointPaused: () => this.s.checkpoints.paused,
        flows: () => this.s.flows.summary(),
        ruleStatesChanged: () => this.s?.debugger.rulesChanged(),
      },
      this.deps.timer,
    );
    const persistence = new Persistence(store, (d) => feed.diagnostic(d));
    const ctx: HostContext = { engine, now, feed, persistence };
    const quality = new QualityService(now);
    const simulator = new SimulatorService(
      ctx,
      quality.track(simLib),
      (events, anomalous) => {
        const result = this.ingest(events, 'simulator', anomalous);
        engine.advanceTime();
        return result.rejected.length;
      },
      this.deps.timer,
      warmupMs,
    );
    quality.attach(simulator.driver);
    const lists = new ListsService(ctx);
    const machines = new DebuggerService(ctx, simulator);
    return {
      ctx,
      feed,
      persistence,
      simulator,
      lists,
      rules: new RulesService(ctx, () => machines.rulesChanged()),
      flows: new FlowsService(ctx),
      debugger: machines,
      checkpoints: new CheckpointsService(ctx, simulator, lists),
      replay: new ReplayService(ctx, lists, () => this.deps.createEngine()),
      benchmarks: new BenchmarksService(hotPaths, this.deps.benchmarks?.bind(this.deps)),
      quality,
      preview: new PreviewService(ctx, lists, () => this.deps.createEngine()),
      alerts: new AlertStore(persistAlerts ? new LazyIdbAlertBackend() : new MemoryAlertBackend(), now, (message, recovered) =>
        feed.diagnostic({ code: recovered ? 'vigil.storage.recovered' : 'vigil.storage', message }),
      ),
    };
  }

  /** Every event the engine gets goes this way: the page's, the simulator's. */
  private ingest(events: unknown[], source: string, anomalous?: readonly boolean[]) {
    this.s.feed.tops.add(events);
    this.s.preview.observe(events);
    this.s.flows.add(events, anomalous);
    return this.s.ctx.engine.push(events, { source });
  }

  // ── start-up ─────────────────────────────────────────────────────────────

  private async restore(stored: StoredState): Promise<WorkerReady> {
    const { rules, lists, simulator, checkpoints } = this.s;
    const checkpoint = await checkpoints.restore(stored);
    const settings = stored.settings!;
    if (checkpoint.restored) {
      lists.adoptStored(stored);
      rules.adoptHistory(stored);
      simulator.load(settings.simulator, settings.simulatorRunning);
      return { restoredFrom: 'storage', restoreProblems: [], loadMs: this.loadMs, checkpoint };
    }
    // A half-restored engine: start it over from the records.
    rules.removeAllFromEngine();
    lists.clear();
    lists.restoreStored(stored);
    rules.adoptHistory(stored);
    const problems = rules.restoreStored(stored);
    simulator.load(settings.simulator, settings.simulatorRunning);
    return { restoredFrom: 'storage', restoreProblems: problems, loadMs: this.loadMs, checkpoint };
  }

  private async loadDefaults(): Promise<WorkerReady> {
    const d = this.defaults;
    const { rules, lists, simulator, persistence } = this.s;
    const listsPlan = lists.loadDefaults(d.iocLists, d.tables);
    const problems = rules.loadDefaults(d.rules, SYSTEM_AUTHOR, 'default-rules.vgl');
    simulator.load(d.simulator, d.simulatorRunning);
    // Defaults that failed to apply are not saved: the next load tries them again.
    if (problems.length) return { restoredFrom: 'defaults', restoreProblems: problems, loadMs: this.loadMs };
    await persistence.write({ ...rules.records(), ...listsPlan, settings: simulator.settingsRecord() });
    return { restoredFrom: 'defaults', restoreProblems: problems, loadMs: this.loadMs };
  }

  async resetToDefaults(): Promise<WorkerReady> {
    const { feed, simulator, rules, lists, flows, checkpoints, persistence, debugger: machines } = this.s;
    simulator.driver.stop();
    checkpoints.forget();
    rules.clear();
    lists.clear();
    simulator.driver.resetScore();
    flows.clear();
    this.s.preview.ring.clear();
    await this.s.alerts.clear();
    await persistence.clear();
    const ready = await this.loadDefaults();
    feed.rulesVersion++;
    feed.listsVersion++;
    machines.rulesChanged();
    feed.flushNow();
    return ready;
  }

  private lastCheckpointAt = -Infinity;
  private lastCheckpointMs = 0;

  /**
   * The periodic checkpoint, skipped while the last one is too recent for its cost: at 100k events/s
   * a minute of open windows takes seconds to encode and write, so checkpoints are spaced to keep
   * them under 1/CHECKPOINT_COST_SHARE of the worker's time (never more often than every
   * CHECKPOINT_EVERY_MS).
   */
  private periodicCheckpoint(now: () => number): void {
    const started = now();
    if (started - this.lastCheckpointAt < CHECKPOINT_COST_SHARE * this.lastCheckpointMs) return;
    this.lastCheckpointAt = started;
    void this.checkpointNow().finally(() => (this.lastCheckpointMs = now() - started));
  }

  /** Stops timers (tests). */
  dispose(): void {
    if (this.checkpointHandle !== undefined) {
      const timer = this.deps.timer;
      if (timer) timer.clearInterval(this.checkpointHandle);
      else clearInterval(this.checkpointHandle as ReturnType<typeof setInterval>);
    }
    this.s?.simulator.driver.stop();
    this.s?.feed.stop();
    this.s?.alerts.dispose();
    this.s?.ctx.engine.dispose();
  }

  // ── events and updates ───────────────────────────────────────────────────

  push(events: unknown[]): { accepted: number; rejected: { index: number; reason: string }[] } {
    const result = this.ingest(events, 'page');
    this.s.feed.markDirty();
    return result;
  }

  metrics(): MetricsSnapshot {
    return this.s.feed.metrics();
  }

  subscribe(listener: (batch: UpdateBatch) => void): number {
    return this.s.feed.subscribe(listener);
  }

  unsubscribe(token: number): void {
    this.s.feed.unsubscribe(token);
  }

  // ── rules ────────────────────────────────────────────────────────────────

  putRules(text: string, options?: { author?: string; file?: string }): Promise<RuleOpResult> {
    return this.s.rules.putRules(text, options);
  }

  removeRule(name: string, author?: string): Promise<boolean> {
    return this.s.rules.removeRule(name, author);
  }

  setRuleEnabled(name: string, enabled: boolean, author?: string): Promise<void> {
    return this.s.rules.setRuleEnabled(name, enabled, author);
  }

  rules(): RuleInfo[] {
    return this.s.rules.rules();
  }

  history(name: string): RuleHistoryEntry[] {
    return this.s.rules.history(name);
  }

  removedRules(): string[] {
    return this.s.rules.removedRules();
  }

  revertRule(name: string, version: number, author?: string): Promise<RuleOpResult> {
    return this.s.rules.revertRule(name, version, author);
  }

  // ── IOC lists and tables ─────────────────────────────────────────────────

  iocLists(): IocListSummary[] {
    return this.s.lists.iocLists();
  }

  iocEntries(name: string): string[] {
    return this.s.lists.iocEntries(name);
  }

  setIocList(name: string, entries: string[]): Promise<void> {
    return this.s.lists.setIocList(name, entries);
  }

  deleteIocList(name: string): Promise<void> {
    return this.s.lists.deleteIocList(name);
  }

  tables(): TableSummary[] {
    return this.s.lists.tables();
  }

  tableEntries(name: string): string[] {
    return this.s.lists.tableEntries(name);
  }

  setTable(name: string, entries: string[]): Promise<void> {
    return this.s.lists.setTable(name, entries);
  }

  deleteTable(name: string): Promise<void> {
    return this.s.lists.deleteTable(name);
  }

  uploadList(
    kind: 'ioc' | 'table',
    name: string,
    file: Blob,
    options?: ListUploadOptions,
    onProgress?: (p: ListUploadProgress) => void,
  ): Promise<ListUploadResult> {
    return this.s.lists.uploadList(kind, name, file, options, onProgress);
  }

  editListEntries(kind: 'ioc' | 'table', name: string, change: { add?: string[]; remove?: string[] }): Promise<{ count: number; added: number; removed: number }> {
    return this.s.lists.editListEntries(kind, name, change);
  }

  // ── simulator ────────────────────────────────────────────────────────────

  simulator(): SimulatorStatus {
    return this.s.simulator.status();
  }

  configureSimulator(settings: Partial<SimulatorSettings>): Promise<SimulatorStatus> {
    return this.s.simulator.configure(settings);
  }

  startSimulator(): Promise<SimulatorStatus> {
    return this.s.simulator.start();
  }

  stopSimulator(): Promise<SimulatorStatus> {
    return this.s.simulator.stop();
  }

  injectAnomaly(n?: number): SimulatorStatus {
    return this.s.simulator.inject(n);
  }

  resetScore(): SimulatorStatus {
    return this.s.simulator.resetScore();
  }

  /** Precision and recall per rule and per generator, false positives and misses (worker/quality.ts). */
  quality(): QualityReport {
    return this.s.quality.report();
  }

  // ── network flows ────────────────────────────────────────────────────────

  flowHostProfile(address: string): FlowHostProfile {
    return this.s.flows.flowHostProfile(address);
  }

  flowHosts(prefix?: string, limit?: number): string[] {
    return this.s.flows.flowHosts(prefix, limit);
  }

  trainFlowModel(options?: { maxRows?: number }): Promise<FlowModelView> {
    return this.s.flows.trainFlowModel(options);
  }

  flowModel(): FlowModelView | undefined {
    return this.s.flows.flowModel();
  }

  labelFlowCluster(cluster: number, label: 'normal' | 'anomalous'): FlowModelView {
    return this.s.flows.labelFlowCluster(cluster, label);
  }

  flowModelJson(): string | undefined {
    return this.s.flows.flowModelJson();
  }

  // ── state-machine debugger ───────────────────────────────────────────────

  machineRules(): string[] {
    return this.s.debugger.machineRules();
  }

  machineSnapshot(rule: string): MachineSnapshot {
    return this.s.debugger.machineSnapshot(rule);
  }

  machineTrail(rule: string, key: string): MachineTrail {
    return this.s.debugger.machineTrail(rule, key);
  }

  watchKey(rule: string, key: string, on: boolean): void {
    this.s.debugger.watchKey(rule, key, on);
  }

  stepMachine(rule: string, options?: { key?: string; maxEvents?: number }): Promise<{ step?: TrailStep; key?: string; events: number }> {
    return this.s.debugger.stepMachine(rule, options);
  }

  // ── rule preview ─────────────────────────────────────────────────────────

  previewRules(text: string, file: string, sample: PreviewSample): Promise<PreviewResult> {
    return this.s.preview.preview(text, file, sample);
  }

  checkRules(text: string, file: string): Promise<Diagnostic[]> {
    return this.s.preview.checkRules(text, file);
  }

  previewRing(): PreviewRingInfo {
    return this.s.preview.ringInfo();
  }

  previewRingSample(minutes?: number): string {
    return this.s.preview.ringSample(minutes);
  }

  // ── alert triage ─────────────────────────────────────────────────────────

  async triageAlerts(): Promise<TriageAlert[]> {
    // Page copies: 10,000 kept alerts with every event would be one message of tens of MB.
    return this.s.alerts.all().map((row) => pageCopy(row));
  }

  keptAlerts(ids: number[]): TriageAlert[] {
    if (!Array.isArray(ids)) return [];
    return ids.flatMap((id) => this.s.alerts.get(id) ?? []);
  }

  async setAlertStatus(ids: number[], status: AlertStatus, by: string): Promise<number> {
    const changed = this.s.alerts.setStatus(ids, status, by);
    // A person's decision is saved now, not with the next batch: the page may be closed next.
    await this.s.alerts.flush();
    return changed;
  }

  alertRetention(): AlertRetention {
    return this.s.alerts.getRetention();
  }

  setAlertRetention(retention: Partial<AlertRetention>): Promise<AlertRetention> {
    return this.s.alerts.setRetention(retention);
  }

  clearTriageAlerts(): Promise<void> {
    return this.s.alerts.clear();
  }

  // ── checkpoints, replay, benchmarks ──────────────────────────────────────

  checkpointNow(): Promise<CheckpointInfo | undefined> {
    return this.s.checkpoints.checkpointNow();
  }

  replay(file: Blob, name: string, onProgress?: (p: ReplayProgress) => void): Promise<ReplayResult> {
    return this.s.replay.replay(file, name, onProgress);
  }

  benchmarks(): Promise<{ available: BenchmarkInfo[]; unavailable?: string }> {
    return this.s.benchmarks.benchmarks();
  }

  runBenchmark(name: string, onProgress?: (message: string) => void): Promise<BenchmarkResult> {
    return this.s.benchmarks.runBenchmark(name, onProgress);
  }
}

/** IndexedDB for the kept alerts, opened on first use (the alert store falls back to memory if it cannot). */
class LazyIdbAlertBackend {
  private db: Promise<IdbAlertBackend> | undefined;
  private get backend(): Promise<IdbAlertBackend> {
    return (this.db ??= IdbAlertBackend.open());
  }
  async load() {
    return (await this.backend).load();
  }
  async put(alerts: readonly TriageAlert[]) {
    return (await this.backend).put(alerts);
  }
  async deleteThrough(id: number) {
    return (await this.backend).deleteThrough(id);
  }
  async saveRetention(retention: AlertRetention) {
    return (await this.backend).saveRetention(retention);
  }
  async clear() {
    return (await this.backend).clear();
  }
}
