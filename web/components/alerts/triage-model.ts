/**
 * The page's copy of the alerts for triage: what the worker kept (IndexedDB, with statuses) loaded
 * once, then the live alerts as the store receives them, capped at the retention count. Status
 * changes are applied here at once and sent to the worker (which saves them).
 */
import {
  DEFAULT_ALERT_RETENTION,
  type AlertEnvelope,
  type AlertRetention,
  type AlertStatus,
  type TriageAlert,
} from '../../../src/runtime/worker/protocol.js';
import { alertEventTime } from '../../lib/alert-triage.js';
import { store, type AppStore, type StoreTopic } from '../../state/store.js';

export function toTriage(envelope: AlertEnvelope): TriageAlert {
  const eventTime = alertEventTime(envelope.alert);
  return { ...envelope, status: 'new', ...(eventTime !== undefined ? { eventTime } : {}) };
}

export class TriageModel extends EventTarget {
  /** Oldest first. */
  rows: TriageAlert[] = [];
  version = 0;
  loaded = false;
  retention: AlertRetention = { ...DEFAULT_ALERT_RETENTION };
  private readonly byId = new Map<number, TriageAlert>();
  private lastId = 0;
  private loading: Promise<void> | undefined;

  constructor(private readonly app: AppStore) {
    super();
    app.addEventListener('change', (e) => {
      const topic = (e as CustomEvent<StoreTopic>).detail;
      if (topic === 'status' && app.status === 'ready') void this.load();
      if (topic === 'alerts' && this.loaded) this.takeLive();
    });
  }

  load(): Promise<void> {
    if (this.app.status !== 'ready') return Promise.resolve();
    this.loading ??= (async () => {
      const [kept, retention] = await Promise.all([this.app.api.triageAlerts(), this.app.api.alertRetention()]);
      this.retention = retention;
      for (const row of kept) this.put(row);
      this.loaded = true;
      this.takeLive();
      this.changed();
    })().catch((error: unknown) => {
      this.loading = undefined;
      this.app.toast('error', `The kept alerts could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
    });
    return this.loading;
  }

  /** Live alerts the store received since the last look (ids grow). */
  private takeLive(): void {
    const live = this.app.alerts;
    let i = live.length;
    while (i > 0 && live[i - 1]!.id > this.lastId) i--;
    if (i === live.length) return;
    for (let k = i; k < live.length; k++) this.put(toTriage(live[k]!));
    this.trim();
    this.changed();
  }

  private put(row: TriageAlert): void {
    if (this.byId.has(row.id)) return;
    this.byId.set(row.id, row);
    this.rows.push(row);
    if (row.id > this.lastId) this.lastId = row.id;
    else this.rows.sort((a, b) => a.id - b.id);
  }

  private trim(): void {
    const over = this.rows.length - this.retention.maxAlerts;
    if (over <= 0) return;
    for (const r of this.rows.splice(0, over)) this.byId.delete(r.id);
  }

  async setStatus(ids: readonly number[], status: AlertStatus): Promise<void> {
    const by = this.app.author;
    const at = Date.now();
    const wanted = new Set(ids);
    // New objects (views cache by identity), in one pass: a group may hold thousands.
    this.rows = this.rows.map((row) => {
      if (!wanted.has(row.id)) return row;
      const next: TriageAlert = { ...row, status };
      if (status === 'new') {
        delete next.statusBy;
        delete next.statusAt;
      } else {
        next.statusBy = by;
        next.statusAt = at;
      }
      this.byId.set(row.id, next);
      return next;
    });
    this.changed();
    await this.app.run(() => this.app.api.setAlertStatus([...ids], status, by));
  }

  async setRetention(retention: Partial<AlertRetention>): Promise<void> {
    const applied = await this.app.run(() => this.app.api.setAlertRetention(retention));
    if (!applied) return;
    this.retention = applied;
    // The worker applied the age bound too: take its rows again.
    const kept = await this.app.api.triageAlerts();
    this.rows = [];
    this.byId.clear();
    for (const row of kept) this.put(row);
    this.takeLive();
    this.trim();
    this.changed();
  }

  async clear(): Promise<void> {
    await this.app.run(() => this.app.api.clearTriageAlerts());
    this.rows = [];
    this.byId.clear();
    this.changed();
  }

  private changed(): void {
    this.version++;
    this.dispatchEvent(new Event('change'));
  }
}

export const triage = new TriageModel(store);
