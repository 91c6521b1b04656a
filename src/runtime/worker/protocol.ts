/**
 * The protocol between a page and the engine worker: one interface both sides import.
 *
 * The worker exposes a `VigilWorkerApi` with comlink; the page holds a `Remote<VigilWorkerApi>`,
 * where every method returns a promise. Everything that crosses is plain data (structured clone),
 * except the `subscribe` listener, which the page wraps in `comlink.proxy`.
 *
 * Updates flow one way, in batches: the worker coalesces alerts, runtime diagnostics and a metrics
 * snapshot into at most one `UpdateBatch` per `UPDATE_INTERVAL_MS`, so a busy engine never floods
 * the page. The engine itself never waits for the page and never drops work; only the copies of
 * alerts sent to the page are capped per batch (`omittedAlerts` counts the rest).
 */
import type { Alert, ApplyResult, EngineMetrics, RuleInfo, RuntimeDiagnostic } from '../../engine/engine.js';

/** At most one update batch per this many milliseconds. */
export const UPDATE_INTERVAL_MS = 250;
/** When nothing happens, a batch (metrics only) still goes out this often, so charts move on. */
export const HEARTBEAT_MS = 1000;
/** Alerts copied to the page per batch; the rest are counted in `omittedAlerts`. */
export const MAX_ALERTS_PER_BATCH = 1000;
/** Runtime diagnostics copied to the page per batch. */
export const MAX_DIAGNOSTICS_PER_BATCH = 50;

/** Generators the simulator offers (src/simulate). */
export type SimulatorGeneratorName = 'network' | 'bruteforce' | 'portscan' | 'wave' | 'noise';

/** An alert as the page sees it: numbered in arrival order, stamped with processing time. */
export interface AlertEnvelope {
  /** 1, 2, 3… per worker; stable identity for selection. */
  id: number;
  /** Processing time (epoch ms) when the engine raised it. */
  at: number;
  alert: Alert;
}

/** One version of a rule in the persisted history (kept across reloads, unlike the engine's own). */
export interface RuleHistoryEntry {
  version: number;
  action: 'create' | 'replace' | 'remove' | 'revert' | 'enable' | 'disable';
  /** The rule's text after the change ('' for remove). */
  text: string;
  author: string;
  time: number;
  /** For revert: the version restored. */
  from?: number;
}

export interface IocListSummary {
  name: string;
  /** Entries as the filter counts them. */
  count: number;
  byteSize: number;
  /** Rules whose IOC FILTERS name this list. */
  usedBy: string[];
}

export interface TableSummary {
  name: string;
  count: number;
}

export interface SimulatorMixPart {
  generator: SimulatorGeneratorName;
  weight: number;
}

export interface SimulatorSettings {
  mix: SimulatorMixPart[];
  /** Events per second (wall clock). */
  rate: number;
  /** Probability that the generator emits a malformed event. */
  errorProbability: number;
  seed: number;
}

export interface SimulatorStatus {
  /** false until src/simulate could be loaded; `error` then says why. */
  available: boolean;
  running: boolean;
  settings: SimulatorSettings;
  /** Events generated and pushed since the last (re)start. */
  generated: number;
  /** Anomalies among them (ground truth). */
  anomalies: number;
  /** Anomalies asked for with `inject` and not yet generated. */
  injected: number;
  /** Event time of the generator (epoch ms). */
  eventTime: number;
  /** Events the engine rejected (malformed). */
  rejected: number;
  /** true when the engine cannot keep up with the rate (the generator is throttled, not dropped). */
  behind: boolean;
  /** Detection quality against the generator's ground truth, when anything was scored. */
  score?: { precision: number; recall: number; truePositives: number; falsePositives: number; falseNegatives: number };
  error?: string;
}

/** A value and how often it was seen as source address over the last minute of events. */
export interface SourceCount {
  address: string;
  count: number;
}

