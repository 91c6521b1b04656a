/**
 * The engine worker's state and API: one Engine, its persisted rules/history/lists, the update
 * coalescer and the simulator driver. Runtime-agnostic: engine.worker.ts builds it with browser
 * loaders and IndexedDB; tests build it with the Node engine and a MemoryStore.
 */
import type { Alert, Engine, RuleInfo, RuntimeDiagnostic } from '../../src/engine/engine.js';
import type { HotPaths } from '../../src/wasm/hotpaths.js';
import { RateMeter } from '../../src/engine/rate-meter.js';
import { UpdateCoalescer, type CoalescerTimer } from './coalescer.js';
import { MemoryStore, type StateStore, type StoredState } from './persistence.js';
import {
  HEARTBEAT_MS,
  MAX_ALERTS_PER_BATCH,
  MAX_DIAGNOSTICS_PER_BATCH,
  UPDATE_INTERVAL_MS,
  MAX_REPLAY_ALERTS,
  type AlertEnvelope,
  type BenchmarkInfo,
  type BenchmarkResult,
  type CheckpointInfo,
  type FlowHostProfile,
  type FlowModelView,
  type IocListSummary,
  type ListUploadOptions,
  type ListUploadProgress,
  type ListUploadResult,
  LARGE_LIST_ENTRIES,
  UPLOAD_BATCH_ENTRIES,
  type MachineSnapshot,
  type MachineTrail,
  type ReplayProgress,
  type ReplayResult,
  type TrailStep,
  type MetricsSnapshot,
  type RuleHistoryEntry,
  type RuleOpResult,
  type SimulatorSettings,
  type SimulatorStatus,
  type TableSummary,
  type UpdateBatch,
  type VigilWorkerApi,
  type WorkerDefaults,
  type WorkerInit,
  type WorkerReady,
} from '../../src/runtime/worker/protocol.js';
import {
  appendHistory,
  filterRecord,
  listRecord,
  normalizeEntries,
  ruleRecords,
  stateSignature,
  STORE_FORMAT,
  type CheckpointRecord,
  type HistoryRecord,
  type ListRecord,
  type WritePlan,
} from './records.js';
import { SimulatorDriver, type SimulatorLib, type SimulatorTimer } from './simulator.js';
import { TrafficTops } from './top-sources.js';
import { FlowStats } from './flow-stats.js';
import { FlowModelKeeper } from './flow-model.js';
import { ListChunkParser, readListFile } from './list-upload.js';
import { readJsonLines } from './replay.js';
import { TransitionTracker } from './transition-tracker.js';

/** A benchmark module of src/bench: `run…(hotPaths, options)` returning a table. */
export interface BenchModule {
  info: BenchmarkInfo;
  run(hot: HotPaths, options: { progress?: (message: string) => void }): { columns: string[]; rows: Record<string, string | number>[]; notes: string[] };
}

/** Engine checkpoints are saved this often (and when the page asks, e.g. on pagehide). */
export const CHECKPOINT_EVERY_MS = 10_000;
/** The flow model trains on whole windows only once they hold this many host windows. */
const MIN_FULL_TRAINING_ROWS = 30;
/** An upload deduplicates its entries up to this many distinct ones. */
const UPLOAD_DEDUPE_LIMIT = 2_000_000;

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

/** The name rules give `utils.classify` for the model trained in the Flows view. */
export const FLOW_MODEL_NAME = 'flows';

export class WorkerHost implements VigilWorkerApi {
  private engine!: Engine;
  private store!: StateStore;
  private sim!: SimulatorDriver;
  private defaults!: WorkerDefaults;
  private coalescer!: UpdateCoalescer<AlertEnvelope, RuntimeDiagnostic, MetricsSnapshot>;
  private readonly listeners = new Map<number, (batch: UpdateBatch) => void>();
  private nextToken = 1;
  private nextAlertId = 1;
  private histories = new Map<string, HistoryRecord>();
  private iocEntrySets = new Map<string, Set<string>>();
  /** Large IOC lists, kept only in the engine's filter: the record (filter bytes) last persisted. */
  private filterLists = new Map<string, ListRecord>();
  private alertRate!: RateMeter;
  private sources!: TrafficTops;
  private rulesVersion = 1;
  private listsVersion = 1;
  private ruleStateSignature = '';
  private writes: Promise<void> = Promise.resolve();
  private loadMs = 0;
  private initialized: Promise<WorkerReady> | undefined;
  private hotPaths: HotPaths | undefined;
  private tracker!: TransitionTracker;
  private now: () => number = () => Date.now();
  private checkpointHandle: unknown;
  private lastCheckpoint: CheckpointInfo | undefined;
  private checkpointing: Promise<CheckpointInfo | undefined> | undefined;
  /** Flow statistics and the flow model of the Flows view, from the events pushed to the engine. */
  private readonly flowStats = new FlowStats();
  private readonly flowModels = new FlowModelKeeper();

  constructor(private readonly deps: WorkerHostDeps) {
    this.flowStats.onWindowClosed = (rows) => this.flowModels.score(rows);
  }

  init(init: WorkerInit): Promise<WorkerReady> {
    this.initialized ??= this.doInit(init);
    return this.initialized;
  }

