/**
 * The page's state: what the engine worker sent last (alerts, metrics, rules, lists), kept for the
 * views. Views subscribe with StoreController; the store tells them what changed.
 */
import * as Comlink from 'comlink';
import type { RuleInfo, RuntimeDiagnostic } from '../../src/engine/engine.js';
import { startEngineWorker, type EngineWorker } from '../worker/start.js';
import type {
  AlertEnvelope,
  IocListSummary,
  MetricsSnapshot,
  RemoteApi,
  ReplayProgress,
  ReplayResult,
  TableSummary,
  UpdateBatch,
  VigilWorkerApi,
  WorkerDefaults,
  WorkerReady,
} from '../../src/runtime/worker/protocol.js';
import { RateSeries } from '../lib/series.js';

/** Alerts kept in the page (the newest). */
export const MAX_ALERTS = 5000;
const MAX_DIAGNOSTICS = 200;
const AUTHOR_KEY = 'vigil.author';

export type StoreTopic = 'status' | 'alerts' | 'metrics' | 'rules' | 'lists' | 'diagnostics' | 'toast' | 'replay';

/** The replay of a dropped file: progress while it runs, then its alerts (shown in the Alerts view). */
export interface ReplayState {
  name: string;
  size: number;
  running: boolean;
  progress: ReplayProgress;
  result?: ReplayResult;
}

export interface Toast {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

export class AppStore extends EventTarget {
  status: 'loading' | 'ready' | 'error' = 'loading';
  error = '';
  ready: WorkerReady | undefined;
  api!: RemoteApi<VigilWorkerApi>;
  /** Oldest first. */
  alerts: AlertEnvelope[] = [];
  alertsVersion = 0;
  omittedAlerts = 0;
  metrics: MetricsSnapshot | undefined;
  readonly series = new RateSeries(['events', 'alerts'], 5 * 60_000, 1000);
  rules: RuleInfo[] = [];
  iocLists: IocListSummary[] = [];
  tables: TableSummary[] = [];
  diagnostics: RuntimeDiagnostic[] = [];
  /**
   * Saving to IndexedDB failing (`vigil.storage` diagnostics), shown as one banner: the last cause,
   * how many failures since the last save that worked, since when. Cleared by a checkpoint saved
   * after the last failure (the worker retries with every checkpoint).
   */
  storageFailure: { message: string; failures: number; since: number; last: number } | undefined;
  toasts: Toast[] = [];
  replay: ReplayState | undefined;
  author: string;
  private worker: EngineWorker | undefined;
  private rulesVersion = -1;
  private listsVersion = -1;
  private nextToast = 1;
  private seriesStarted = false;

  constructor() {
    super();
    this.author = safeStorage()?.getItem(AUTHOR_KEY) || 'analyst';
  }

  async start(defaults: WorkerDefaults, options: { reset?: boolean; persist?: boolean; simulatorWarmupMs?: number } = {}): Promise<void> {
    try {
      this.worker = startEngineWorker();
      this.worker.worker.addEventListener('error', (e) => this.fail(`the engine worker failed: ${e.message || 'could not start'}`));
      this.api = this.worker.api;
      this.ready = await this.api.init({ defaults, ...options });
      await Promise.all([this.refreshRules(), this.refreshLists()]);
      await this.worker.subscribe((batch) => this.onBatch(batch));
      this.status = 'ready';
      this.emit('status');
      if (this.ready.restoreProblems.length) {
        const what = this.ready.restoredFrom === 'defaults' ? 'The default rules could not be applied' : 'Some saved rules could not be restored';
        this.toast('error', `${what}: ${this.ready.restoreProblems.join(' · ')}`, 20_000);
      }
    } catch (error) {
      this.fail(error instanceof Error ? error.message : String(error));
    }
  }

  setAuthor(author: string): void {
    this.author = author.trim() || 'analyst';
    safeStorage()?.setItem(AUTHOR_KEY, this.author);
    this.emit('status');
  }

  async refreshRules(): Promise<void> {
    this.rules = await this.api.rules();
    this.emit('rules');
  }

  async refreshLists(): Promise<void> {
    [this.iocLists, this.tables] = await Promise.all([this.api.iocLists(), this.api.tables()]);
    this.emit('lists');
  }