export interface MetricsSnapshot {
  /** Processing time of the snapshot (epoch ms). */
  time: number;
  engine: EngineMetrics;
  /** Alerts raised per second, over the last few seconds. */
  alertsPerSecond: number;
  /** Top source addresses of the events over the last minute. */
  topSources: SourceCount[];
  simulator: SimulatorStatus;
  /** Bumped whenever the set of rules, their texts or states change: refetch `rules()`. */
  rulesVersion: number;
  /** Bumped whenever IOC lists or tables change. */
  listsVersion: number;
}

export interface UpdateBatch {
  /** 1, 2, 3… */
  seq: number;
  alerts: AlertEnvelope[];
  /** Alerts raised in the batch interval but not copied (over MAX_ALERTS_PER_BATCH). */
  omittedAlerts: number;
  diagnostics: RuntimeDiagnostic[];
  omittedDiagnostics: number;
  metrics: MetricsSnapshot;
}

/** What the page hands the worker at start: used only when nothing was persisted yet. */
export interface WorkerDefaults {
  rules: string;
  iocLists: Record<string, string[]>;
  tables: Record<string, string[]>;
  simulator: SimulatorSettings;
  /** Start the simulator at load. */
  simulatorRunning: boolean;
}

export interface WorkerInit {
  defaults: WorkerDefaults;
  /** Persist to IndexedDB (default true). Tests and embeds may turn it off. */
  persist?: boolean;
  /** Ignore what was persisted and start from the defaults (persisted data is replaced). */
  reset?: boolean;
  /**
   * The simulator's first stream starts this far in the past and catches up at once, so the first
   * windows close (and alerts show) right after loading. Default 0.
   */
  simulatorWarmupMs?: number;
}

export interface WorkerReady {
  /** Where the state came from. */
  restoredFrom: 'defaults' | 'storage';
  /** Rules that could not be restored, with their diagnostics. */
  restoreProblems: string[];
  /** How long loading QuickJS + Vigil's WebAssembly took (ms). */
  loadMs: number;
}

/** Result of a rule operation: the engine's result, with messages for non-diagnostic failures. */
export type RuleOpResult = ApplyResult & { error?: string };

/** The engine worker's API. Methods may be sync in the worker; through comlink all are async. */
export interface VigilWorkerApi {
  /** Loads the engine and the persisted (or default) state. Call once, before anything else. */
  init(init: WorkerInit): Promise<WorkerReady>;

  // rules
  putRules(text: string, options?: { author?: string; file?: string }): Promise<RuleOpResult>;
  removeRule(name: string, author?: string): Promise<boolean>;
  setRuleEnabled(name: string, enabled: boolean, author?: string): Promise<void>;
  rules(): RuleInfo[];
  history(name: string): RuleHistoryEntry[];
  revertRule(name: string, version: number, author?: string): Promise<RuleOpResult>;
  /** Rules removed but with a history (for restore). */
  removedRules(): string[];

  // IOC lists and tables
  iocLists(): IocListSummary[];
  iocEntries(name: string): string[];
  /** Creates the list, or replaces its entries. */
  setIocList(name: string, entries: string[]): Promise<void>;
  deleteIocList(name: string): Promise<void>;
  tables(): TableSummary[];
  tableEntries(name: string): string[];
  setTable(name: string, entries: string[]): Promise<void>;
  deleteTable(name: string): Promise<void>;

  // events
  push(events: unknown[]): { accepted: number; rejected: { index: number; reason: string }[] };
  metrics(): MetricsSnapshot;
  /** Receives update batches until unsubscribed. Pass `comlink.proxy(listener)`. Returns a token. */
  subscribe(listener: (batch: UpdateBatch) => void): number;
  unsubscribe(token: number): void;

  // simulator
  simulator(): SimulatorStatus;
  configureSimulator(settings: Partial<SimulatorSettings>): Promise<SimulatorStatus>;
  startSimulator(): Promise<SimulatorStatus>;
  stopSimulator(): Promise<SimulatorStatus>;
  /** Asks the generators for `n` anomalies soon. */
  injectAnomaly(n?: number): SimulatorStatus;
  /** Clears the scoring counters (precision/recall start again). */
  resetScore(): SimulatorStatus;

  /** Forgets persisted state and reloads the defaults. */
  resetToDefaults(): Promise<WorkerReady>;
}
