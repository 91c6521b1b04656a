/**
 * The alerts the worker keeps for triage: every alert the live engine raises (not only those copied
 * to the page), with its event time and status (new / acknowledged / closed, who and when), in
 * memory and in IndexedDB (its own database, `vigil-alerts`, so a reload keeps them), bounded by a
 * retention setting (count and days; DEFAULT_ALERT_RETENTION). Writes are batched, at most one
 * transaction per FLUSH_MS; a failed write is reported (once per failure streak) and retried with
 * the next batch, never silently dropped while the alerts are still within retention.
 */
import { openDB, type IDBPDatabase } from 'idb';
import {
  DEFAULT_ALERT_RETENTION,
  type AlertEnvelope,
  type AlertRetention,
  type AlertStatus,
  type TriageAlert,
} from '../../src/runtime/worker/protocol.js';
import { clampRetention, retentionCut } from '../lib/alert-retention.js';
import { alertEventTime } from '../lib/alert-triage.js';

/** Writes to IndexedDB go out at most this often. */
export const ALERT_FLUSH_MS = 1000;

const STATUSES: readonly AlertStatus[] = ['new', 'acknowledged', 'closed'];

/** Where kept alerts live between reloads. */
export interface AlertBackend {
  load(): Promise<{ alerts: unknown[]; retention?: unknown }>;
  put(alerts: readonly TriageAlert[]): Promise<void>;
  /** Deletes every alert with an id ≤ `id` (ids grow with time: the oldest). */
  deleteThrough(id: number): Promise<void>;
  saveRetention(retention: AlertRetention): Promise<void>;
  clear(): Promise<void>;
}

export class MemoryAlertBackend implements AlertBackend {
  readonly alerts = new Map<number, TriageAlert>();
  retention: AlertRetention | undefined;

  async load() {
    return { alerts: [...this.alerts.values()].map((a) => structuredClone(a)), retention: this.retention };
  }
  async put(alerts: readonly TriageAlert[]) {
    for (const a of alerts) this.alerts.set(a.id, structuredClone(a));
  }
  async deleteThrough(id: number) {
    for (const key of this.alerts.keys()) if (key <= id) this.alerts.delete(key);
  }
  async saveRetention(retention: AlertRetention) {
    this.retention = { ...retention };
  }
  async clear() {
    this.alerts.clear();
  }
}

const DB_NAME = 'vigil-alerts';

export class IdbAlertBackend implements AlertBackend {
  private constructor(private readonly db: IDBPDatabase) {}

  static async open(): Promise<IdbAlertBackend> {
    const db = await openDB(DB_NAME, 1, {
      upgrade(db) {
        db.createObjectStore('alerts', { keyPath: 'id' });
        db.createObjectStore('settings');
      },
    });
    return new IdbAlertBackend(db);
  }

  async load() {
    const tx = this.db.transaction(['alerts', 'settings'], 'readonly');
    const [alerts, retention] = await Promise.all([tx.objectStore('alerts').getAll(), tx.objectStore('settings').get('retention'), tx.done]);
    return { alerts, retention };
  }
  async put(alerts: readonly TriageAlert[]) {
    const tx = this.db.transaction('alerts', 'readwrite');
    // Every request's promise is awaited: when the transaction aborts (quota, eviction) each of them
    // rejects, and one left alone is an uncaught error in the worker.
    await Promise.all([...alerts.map((a) => tx.store.put(a)), tx.done]);
  }
  async deleteThrough(id: number) {
    await this.db.delete('alerts', IDBKeyRange.upperBound(id));
  }
  async saveRetention(retention: AlertRetention) {
    await this.db.put('settings', retention, 'retention');
  }
  async clear() {
    await this.db.clear('alerts');
  }
}

/** A stored record, checked: IndexedDB may hold what an older version (or anyone) wrote. */
export function readTriageRecord(value: unknown): TriageAlert | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const r = value as Record<string, unknown>;
  const alert = r.alert as Record<string, unknown> | undefined;
  if (typeof r.id !== 'number' || !Number.isSafeInteger(r.id) || r.id < 1) return undefined;
  if (typeof r.at !== 'number' || !alert || typeof alert !== 'object' || typeof alert.rule !== 'string') return undefined;
  const status = STATUSES.includes(r.status as AlertStatus) ? (r.status as AlertStatus) : 'new';
  return {
    id: r.id,
    at: r.at,
    alert: alert as TriageAlert['alert'],
    status,
    ...(typeof r.eventTime === 'number' ? { eventTime: r.eventTime } : {}),
    ...(status !== 'new' && typeof r.statusBy === 'string' ? { statusBy: r.statusBy } : {}),
    ...(status !== 'new' && typeof r.statusAt === 'number' ? { statusAt: r.statusAt } : {}),
  };
}

export interface AlertStoreTimer {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export class AlertStore {
  /** Oldest first; ids grow. */
  private rows: TriageAlert[] = [];
  private readonly byId = new Map<number, TriageAlert>();
  private readonly pending = new Map<number, TriageAlert>();
  private retention: AlertRetention = { ...DEFAULT_ALERT_RETENTION };
  private lastId = 0;
  private flushHandle: unknown;
  private writing: Promise<void> = Promise.resolve();
  private failing = false;

  constructor(
    private backend: AlertBackend,
    private readonly now: () => number,
    /** `recovered`: the message says saving works again (not a failure: the page's storage banner must not count it). */
    private readonly report: (message: string, recovered?: boolean) => void,
    private readonly timer: AlertStoreTimer = { setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms), clearTimeout: (h) => globalThis.clearTimeout(h as number) },
  ) {}