  clearAlerts(): void {
    this.alerts = [];
    this.omittedAlerts = 0;
    this.alertsVersion++;
    this.emit('alerts');
  }

  /** Runs the current rules over a JSON-lines file (or .gz) in a fresh engine in the worker. */
  async startReplay(file: File): Promise<ReplayResult | undefined> {
    if (this.replay?.running) return undefined;
    const progress: ReplayProgress = { bytesRead: 0, totalBytes: file.size, events: 0, alerts: 0, badLines: 0, done: false };
    this.replay = { name: file.name, size: file.size, running: true, progress };
    this.emit('replay');
    const onProgress = (p: ReplayProgress) => {
      if (!this.replay || !this.replay.running) return;
      this.replay = { ...this.replay, progress: p };
      this.emit('replay');
    };
    try {
      const result = await this.api.replay(file, file.name, Comlink.proxy(onProgress));
      this.replay = { name: file.name, size: file.size, running: false, progress: { ...result }, result };
      if (result.error) this.toast('error', `Replay of ${file.name} stopped: ${result.error}`);
      return result;
    } catch (error) {
      this.replay = { ...this.replay, running: false };
      this.toast('error', `Replay failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    } finally {
      this.emit('replay');
    }
  }

  /** Saves an engine checkpoint now (the page is going away). Best effort. */
  checkpointNow(): void {
    if (this.status !== 'ready') return;
    this.api.checkpointNow().catch(() => {});
  }

  toast(kind: Toast['kind'], text: string, ms = kind === 'error' ? 8000 : 3000): void {
    const toast = { id: this.nextToast++, kind, text };
    this.toasts = [...this.toasts, toast].slice(-4);
    this.emit('toast');
    setTimeout(() => this.dismiss(toast.id), ms);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
    this.emit('toast');
  }

  /** Runs an action against the worker; errors become toasts. */
  async run<T>(action: () => Promise<T>, success?: string): Promise<T | undefined> {
    try {
      const result = await action();
      if (success) this.toast('info', success);
      return result;
    } catch (error) {
      this.toast('error', error instanceof Error ? error.message : String(error));
      return undefined;
    }
  }

  private onBatch(batch: UpdateBatch): void {
    if (batch.alerts.length || batch.omittedAlerts) {
      this.alerts.push(...batch.alerts);
      if (this.alerts.length > MAX_ALERTS) this.alerts.splice(0, this.alerts.length - MAX_ALERTS);
      this.omittedAlerts += batch.omittedAlerts;
      this.alertsVersion++;
      this.emit('alerts');
    }
    if (batch.diagnostics.length) {
      this.diagnostics = [...this.diagnostics, ...batch.diagnostics].slice(-MAX_DIAGNOSTICS);
      for (const d of batch.diagnostics) {
        if (d.code !== 'vigil.storage') continue;
        const f = this.storageFailure;
        this.storageFailure = { message: d.message, failures: (f?.failures ?? 0) + 1, since: f?.since ?? batch.metrics.time, last: batch.metrics.time };
      }
      this.emit('diagnostics');
    }
    const m = batch.metrics;
    if (this.storageFailure && m.checkpoint && m.checkpoint.time > this.storageFailure.last) {
      this.storageFailure = undefined;
      this.emit('diagnostics');
    }
    this.metrics = m;
    // The simulator's warm-up (catching up from the past) is not traffic: rates start after it.
    if (this.seriesStarted || !m.simulator.behind) {
      this.seriesStarted = true;
      this.series.add({ time: m.time, events: m.engine.eventsIn, alerts: m.engine.alertsOut });
    }
    this.emit('metrics');
    if (m.rulesVersion !== this.rulesVersion) {
      this.rulesVersion = m.rulesVersion;
      void this.refreshRules();
      // A list's "used by" is read from the rules' text: it changes with them.
      if (m.listsVersion === this.listsVersion) void this.refreshLists();
    }
    if (m.listsVersion !== this.listsVersion) {
      this.listsVersion = m.listsVersion;
      void this.refreshLists();
    }
  }

  private fail(message: string): void {
    if (this.status === 'error') return;
    this.status = 'error';
    this.error = message;
    this.emit('status');
  }

  private emit(topic: StoreTopic): void {
    this.dispatchEvent(new CustomEvent('change', { detail: topic }));
  }
}

function safeStorage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}

export const store = new AppStore();
