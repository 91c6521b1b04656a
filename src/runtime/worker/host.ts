/**
 * The engine worker's state and API: one Engine, its persisted rules/history/lists, the update
 * coalescer and the simulator driver. Runtime-agnostic: engine.worker.ts builds it with browser
 * loaders and IndexedDB; tests build it with the Node engine and a MemoryStore.
 */
import type { Alert, Engine, RuleInfo, RuntimeDiagnostic } from '../../engine/engine.js';
import { RateMeter } from '../../engine/rate-meter.js';
import { UpdateCoalescer, type CoalescerTimer } from './coalescer.js';
import { MemoryStore, type StateStore, type StoredState } from './persistence.js';
import {
  HEARTBEAT_MS,
  MAX_ALERTS_PER_BATCH,
  MAX_DIAGNOSTICS_PER_BATCH,
  UPDATE_INTERVAL_MS,
  type AlertEnvelope,
  type IocListSummary,
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
} from './protocol.js';
import {
  appendHistory,
  listRecord,
  normalizeEntries,
  ruleRecords,
  STORE_FORMAT,
  type HistoryRecord,
  type WritePlan,
} from './records.js';
import { SimulatorDriver, type SimulatorLib, type SimulatorTimer } from './simulator.js';
import { SourceCounter } from './top-sources.js';

export interface WorkerHostDeps {
  createEngine(): Promise<{ engine: Engine; loadMs: number }>;
  openStore(persist: boolean): Promise<StateStore>;
  /** src/simulate, or undefined with the reason it is missing. */
  simulator(): Promise<SimulatorLib | { unavailable: string }>;
  timer?: CoalescerTimer & SimulatorTimer;
}

const SYSTEM_AUTHOR = 'vigil';

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
  private alertRate!: RateMeter;
  private sources!: SourceCounter;
  private rulesVersion = 1;
  private listsVersion = 1;
  private ruleStateSignature = '';
  private writes: Promise<void> = Promise.resolve();
  private loadMs = 0;
  private initialized: Promise<WorkerReady> | undefined;

  constructor(private readonly deps: WorkerHostDeps) {}

  init(init: WorkerInit): Promise<WorkerReady> {
    this.initialized ??= this.doInit(init);
    return this.initialized;
  }

  private async doInit(init: WorkerInit): Promise<WorkerReady> {
    this.defaults = init.defaults;
    const timer = this.deps.timer;
    const now = () => (timer ? timer.now() : Date.now());
    const [{ engine, loadMs }, store, simLib] = await Promise.all([
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
    this.alertRate = new RateMeter(now);
    this.sources = new SourceCounter(60, now);
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
        push: (events) => {
          this.sources.add(events);
          const result = this.engine.push(events);
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
    const ready = stored ? this.restore(stored) : await this.loadDefaults();
    this.coalescer.start();
    return ready;
  }

  // ── start-up ─────────────────────────────────────────────────────────────

  private restore(stored: StoredState): WorkerReady {
    const problems: string[] = [];
    for (const list of stored.iocs) this.createIocList(list.name, list.entries);
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
    for (const rule of this.engine.rules()) this.engine.removeRule(rule.name);
    for (const { name } of this.engine.iocs.list()) this.engine.iocs.delete(name);
    for (const name of this.engine.tables.names()) this.engine.tables.delete(name);
    this.histories.clear();
    this.iocEntrySets.clear();
    this.sim.resetScore();
    await this.enqueue(() => this.store.clear());
    const ready = await this.loadDefaults();
    this.rulesVersion++;
    this.listsVersion++;
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
    this.coalescer?.flushNow();
  }

  // ── IOC lists and tables ─────────────────────────────────────────────────

  iocLists(): IocListSummary[] {
    const rules = this.engine.rules();
    return this.engine.iocs.list().map((info) => ({
      ...info,
      usedBy: rules.filter((r) => usesList(r.text, info.name)).map((r) => r.name),
    }));
  }

  iocEntries(name: string): string[] {
    return [...(this.iocEntrySets.get(name) ?? [])];
  }

  async setIocList(name: string, entries: string[]): Promise<void> {
    checkListName(name);
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
    const result = this.engine.push(events);
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
    }
    return {
      time: Date.now(),
      engine,
      alertsPerSecond: this.alertRate.perSecond(),
      topSources: this.sources.top(10),
      simulator: this.sim.status(),
      rulesVersion: this.rulesVersion,
      listsVersion: this.listsVersion,
    };
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

  /** Stops timers (tests). */
  dispose(): void {
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