  /** Loads what was kept (checked, retention applied); returns the last id, for the feed to go on from. */
  async open(): Promise<number> {
    let loaded: Awaited<ReturnType<AlertBackend['load']>>;
    try {
      loaded = await this.backend.load();
    } catch (error) {
      this.report(`the kept alerts could not be read (${error instanceof Error ? error.message : String(error)}); alerts are kept in memory only`);
      this.backend = new MemoryAlertBackend();
      loaded = { alerts: [] };
    }
    if (loaded.retention && typeof loaded.retention === 'object') this.retention = clampRetention(loaded.retention as Partial<AlertRetention>);
    const rows = loaded.alerts.map(readTriageRecord).filter((r): r is TriageAlert => !!r).sort((a, b) => a.id - b.id);
    for (const r of rows) this.byId.set(r.id, r);
    this.rows = rows;
    this.lastId = rows.at(-1)?.id ?? 0;
    this.applyRetention();
    return this.lastId;
  }

  /** An alert the feed numbered: kept, and written with the next batch. */
  add(envelope: AlertEnvelope): void {
    const eventTime = alertEventTime(envelope.alert);
    const row: TriageAlert = { ...envelope, status: 'new', ...(eventTime !== undefined ? { eventTime } : {}) };
    this.rows.push(row);
    this.byId.set(row.id, row);
    if (row.id > this.lastId) this.lastId = row.id;
    this.pending.set(row.id, row);
    // Bounded in memory between flushes too: a burst beyond the count would be cut at the flush anyway.
    if (this.rows.length > this.retention.maxAlerts * 1.25) this.applyRetention();
    this.schedule();
  }

  all(): TriageAlert[] {
    return this.rows;
  }

  get(id: number): TriageAlert | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.rows.length;
  }

  setStatus(ids: readonly number[], status: AlertStatus, by: string): number {
    if (!STATUSES.includes(status)) throw new Error(`unknown alert status "${String(status)}" (new, acknowledged or closed)`);
    const who = String(by ?? '').trim().slice(0, 100) || 'analyst';
    const at = this.now();
    let changed = 0;
    for (const id of ids) {
      const row = this.byId.get(id);
      if (!row || row.status === status) continue;
      row.status = status;
      if (status === 'new') {
        delete row.statusBy;
        delete row.statusAt;
      } else {
        row.statusBy = who;
        row.statusAt = at;
      }
      this.pending.set(id, row);
      changed++;
    }
    if (changed) this.schedule();
    return changed;
  }

  getRetention(): AlertRetention {
    return { ...this.retention };
  }

  async setRetention(input: Partial<AlertRetention>): Promise<AlertRetention> {
    this.retention = clampRetention(input, this.retention);
    this.applyRetention();
    await this.backend.saveRetention(this.retention).catch((error: unknown) => this.fail(error));
    await this.flush();
    return this.getRetention();
  }

  async clear(): Promise<void> {
    this.rows = [];
    this.byId.clear();
    this.pending.clear();
    await this.writing;
    await this.backend.clear().catch((error: unknown) => this.fail(error));
  }

  /** Writes what is pending now (tests, and before the page goes away). */
  flush(): Promise<void> {
    if (this.flushHandle !== undefined) this.timer.clearTimeout(this.flushHandle);
    this.flushHandle = undefined;
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  dispose(): void {
    if (this.flushHandle !== undefined) this.timer.clearTimeout(this.flushHandle);
    this.flushHandle = undefined;
  }

  private schedule(): void {
    if (this.flushHandle !== undefined) return;
    this.flushHandle = this.timer.setTimeout(() => {
      this.flushHandle = undefined;
      void this.flush();
    }, ALERT_FLUSH_MS);
  }

  /** Drops the oldest rows beyond the retention, in memory and (with the next write) in the store. */
  private cutThrough = 0;

  private applyRetention(): void {
    const cut = retentionCut(
      this.rows.map((r) => r.at),
      this.retention,
      this.now(),
    );
    if (!cut) return;
    const dropped = this.rows.splice(0, cut);
    for (const r of dropped) {
      this.byId.delete(r.id);
      this.pending.delete(r.id);
    }
    this.cutThrough = Math.max(this.cutThrough, dropped.at(-1)!.id);
  }

  private async write(): Promise<void> {
    this.applyRetention();
    const batch = [...this.pending.values()];
    this.pending.clear();
    const cutThrough = this.cutThrough;
    try {
      if (batch.length) await this.backend.put(batch);
      if (cutThrough) {
        await this.backend.deleteThrough(cutThrough);
        if (this.cutThrough === cutThrough) this.cutThrough = 0;
      }
      if (this.failing) this.report('the kept alerts are being saved again', true);
      this.failing = false;
    } catch (error) {
      // Back in the queue (unless retention dropped them meanwhile): the next write retries.
      for (const row of batch) if (this.byId.get(row.id) === row && !this.pending.has(row.id)) this.pending.set(row.id, row);
      this.fail(error);
      this.schedule();
    }
  }

  private fail(error: unknown): void {
    if (!this.failing) this.report(`could not save the kept alerts: ${error instanceof Error ? error.message : String(error)} (retrying every ${ALERT_FLUSH_MS / 1000} s)`);
    this.failing = true;
  }
}