  private async doInit(init: WorkerInit): Promise<WorkerReady> {
    this.defaults = init.defaults;
    const timer = this.deps.timer;
    const now = () => (timer ? timer.now() : Date.now());
    this.now = now;
    const [{ engine, loadMs, hotPaths }, store, simLib] = await Promise.all([
      this.deps.createEngine(),
      this.deps.openStore(init.persist !== false).catch((error: unknown) => {
        console.warn('vigil: IndexedDB unavailable, state is kept in memory only:', error);
        return new MemoryStore();
      }),
      this.deps.simulator().catch((error: unknown) => ({ unavailable: String(error) })),
    ]);
    this.engine = engine;
    this.store = store;
    this.loadMs = loadMs;
    this.hotPaths = hotPaths;
    this.tracker = new TransitionTracker(now);
    this.alertRate = new RateMeter(now);
    this.sources = new TrafficTops(60, now);
    this.coalescer = new UpdateCoalescer({
      intervalMs: UPDATE_INTERVAL_MS,
      heartbeatMs: HEARTBEAT_MS,
      maxAlerts: MAX_ALERTS_PER_BATCH,
      maxDiagnostics: MAX_DIAGNOSTICS_PER_BATCH,
      snapshot: () => this.metrics(),
      deliver: (batch) => this.deliver(batch),
      timer,
    });
    const lib = 'unavailable' in simLib ? undefined : simLib;
    this.sim = new SimulatorDriver(
      lib,
      {
        push: (events, anomalous) => {
          this.sources.add(events);
          this.flowStats.add(events, anomalous);
          const result = this.pushTracked(events, 'simulator');
          this.engine.advanceTime();
          return result.rejected.length;
        },
      },
      timer,
      () => this.coalescer.markDirty(),
      init.simulatorWarmupMs ?? 0,
    );
    if ('unavailable' in simLib) this.sim.setUnavailable(simLib.unavailable);

    engine.onAlert((alert) => {
      this.alertRate.add(1);
      this.sim.observeAlert(alert);
      this.coalescer.addAlert({ id: this.nextAlertId++, at: now(), alert });
    });
    engine.onDiagnostic((d) => this.coalescer.addDiagnostic(d));

    if (init.reset) await this.store.clear();
    const stored = await this.store.read();
    const ready = stored ? await this.restore(stored) : await this.loadDefaults();
    this.tracker.setRules(this.engine.rules());
    this.coalescer.start();
    const setInterval = timer ? timer.setInterval.bind(timer) : (fn: () => void, ms: number) => globalThis.setInterval(fn, ms);
    this.checkpointHandle = setInterval(() => void this.checkpointNow(), CHECKPOINT_EVERY_MS);
    return ready;
  }

  /** Pushes a batch with the state-machine tracker watching; `source` is the batch's event-time source. */
  private pushTracked(events: unknown[], source: string) {
    return this.tracker.around(events, this.engine, () => this.engine.push(events, { source }));
  }

  // ── start-up ─────────────────────────────────────────────────────────────

  private async restore(stored: StoredState): Promise<WorkerReady> {
    const checkpoint = await this.restoreCheckpoint(stored);
    if (checkpoint.restored) {
      for (const list of stored.iocs) {
        if (list.filter) this.filterLists.set(list.name, list);
        else this.iocEntrySets.set(list.name, new Set(list.entries));
      }
      for (const h of stored.history) this.histories.set(h.name, h);
      const settings = stored.settings!;
      this.sim.configure(settings.simulator);
      if (settings.simulatorRunning) this.safeStart();
      return { restoredFrom: 'storage', restoreProblems: [], loadMs: this.loadMs, checkpoint };
    }
    const ready = this.restoreRecords(stored);
    return { ...ready, checkpoint };
  }

  /** Brings back the engine checkpoint when it was taken over the rules and lists that were saved. */
  private async restoreCheckpoint(stored: StoredState): Promise<NonNullable<WorkerReady['checkpoint']>> {
    let record: CheckpointRecord | undefined;
    try {
      record = await this.store.readCheckpoint();
    } catch (error) {
      return { restored: false, reason: `could not read: ${String(error)}` };
    }
    if (!record) return { restored: false, reason: 'no checkpoint saved' };
    const info = { time: record.time, bytes: record.bytes.byteLength };
    if (record.signature !== stateSignature(stored)) return { restored: false, ...info, reason: 'rules or lists changed after it was taken' };
    try {
      const { extra } = this.engine.restore(record.bytes);
      const x = (extra ?? {}) as { eventTime?: number; stream?: number };
      if (typeof x.eventTime === 'number' && x.eventTime > 0) this.sim.resumeAfter(x.eventTime, x.stream ?? 0);
      this.lastCheckpoint = info;
      return { restored: true, ...info };
    } catch (error) {
      // A half-restored engine: start it over from the records.
      for (const rule of this.engine.rules()) this.engine.removeRule(rule.name);
      for (const { name } of this.engine.iocs.list()) this.engine.iocs.delete(name);
      for (const name of this.engine.tables.names()) this.engine.tables.delete(name);
      return { restored: false, ...info, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  private restoreRecords(stored: StoredState): WorkerReady {
    const problems: string[] = [];
    for (const list of stored.iocs) {
      if (list.filter) {
        this.engine.iocs.load(list.name, list.filter);
        this.filterLists.set(list.name, list);
      } else this.createIocList(list.name, list.entries);
    }
    for (const table of stored.tables) this.engine.tables.create(table.name, table.entries);
    for (const h of stored.history) this.histories.set(h.name, h);
    for (const rule of stored.rules) {
      const result = this.engine.putRules(rule.text, { file: `${rule.name}.vgl`, author: 'restore' });
      if (!result.ok) {
        problems.push(`${rule.name}: ${result.diagnostics.map((d) => d.message).join('; ')}`);
        continue;
      }
      if (!rule.enabled) this.engine.setRuleEnabled(rule.name, false);
    }
    const settings = stored.settings!;
    this.sim.configure(settings.simulator);
    if (settings.simulatorRunning) this.safeStart();
    return { restoredFrom: 'storage', restoreProblems: problems, loadMs: this.loadMs };
  }

  private async loadDefaults(): Promise<WorkerReady> {
    const d = this.defaults;
    for (const [name, entries] of Object.entries(d.iocLists)) this.createIocList(name, entries);
    for (const [name, entries] of Object.entries(d.tables)) this.engine.tables.create(name, normalizeEntries(entries));
    const problems: string[] = [];
    const result = this.applyRules(d.rules, SYSTEM_AUTHOR, 'default-rules.vgl');
    if (!result.ok) problems.push(...result.diagnostics.map((x) => `${x.file}:${x.line}:${x.column}: ${x.message}`));
    this.sim.configure(d.simulator);
    if (d.simulatorRunning) this.safeStart();
    // Defaults that failed to apply are not saved: the next load tries them again.
    if (problems.length) return { restoredFrom: 'defaults', restoreProblems: problems, loadMs: this.loadMs };
    await this.persist({
      ...this.rulesPlan([]),
      history: { put: [...this.histories.values()] },
      iocs: { put: [...this.iocEntrySets].map(([n, e]) => listRecord(n, e)), delete: [] },
      tables: { put: this.engine.tables.names().map((n) => listRecord(n, this.engine.tables.entries(n))), delete: [] },
      settings: this.settingsRecord(),
    });
    return { restoredFrom: 'defaults', restoreProblems: problems, loadMs: this.loadMs };
  }

  private safeStart(): void {
    try {
      this.sim.start();
    } catch {
      // Unavailable simulator: the status says why.
    }
  }

  async resetToDefaults(): Promise<WorkerReady> {
    this.sim.stop();
    this.lastCheckpoint = undefined;
    for (const rule of this.engine.rules()) this.engine.removeRule(rule.name);
    for (const { name } of this.engine.iocs.list()) this.engine.iocs.delete(name);
    for (const name of this.engine.tables.names()) this.engine.tables.delete(name);
    this.histories.clear();
    this.iocEntrySets.clear();
    this.filterLists.clear();
    this.sim.resetScore();
    this.flowStats.clear();
    this.flowModels.clear();
    await this.enqueue(() => this.store.clear());
    const ready = await this.loadDefaults();
    this.rulesVersion++;
    this.listsVersion++;
    this.tracker.setRules(this.engine.rules());
    this.coalescer.flushNow();
    return ready;
  }

  // ── rules ────────────────────────────────────────────────────────────────

  async putRules(text: string, options: { author?: string; file?: string } = {}): Promise<RuleOpResult> {
    const result = this.applyRules(text, options.author ?? 'unknown', options.file ?? 'editor.vgl');
    if (result.ok) await this.persistRules([...result.added, ...result.replaced]);
    return result;
  }

  /** Applies rules and records the versions; no persistence. */
  private applyRules(text: string, author: string, file: string, revertFrom?: number): RuleOpResult {
    const result = this.engine.putRules(text, { author, file });
    if (!result.ok) return result;
    const time = Date.now();
    for (const name of [...result.added, ...result.replaced]) {
      const info = this.engine.rule(name)!;
      const last = this.histories.get(name)?.versions.at(-1);
      const action: RuleHistoryEntry['action'] =
        revertFrom !== undefined ? 'revert' : !last || last.action === 'remove' ? 'create' : 'replace';
      if (last && last.text === info.text && last.action !== 'remove' && revertFrom === undefined) continue;
      this.histories.set(
        name,
        appendHistory(this.histories.get(name), name, {
          action,
          text: info.text,
          author,
          time,
          ...(revertFrom !== undefined ? { from: revertFrom } : {}),
        }),
      );
    }
    this.rulesChanged();
    return result;
  }

  async removeRule(name: string, author = 'unknown'): Promise<boolean> {
    if (!this.engine.removeRule(name, { author })) return false;
    this.histories.set(name, appendHistory(this.histories.get(name), name, { action: 'remove', text: '', author, time: Date.now() }));
    this.rulesChanged();
    await this.persistRules([name], [name]);
    return true;
  }

  async setRuleEnabled(name: string, enabled: boolean, author = 'unknown'): Promise<void> {
    const before = this.engine.rule(name);
    if (!before) throw new Error(`no rule "${name}"`);
    this.engine.setRuleEnabled(name, enabled);
    const after = this.engine.rule(name)!;
    if (before.state !== after.state) {
      this.histories.set(
        name,
        appendHistory(this.histories.get(name), name, { action: enabled ? 'enable' : 'disable', text: after.text, author, time: Date.now() }),
      );
    }
    this.rulesChanged();
    await this.persistRules([name]);
  }

  rules(): RuleInfo[] {
    return this.engine.rules();
  }

  history(name: string): RuleHistoryEntry[] {
    return structuredClone(this.histories.get(name)?.versions ?? []);
  }

  removedRules(): string[] {
    return [...this.histories.keys()].filter((name) => !this.engine.rule(name)).sort();
  }

  async revertRule(name: string, version: number, author = 'unknown'): Promise<RuleOpResult> {
    const entry = this.histories.get(name)?.versions.find((v) => v.version === version);
    if (!entry || !entry.text) throw new Error(`rule "${name}" has no version ${version} to restore`);
    const result = this.applyRules(entry.text, author, `${name}@${version}`, version);
    if (result.ok) await this.persistRules([name]);
    return result;
  }

  private rulesChanged(): void {
    this.rulesVersion++;
    this.tracker?.setRules(this.engine.rules());
    this.coalescer?.flushNow();
  }

  // ── IOC lists and tables ─────────────────────────────────────────────────

  iocLists(): IocListSummary[] {
    const rules = this.engine.rules();
    return this.engine.iocs.list().map((info) => ({
      ...info,
      usedBy: rules.filter((r) => usesList(r.text, info.name)).map((r) => r.name),
      storage: this.filterLists.has(info.name) ? ('filter' as const) : ('entries' as const),
    }));
  }

  iocEntries(name: string): string[] {
    return [...(this.iocEntrySets.get(name) ?? [])];
  }

  async setIocList(name: string, entries: string[]): Promise<void> {
    checkListName(name);
    if (this.filterLists.has(name)) {
      throw new Error(`IOC list "${name}" is large and kept as a filter: add or remove single entries, or upload a file with "replace"`);
    }
    const next = normalizeEntries(entries);
    if (!this.engine.iocs.exists(name)) {
      this.createIocList(name, next);
    } else {
      const old = this.iocEntrySets.get(name) ?? new Set<string>();
      const nextSet = new Set(next);
      const removed = [...old].filter((e) => !nextSet.has(e));
      const added = next.filter((e) => !old.has(e));
      if (removed.length) this.engine.iocs.remove(name, removed);
      if (added.length) this.engine.iocs.add(name, added);
      this.iocEntrySets.set(name, nextSet);
    }
    this.listsChanged();
    await this.persist({ iocs: { put: [listRecord(name, next)], delete: [] } });
  }

  async deleteIocList(name: string): Promise<void> {
    this.engine.iocs.delete(name);
    this.iocEntrySets.delete(name);
    this.filterLists.delete(name);
    this.listsChanged();
    await this.persist({ iocs: { put: [], delete: [name] } });
  }

  tables(): TableSummary[] {
    return this.engine.tables.names().map((name) => ({ name, count: this.engine.tables.size(name) }));
  }

  tableEntries(name: string): string[] {
    return this.engine.tables.entries(name);
  }

  async setTable(name: string, entries: string[]): Promise<void> {
    checkListName(name);
    const next = normalizeEntries(entries);
    this.engine.tables.delete(name);
    this.engine.tables.create(name, next);
    this.listsChanged();
    await this.persist({ tables: { put: [listRecord(name, next)], delete: [] } });
  }

  async deleteTable(name: string): Promise<void> {
    this.engine.tables.delete(name);
    this.listsChanged();
    await this.persist({ tables: { put: [], delete: [name] } });
  }

  /** Records of every IOC list: entries of the small ones, the persisted filter bytes of large ones. */
  private iocRecords(): ListRecord[] {
    return [...[...this.iocEntrySets].map(([n, e]) => listRecord(n, e)), ...this.filterLists.values()];
  }

  /**
   * The write of one IOC list after a change; a list that grew past LARGE_LIST_ENTRIES is kept as
   * its filter from then on (its entry strings are let go).
   */
  private iocListPlan(name: string): WritePlan {
    const entries = this.iocEntrySets.get(name);
    if (entries && entries.size <= LARGE_LIST_ENTRIES) return { iocs: { put: [listRecord(name, entries)], delete: [] } };
    this.iocEntrySets.delete(name);
    const record = filterRecord(name, this.engine.iocs.serialize(name), this.engine.iocs.get(name).count);
    this.filterLists.set(name, record);
    return { iocs: { put: [record], delete: [] } };
  }

  async uploadList(
    kind: 'ioc' | 'table',
    name: string,
    file: Blob,
    options: ListUploadOptions = {},
    onProgress?: (p: ListUploadProgress) => void,
  ): Promise<ListUploadResult> {
    checkListName(name);
    const started = this.now();
    const fileName = options.fileName ?? (file as Blob & { name?: string }).name ?? '';
    const parser = new ListChunkParser({ format: options.format, name: fileName, column: options.column, header: options.header });
    const progress: ListUploadProgress = { bytesRead: 0, totalBytes: file.size, entries: 0, done: false };
    const report = () => {
      try {
        const pending = onProgress?.({ ...progress }) as unknown;
        if (pending instanceof Promise) pending.catch(() => {});
      } catch {
        // The page went away.
      }
    };
    let added = 0;
    let error: string | undefined;
    // Deduplicates within the upload (and against a small list's entries). A large list's filter
    // cannot tell a duplicate from a false positive, so entries already in it may count twice.
    let seen: Set<string>;
    if (kind === 'ioc') {
      const exists = this.engine.iocs.exists(name);
      if (!exists || options.replace) {
        // Drop and create in one synchronous step: rules naming the list never see it missing.
        if (exists) this.engine.iocs.drop(name);
        this.engine.iocs.create(name, { capacity: Math.max(1024, Math.min(4_000_000, Math.ceil(file.size / 12))) });
        this.filterLists.delete(name);
        seen = new Set();
        this.iocEntrySets.set(name, seen);
      } else seen = this.iocEntrySets.get(name) ?? new Set();
    } else {
      if (options.replace || !this.engine.tables.names().includes(name)) {
        this.engine.tables.delete(name);
        this.engine.tables.create(name, []);
      }
      seen = new Set(this.engine.tables.entries(name));
    }
    const large = () => kind === 'ioc' && !this.iocEntrySets.has(name);
    this.listsChanged();
    report();
    let lastReport = this.now();
    try {
      for await (const batch of readListFile(file, parser, { batchSize: UPLOAD_BATCH_ENTRIES, onBytes: (n) => (progress.bytesRead = n) })) {
        progress.entries += batch.length;
        const fresh: string[] = [];
        for (const entry of batch) {
          if (seen.has(entry)) continue;
          // Past a few million, stop remembering (memory): later duplicates are simply held twice.
          if (seen.size < UPLOAD_DEDUPE_LIMIT) seen.add(entry);
          fresh.push(entry);
        }
        if (fresh.length) {
          if (kind === 'table') this.engine.tables.add(name, fresh);
          else this.engine.iocs.add(name, fresh);
          added += fresh.length;
        }
        // A small list that grew large lets go of its strings (only this upload's set remains).
        if (kind === 'ioc' && this.iocEntrySets.get(name) === seen && seen.size > LARGE_LIST_ENTRIES) this.iocEntrySets.delete(name);
        if (this.now() - lastReport >= 100) {
          lastReport = this.now();
          report();
        }
        // Let the live engine and the page's requests in between batches.
        await new Promise((ok) => setTimeout(ok, 0));
      }
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    progress.bytesRead = error ? progress.bytesRead : file.size;
    progress.done = true;
    const plan: WritePlan =
      kind === 'ioc' ? this.iocListPlan(name) : { tables: { put: [listRecord(name, this.engine.tables.entries(name))], delete: [] } };
    this.listsChanged();
    await this.persist(plan);
    report();
    const count = kind === 'ioc' ? this.engine.iocs.get(name).count : this.engine.tables.size(name);
    return {
      ...progress,
      kind,
      name,
      format: parser.stats.format,
      count,
      added,
      lines: parser.stats.lines,
      skipped: parser.stats.skipped,
      ...(parser.stats.header ? { header: parser.stats.header } : {}),
      storage: large() ? 'filter' : 'entries',
      ms: this.now() - started,
      ...(error ? { error } : {}),
    };
  }

  async editListEntries(
    kind: 'ioc' | 'table',
    name: string,
    change: { add?: string[]; remove?: string[] },
  ): Promise<{ count: number; added: number; removed: number }> {
    const add = normalizeEntries(change.add ?? []);
    const remove = normalizeEntries(change.remove ?? []);
    let added = 0;
    let removed = 0;
    if (kind === 'table') {
      if (!this.engine.tables.names().includes(name)) throw new Error(`no table "${name}"`);
      if (remove.length) removed = this.engine.tables.remove(name, remove);
      const mid = this.engine.tables.size(name);
      if (add.length) this.engine.tables.add(name, add);
      added = this.engine.tables.size(name) - mid;
      this.listsChanged();
      await this.persist({ tables: { put: [listRecord(name, this.engine.tables.entries(name))], delete: [] } });
      return { count: this.engine.tables.size(name), added, removed };
    }
    if (!this.engine.iocs.exists(name)) throw new Error(`no IOC list "${name}"`);
    const entries = this.iocEntrySets.get(name);
    if (entries) {
      const gone = remove.filter((e) => entries.has(e));
      const fresh = add.filter((e) => !entries.has(e));
      if (gone.length) removed = this.engine.iocs.remove(name, gone);
      for (const e of gone) entries.delete(e);
      if (fresh.length) this.engine.iocs.add(name, fresh);
      for (const e of fresh) entries.add(e);
      added = fresh.length;
    } else {
      // A filter-only list: remove only what was added (removing anything else may remove a
      // colliding entry's fingerprint); an entry added twice is held twice.
      if (remove.length) removed = this.engine.iocs.remove(name, remove);
      if (add.length) this.engine.iocs.add(name, add);
      added = add.length;
    }
    this.listsChanged();
    await this.persist(this.iocListPlan(name));
    return { count: this.engine.iocs.get(name).count, added, removed };
  }

  private createIocList(name: string, entries: readonly string[]): void {
    const clean = normalizeEntries(entries);
    this.engine.iocs.create(name, { capacity: Math.max(1024, clean.length * 2) });
    if (clean.length) this.engine.iocs.add(name, clean);
    this.iocEntrySets.set(name, new Set(clean));
  }

  private listsChanged(): void {
    this.listsVersion++;
    this.coalescer?.flushNow();
  }

  // ── events and updates ───────────────────────────────────────────────────

  push(events: unknown[]): { accepted: number; rejected: { index: number; reason: string }[] } {
    this.sources.add(events);
    this.flowStats.add(events);
    const result = this.pushTracked(events, 'page');
    this.coalescer.markDirty();
    return result;
  }

  metrics(): MetricsSnapshot {
    const engine = this.engine.metrics();
    // A rule deactivated by the engine changes the rule list: make the page refetch it.
    const signature = Object.entries(engine.rules).map(([n, r]) => `${n}:${r.state}`).join('|');
    if (signature !== this.ruleStateSignature) {
      if (this.ruleStateSignature) this.rulesVersion++;
      this.ruleStateSignature = signature;
      this.tracker?.setRules(this.engine.rules());
    }
    return {
      time: Date.now(),
      engine,
      eventTime: this.engine.eventTime(),
      alertsPerSecond: this.alertRate.perSecond(),
      topSources: this.sources.sources.top(10),
      topDestinations: this.sources.destinations.top(10),
      topUrls: this.sources.urls.top(10),
      simulator: this.sim.status(),
      rulesVersion: this.rulesVersion,
      listsVersion: this.listsVersion,
      ...(this.lastCheckpoint ? { checkpoint: { ...this.lastCheckpoint } } : {}),
      ...(this.flowStats.flows ? { flows: this.flowSummary() } : {}),
    };
  }

  private flowSummary() {
    const view = this.flowModels.currentView();
    const summary = this.flowStats.summary();
    return view ? { ...summary, model: { version: view.version, trainedAt: view.trainedAt, k: view.k, flagged: this.flowModels.flagged } } : summary;
  }

  subscribe(listener: (batch: UpdateBatch) => void): number {
    const token = this.nextToken++;
    this.listeners.set(token, listener);
    this.coalescer.flushNow();
    return token;
  }

  unsubscribe(token: number): void {
    this.listeners.delete(token);
  }

  private deliver(batch: UpdateBatch): void {
    for (const [token, listener] of this.listeners) {
      try {
        // Through comlink the call returns a promise; a page that went away rejects it.
        const pending = listener(batch) as unknown;
        if (pending instanceof Promise) pending.catch(() => this.listeners.delete(token));
      } catch {
        this.listeners.delete(token);
      }
    }
  }

  // ── simulator ────────────────────────────────────────────────────────────

  simulator(): SimulatorStatus {
    return this.sim.status();
  }

  async configureSimulator(settings: Partial<SimulatorSettings>): Promise<SimulatorStatus> {
    this.sim.configure(settings);
    await this.persistSettings();
    return this.sim.status();
  }

  async startSimulator(): Promise<SimulatorStatus> {
    this.sim.start();
    await this.persistSettings();
    return this.sim.status();
  }

  async stopSimulator(): Promise<SimulatorStatus> {
    this.sim.stop();
    await this.persistSettings();
    this.coalescer.flushNow();
    return this.sim.status();
  }

  injectAnomaly(n = 1): SimulatorStatus {
    this.sim.inject(n);
    return this.sim.status();
  }

  resetScore(): SimulatorStatus {
    this.sim.resetScore();
    return this.sim.status();
  }

  // ── network flows ────────────────────────────────────────────────────────

  flowHostProfile(address: string): FlowHostProfile {
    const profile = this.flowStats.hostProfile(address);
    for (const w of profile.windows) {
      // The model judges what a host sends (its features are per source).
      if (w.open || !w.out.flows) continue;
      const verdict = this.flowModels.classify([w.out.bytes, w.out.flows, w.out.packets, w.out.peers, w.out.ports]);
      if (verdict) Object.assign(w, verdict);
    }
    return profile;
  }

  flowHosts(prefix = '', limit = 50): string[] {
    return this.flowStats.hosts(prefix, limit);
  }

  async trainFlowModel(options: { maxRows?: number } = {}): Promise<FlowModelView> {
    // Rows of part of a minute look like quiet hosts: train on whole windows once there are enough.
    const full = this.flowStats.featureRows('full');
    const rows = full.length >= MIN_FULL_TRAINING_ROWS ? full : this.flowStats.featureRows('all');
    const view = this.flowModels.train(rows, { now: this.now(), windowMs: this.flowStats.windowMs, maxRows: options.maxRows });
    this.publishFlowModel();
    this.coalescer.markDirty();
    return view;
  }

  flowModel(): FlowModelView | undefined {
    return this.flowModels.currentView();
  }

  labelFlowCluster(cluster: number, label: 'normal' | 'anomalous'): FlowModelView {
    const view = this.flowModels.label(cluster, label);
    this.publishFlowModel();
    this.coalescer.markDirty();
    return view;
  }

  /** Rules score with the model the view shows: `utils.classify("flows", utils.flowFeatures(events))`. */
  private publishFlowModel(): void {
    const model = this.flowModels.current;
    if (model) this.engine.models.set(FLOW_MODEL_NAME, model);
  }

  flowModelJson(): string | undefined {
    const model = this.flowModels.current;
    return model ? JSON.stringify(model) : undefined;
  }

  // ── state-machine debugger ───────────────────────────────────────────────

  machineRules(): string[] {
    return this.engine.rules().filter((r) => r.kind === 'state-machine').map((r) => r.name);
  }

  machineSnapshot(rule: string): MachineSnapshot {
    this.tracker.setRules(this.engine.rules());
    const stats = this.engine.stateMachineStats(rule, { countStates: true });
    return this.tracker.snapshot(rule, { liveKeys: stats.liveKeys, byteSize: stats.byteSize, states: stats.states ?? {} });
  }

  machineTrail(rule: string, key: string): MachineTrail {
    this.tracker.setRules(this.engine.rules());
    const t = this.tracker.rule(rule);
    if (!t) throw new Error(`rule "${rule}" is not a STATE MACHINE rule`);
    return this.tracker.trail(rule, key, this.engine.stateOf(rule, t.keyOfText(key)));
  }

  watchKey(rule: string, key: string, on: boolean): void {
    this.tracker.setRules(this.engine.rules());
    this.tracker.rule(rule)?.watch(key, on);
  }

  async stepMachine(rule: string, options: { key?: string; maxEvents?: number } = {}): Promise<{ step?: TrailStep; key?: string; events: number }> {
    const t = this.tracker.rule(rule);
    if (!t) throw new Error(`rule "${rule}" is not a STATE MACHINE rule`);
    const maxEvents = options.maxEvents ?? (options.key === undefined ? 5000 : 50_000);
    if (this.sim.running) {
      this.sim.stop();
      await this.persistSettings();
    }
    if (options.key !== undefined) t.watch(options.key, true);
    const last = () => (options.key === undefined ? t.steps : (t.trails.get(options.key).at(-1)?.seq ?? 0));
    const before = last();
    let events = 0;
    const available = this.sim.status().available;
    while (available && events < maxEvents && last() === before) {
      this.sim.step(1);
      events++;
    }
    this.coalescer.flushNow();
    if (last() === before) return { events };
    // The most recently updated key holds the newest step.
    const key = options.key ?? t.trails.keys()[0];
    const step = key === undefined ? undefined : t.trails.get(key).at(-1);
    return step ? { step, key, events } : { events };
  }

  // ── engine checkpoints ───────────────────────────────────────────────────

  /** Takes the checkpoint, then (nothing awaited in between) writes the finished record. */
  checkpointNow(): Promise<CheckpointInfo | undefined> {
    this.checkpointing ??= this.saveCheckpoint().finally(() => (this.checkpointing = undefined));
    return this.checkpointing;
  }

  private async saveCheckpoint(): Promise<CheckpointInfo | undefined> {
    // Wait for the rule and list writes, so the signature describes what the store holds.
    await this.writes;
    const status = this.sim.status();
    const bytes = this.engine.checkpoint({ eventTime: status.eventTime, stream: this.sim.streamNumber });
    const record: CheckpointRecord = {
      format: STORE_FORMAT,
      time: Date.now(),
      bytes,
      signature: stateSignature({
        rules: ruleRecords(this.engine.rules()),
        iocs: this.iocRecords(),
        tables: this.engine.tables.names().map((n) => listRecord(n, this.engine.tables.entries(n))),
      }),
    };
    try {
      await this.store.writeCheckpoint(record);
    } catch (error) {
      this.coalescer?.addDiagnostic({ code: 'vigil.storage', message: `could not save the checkpoint: ${String(error)}` });
      return undefined;
    }
    this.lastCheckpoint = { time: record.time, bytes: bytes.byteLength };
    return { ...this.lastCheckpoint };
  }

  // ── replay ───────────────────────────────────────────────────────────────

  async replay(file: Blob, name: string, onProgress?: (p: ReplayProgress) => void): Promise<ReplayResult> {
    const started = this.now();
    const progress: ReplayProgress = { bytesRead: 0, totalBytes: file.size, events: 0, alerts: 0, badLines: 0, done: false };
    const envelopes: ReplayResult['envelopes'] = [];
    const byRule: Record<string, number> = {};
    const problems: string[] = [];
    const report = () => {
      try {
        const pending = onProgress?.({ ...progress }) as unknown;
        if (pending instanceof Promise) pending.catch(() => {});
      } catch {
        // The page went away.
      }
    };
    const { engine } = await this.deps.createEngine();
    try {
      // The same rules and lists as the live engine, none of its state.
      for (const [listName, entries] of this.iocEntrySets) {
        engine.iocs.create(listName, { capacity: Math.max(1024, entries.size * 2) });
        if (entries.size) engine.iocs.add(listName, [...entries]);
      }
      for (const listName of this.filterLists.keys()) engine.iocs.load(listName, this.engine.iocs.serialize(listName));
      for (const table of this.engine.tables.names()) engine.tables.create(table, this.engine.tables.entries(table));
      for (const rule of this.engine.rules()) {
        const applied = engine.putRules(rule.text, { file: rule.file, author: 'replay' });
        if (applied.ok && rule.state === 'disabled') engine.setRuleEnabled(rule.name, false);
      }
      let nextId = 1;
      engine.onAlert((alert) => {
        progress.alerts++;
        byRule[alert.rule] = (byRule[alert.rule] ?? 0) + 1;
        if (envelopes.length < MAX_REPLAY_ALERTS) envelopes.push({ id: nextId++, at: this.now(), alert });
      });
      let lastReport = 0;
      for await (const batch of readJsonLines(file, { onBytes: (n) => (progress.bytesRead = n) })) {
        const events: Record<string, unknown>[] = [];
        for (const line of batch) {
          if ('error' in line) {
            progress.badLines++;
            if (problems.length < 20) problems.push(`${line.line}: ${line.error}`);
          } else events.push(line.event);
        }
        if (events.length) engine.push(events, { source: name });
        progress.events += events.length;
        if (this.now() - lastReport > 100) {
          lastReport = this.now();
          report();
        }
        // Let the live engine and the page's requests in between batches.
        await new Promise((ok) => setTimeout(ok, 0));
      }
      engine.flush();
      progress.bytesRead = file.size;
      progress.done = true;
      report();
      return { ...progress, name, envelopes, byRule, ms: this.now() - started, problems };
    } catch (error) {
      progress.done = true;
      report();
      return { ...progress, name, envelopes, byRule, ms: this.now() - started, problems, error: error instanceof Error ? error.message : String(error) };
    } finally {
      engine.dispose();
    }
  }

  // ── benchmarks ───────────────────────────────────────────────────────────

  private benchModules: Promise<BenchModule[]> | undefined;

  private loadBenchmarks(): Promise<BenchModule[]> {
    this.benchModules ??= this.deps.benchmarks ? this.deps.benchmarks() : Promise.resolve([]);
    return this.benchModules;
  }

  async benchmarks(): Promise<{ available: BenchmarkInfo[]; unavailable?: string }> {
    if (!this.hotPaths) return { available: [], unavailable: 'this engine was built without access to its WebAssembly hot paths' };
    try {
      const modules = await this.loadBenchmarks();
      if (!modules.length) return { available: [], unavailable: 'this build has no benchmark modules (src/bench)' };
      return { available: modules.map((m) => m.info) };
    } catch (error) {
      return { available: [], unavailable: `the benchmark modules could not be loaded: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  async runBenchmark(name: string, onProgress?: (message: string) => void): Promise<BenchmarkResult> {
    const modules = await this.loadBenchmarks();
    const module = modules.find((m) => m.info.name === name);
    if (!module || !this.hotPaths) throw new Error(`no benchmark "${name}" in this build`);
    const started = performance.now();
    const result = module.run(this.hotPaths, {
      progress: (message) => {
        try {
          const pending = onProgress?.(message) as unknown;
          if (pending instanceof Promise) pending.catch(() => {});
        } catch {
          // ignore
        }
      },
    });
    return { name, ...result, ms: performance.now() - started };
  }

  /** Stops timers (tests). */
  dispose(): void {
    if (this.checkpointHandle !== undefined) {
      const timer = this.deps.timer;
      if (timer) timer.clearInterval(this.checkpointHandle);
      else clearInterval(this.checkpointHandle as ReturnType<typeof setInterval>);
    }
    this.sim?.stop();
    this.coalescer?.stop();
    this.engine?.dispose();
  }

  // ── persistence ──────────────────────────────────────────────────────────

  private settingsRecord() {
    return { format: STORE_FORMAT, simulator: this.sim.status().settings, simulatorRunning: this.sim.running };
  }

  private persistSettings(): Promise<void> {
    return this.persist({ settings: this.settingsRecord() });
  }

  /** Writes all rules (order may have changed) and the history of `touched`. */
  private persistRules(touched: string[], removed: string[] = []): Promise<void> {
    const history = touched.map((n) => this.histories.get(n)).filter((h): h is HistoryRecord => !!h);
    return this.persist({ ...this.rulesPlan(removed), history: { put: history } });
  }

  private rulesPlan(removed: string[]): Pick<WritePlan, 'rules'> {
    return { rules: { put: ruleRecords(this.engine.rules()), delete: removed } };
  }

  /** Writes are queued so they land in order; a failure is reported, not thrown at the caller. */
  private persist(plan: WritePlan): Promise<void> {
    return this.enqueue(() => this.store.write(plan));
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.writes = this.writes.then(work).catch((error: unknown) => {
      this.coalescer?.addDiagnostic({ code: 'vigil.storage', message: `could not save: ${String(error)}` });
    });
    return this.writes;
  }
}

/** Whether a rule's text names an IOC list in its IOC FILTERS (`in name(` / `not in name(`). */
function usesList(text: string, list: string): boolean {
  const escaped = list.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\bin\\s+${escaped}\\s*\\(`, 'i').test(text);
}

function checkListName(name: string): void {
  if (!/^[A-Za-z_][\w-]*$/.test(name)) {
    throw new Error(`"${name}" is not a valid list name: use letters, digits, _ and -, starting with a letter or _`);
  }
}
