/**
 * One engine behind the HTTP API: the engine, a bounded ring of its alerts (read with a cursor),
 * and, when given a store, a checkpoint after every change, so a restarted instance (a Durable
 * Object evicted or crashed, a Deno process restarted) resumes with nothing lost and nothing twice.
 * The alert ring travels inside the checkpoint (the engine's `extra`), so cursors survive restarts.
 */
import { AlertRingBudget, noteAlertSize } from './alert-ring.js';
import type { Alert } from '../engine/engine.js';
import type { EngineSurface } from '../runtime/guard/engine-surface.js';
import { parseRules } from '../lang/parse.js';
import { loadSigma } from '../sigma/index.js';
import type { RuleLanguage } from '../engine/rule-plan.js';
import { mergeWrites, type ChunkedCheckpointStore, type LogState, type SegmentedLog } from './checkpoint-store.js';
import { decodeEngineState } from '../engine/engine-state.js';
import { totalMetrics, type VigilMetrics } from './metrics.js';
import { BASE_CLASS_ID } from './routing.js';
import { copyRefs, emptyRefs, loadIocList, readBlob, replaceIocList, replaceTable, tableBytes, tableEntries, type SharedRefs } from './shared-data.js';
import { DEFAULT_LEDGER_KEYS, IngestLedger, type IngestKey, type LedgerEntry } from './ingest-ledger.js';
import {
  HttpError,
  type AlertPage,
  type IngestResult,
  type PutRuleResult,
  type RuleSummary,
  type VigilService,
} from './service.js';

export interface InstanceOptions {
  /** Alerts kept for `GET /alerts`; older ones are dropped (and counted). Default 10 000. */
  alertCapacity?: number;
  /** Bytes of alert JSON kept for `GET /alerts` (the oldest go first). Default 64 MiB. */
  alertRingBytes?: number;
  /** Where checkpoints go; without one the instance keeps its state in memory only. */
  store?: ChunkedCheckpointStore;
  /** Idempotency keys remembered (src/edge/ingest-ledger.ts). Default 10 000. */
  ledgerKeys?: number;
}

/**
 * A state of the engine a failed push can go back to: a checkpoint, and the batches pushed since
 * (with the alerts they gave, as JSON) to push again after restoring it.
 */
interface RollBackPoint {
  bytes: Uint8Array;
  batches: Record<string, unknown>[][];
  events: number;
  alerts: string[];
}

/** Events logged before a new roll-back point is considered, and the checkpoint bytes an event of the log stands for. */
const MIN_LOGGED_EVENTS = 10_000;
const BYTES_PER_LOGGED_EVENT = 64;

interface RingState {
  nextSeq: number;
  items: [number, Alert][];
}

/** What the instance keeps in the engine checkpoint's `extra`. */
interface InstanceExtra {
  /** IOC lists and tables, stored once outside the checkpoint (src/edge/shared-data.ts). */
  shared?: SharedRefs;
  /** The ring and the ledger, stored beside the checkpoint as logs (SegmentedLog): only what changed is written. */
  logs?: { alerts: LogState; ledger: LogState };
  /** Checkpoints from before the logs held the ring and the ledger inside. */
  alerts?: RingState;
  ledger?: [string, LedgerEntry<IngestResult>][];
}

export class EngineInstance implements VigilService {
  private readonly capacity: number;
  private readonly ringBudget: AlertRingBudget;
  private ring: [number, Alert][] = [];
  private nextSeq = 1;
  /** Alerts of a push still under way: they reach the ring only if the push completes. */
  private staged: Alert[] | undefined;
  /** What a failed push rolls back to (see RollBackPoint); undefined when the engine changed otherwise. */
  private rollBackPoint: RollBackPoint | undefined;
  /** Keys applied, with their answers: saved in the checkpoint with the state they changed. */
  private readonly ledger: IngestLedger<IngestResult>;
  /** Keyed batches being applied now: a concurrent retry waits for the first attempt's answer. */
  private readonly pending = new Map<string, Promise<IngestResult>>();
  /** Where each shared list and table is stored (with a store; without one they live in the engine only). */
  private shared: SharedRefs = emptyRefs();
  /** The last change to a list or table asked for (see `serially`). */
  private sharedChanges: Promise<unknown> = Promise.resolve();
  /** Where the ring and the ledger are stored, beside the checkpoint (with a store). */
  private readonly logs: { alerts: SegmentedLog; ledger: SegmentedLog } | undefined;

  private constructor(
    readonly engine: EngineSurface,
    private readonly options: InstanceOptions,
  ) {
    this.capacity = Math.max(1, options.alertCapacity ?? 10_000);
    this.ringBudget = new AlertRingBudget(this.capacity, options.alertRingBytes);
    this.ledger = new IngestLedger(options.ledgerKeys ?? DEFAULT_LEDGER_KEYS);
    this.logs = options.store && { alerts: options.store.log('alerts'), ledger: options.store.log('ledger') };
    engine.onAlert((alert) => {
      // A plain copy: the engine's alerts carry a non-enumerable `fields` view.
      const text = JSON.stringify(alert);
      const copy = JSON.parse(text) as Alert;
      noteAlertSize(copy, text.length);
      if (this.staged) this.staged.push(copy);
      else this.addToRing([copy]);
    });
  }

  private addToRing(alerts: Alert[]): void {
    for (const alert of alerts) this.ring.push([this.nextSeq++, alert]);
    this.ringBudget.trim(this.ring);
  }

  /** Wraps an engine, restoring the last checkpoint from the store when there is one. */
  static async open(engine: EngineSurface, options: InstanceOptions = {}): Promise<EngineInstance> {
    const instance = new EngineInstance(engine, options);
    const bytes = await options.store?.read();
    if (bytes) {
      // Shared lists and tables first: the rules restored next are compiled against them.
      const refs = (decodeEngineState(bytes).state.extra as InstanceExtra | undefined)?.shared;
      if (refs) await instance.loadShared(refs);
      const extra = engine.restore(bytes).extra as InstanceExtra | undefined;
      const ring = extra?.alerts;
      if (ring) {
        instance.nextSeq = ring.nextSeq;
        instance.ring = ring.items.slice(-instance.capacity);
        instance.ringBudget.trim(instance.ring);
      }
      instance.ledger.restore(extra?.ledger);
      if (extra?.logs && instance.logs) {
        const store = options.store!.bytes;
        instance.ring = (await instance.logs.alerts.read<Alert>(store, extra.logs.alerts)).slice(-instance.capacity);
        instance.ringBudget.trim(instance.ring);
        instance.nextSeq = extra.logs.alerts.next;
        instance.ledger.restoreItems(await instance.logs.ledger.read(store, extra.logs.ledger), extra.logs.ledger.next);
      }
    }
    return instance;
  }

  /**
   * Pushes a batch. An event whose processing throws (whatever the reason) is rejected with its
   * index and the error, and every other event of the batch is processed once: the engine goes
   * back to its state before the failed push, and the batch is pushed again in halves until the
   * failing events are alone. (Change the engine through this instance only: a rule changed on
   * the engine directly would be rolled back with it.)
   */
  async ingest(events: Record<string, unknown>[], key?: IngestKey): Promise<IngestResult> {
    if (!key) return this.ingestNow(events);
    const running = this.pending.get(key.key);
    if (running) {
      await running.catch(() => undefined);
      return this.ingest(events, key);
    }
    const answered = this.ledger.answerFor(key);
    if (answered) return { ...answered, replayed: true };
    const run = this.ingestNow(events, key);
    this.pending.set(key.key, run);
    try {
      return await run;
    } finally {
      this.pending.delete(key.key);
    }
  }

  /** Applies the batch, records its key (if any) with the answer, and checkpoints both in one write. */
  private async ingestNow(events: Record<string, unknown>[], key?: IngestKey): Promise<IngestResult> {
    const result: IngestResult = { accepted: 0, rejected: [] };
    this.pushIsolated(
      events,
      events.map((_, i) => i),
      result,
    );
    result.rejected.sort((a, b) => a.index - b.index);
    if (key) this.ledger.record(key, result);
    await this.persist(true);
    return result;
  }

  private pushIsolated(events: Record<string, unknown>[], indices: number[], result: IngestResult): void {
    const point = this.rollBackPointNow();
    this.staged = [];
    let pushed;
    let failure: unknown;
    try {
      pushed = this.engine.push(events);
    } catch (error) {
      failure = error;
    }
    const alerts = this.staged;
    this.staged = undefined;
    if (pushed) {
      this.addToRing(alerts);
      point.batches.push(events);
      point.events += events.length;
      for (const alert of alerts) point.alerts.push(JSON.stringify(alert));
      result.accepted += pushed.accepted;
      for (const r of pushed.rejected) result.rejected.push({ index: indices[r.index]!, reason: r.reason });
      return;
    }
    this.rollBack(point);
    if (events.length === 1) {
      result.rejected.push({ index: indices[0]!, reason: `processing failed: ${describeError(failure)}` });
      return;
    }
    const half = events.length >> 1;
    this.pushIsolated(events.slice(0, half), indices.slice(0, half), result);
    this.pushIsolated(events.slice(half), indices.slice(half), result);
  }

  /**
   * The current roll-back point, or a new one (a checkpoint now) when there is none or its log has
   * grown past the state itself: an engine checkpoint costs in proportion to the open windows, so
   * it is taken once for many batches, not before each.
   */
  private rollBackPointNow(): RollBackPoint {
    const point = this.rollBackPoint;
    if (point && (point.events < MIN_LOGGED_EVENTS || point.events * BYTES_PER_LOGGED_EVENT < point.bytes.length)) return point;
    return (this.rollBackPoint = { bytes: this.engine.checkpoint(), batches: [], events: 0, alerts: [] });
  }

  /**
   * Back to the point's checkpoint, then its batches pushed again. Their alerts were delivered
   * already and are not again; one that was not (a processing-time window the later clock closes)
   * is delivered now.
   */
  private rollBack(point: RollBackPoint): void {
    this.engine.restore(point.bytes);
    if (point.batches.length) {
      const delivered = new Map<string, number>();
      for (const text of point.alerts) delivered.set(text, (delivered.get(text) ?? 0) + 1);
      this.staged = [];
      try {
        for (const batch of point.batches) this.engine.push(batch);
      } finally {
        const replayed = this.staged;
        this.staged = undefined;
        this.addToRing(
          replayed.filter((alert) => {
            const text = JSON.stringify(alert);
            const left = delivered.get(text) ?? 0;
            if (left > 0) delivered.set(text, left - 1);
            return left === 0;
          }),
        );
      }
    }
    // The state now is the one before the failed push: a fresh point for what comes next.
    this.rollBackPoint = { bytes: point.batches.length ? this.engine.checkpoint() : point.bytes, batches: [], events: 0, alerts: [] };
  }

  async alerts(since: string | undefined, limit: number): Promise<AlertPage> {
    let after = 0;
    if (since !== undefined && since !== '') {
      if (!/^\d+$/.test(since)) throw new HttpError(400, 'bad-cursor', `cursor "${since}" is not one this server gave`);
      after = Number(since);
    }
    const oldest = this.ring.length ? this.ring[0]![0] : this.nextSeq;
    const dropped = since === undefined ? 0 : Math.max(0, oldest - after - 1);
    const page = this.ring.filter(([seq]) => seq > after).slice(0, Math.max(0, limit));
    const cursor = page.length ? page[page.length - 1]![0] : Math.max(after, oldest - 1);
    return { alerts: page.map(([, alert]) => alert), cursor: String(cursor), dropped };
  }

  async putRule(name: string, text: string, author: string, language: RuleLanguage = 'vgl'): Promise<PutRuleResult> {
    const parsed = namesIn(text, name, language);
    if (!parsed.diagnostics.some((d) => d.severity === 'error')) {
      const names = parsed.rules.map((r) => r.name);
      if (names.length !== 1 || names[0] !== name) {
        throw new HttpError(400, 'rule-name-mismatch', `the body must hold exactly one rule, named "${name}"; it holds ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'none'}`);
      }
    }
    const result = this.engine.putRules(text, { file: name, author, language });
    if (!result.ok) return { ok: false, diagnostics: result.diagnostics };
    await this.persist();
    return { ok: true, created: result.added.includes(name), version: this.engine.rule(name)!.version };
  }

  async rules(): Promise<RuleSummary[]> {
    return this.engine.rules().map(({ name, state, deactivation, version, kind, text, stats }) => ({ name, state, deactivation, version, kind, text, stats }));
  }

  async deleteRule(name: string, author: string): Promise<boolean> {
    const removed = this.engine.removeRule(name, { author });
    if (removed) await this.persist();
    return removed;
  }

  putIocList(name: string, entries: string[]): Promise<{ count: number }> {
    return this.serially(async () => {
      replaceIocList(this.engine, name, entries);
      await this.storeIocList(name);
      return { count: this.iocCount(name) };
    });
  }

  addIocEntries(name: string, entries: string[]): Promise<{ count: number }> {
    return this.serially(async () => {
      if (!this.engine.iocs.exists(name)) replaceIocList(this.engine, name, entries);
      else this.engine.iocs.add(name, entries);
      await this.storeIocList(name);
      return { count: this.iocCount(name) };
    });
  }

  removeIocEntries(name: string, entries: string[]): Promise<{ count: number; removed: number } | undefined> {
    return this.serially(async () => {
      if (!this.engine.iocs.exists(name)) return undefined;
      const removed = this.engine.iocs.remove(name, entries);
      await this.storeIocList(name);
      return { count: this.iocCount(name), removed };
    });
  }

  deleteIocList(name: string): Promise<boolean> {
    return this.serially(async () => {
      if (!this.engine.iocs.exists(name)) return false;
      try {
        this.engine.iocs.delete(name);
      } catch (error) {
        throw new HttpError(409, 'ioc-list-in-use', (error as Error).message);
      }
      const old = this.shared.iocs[name];
      delete this.shared.iocs[name];
      await this.persist();
      await this.forgetBlob(old);
      return true;
    });
  }

  putTable(name: string, entries: string[]): Promise<{ count: number }> {
    return this.serially(async () => {
      replaceTable(this.engine, name, entries);
      const old = this.shared.tables[name];
      if (this.options.store) this.shared.tables[name] = await this.options.store.blobs.put(tableBytes(this.engine.tables.entries(name)));
      await this.persist();
      if (old !== this.shared.tables[name]) await this.forgetBlob(old);
      return { count: this.engine.tables.size(name) };
    });
  }

  async getTable(name: string): Promise<string[] | undefined> {
    return this.engine.tables.names().includes(name) ? this.engine.tables.entries(name) : undefined;
  }

  deleteTable(name: string): Promise<boolean> {
    return this.serially(async () => {
      if (!this.engine.tables.delete(name)) return false;
      const old = this.shared.tables[name];
      delete this.shared.tables[name];
      await this.persist();
      await this.forgetBlob(old);
      return true;
    });
  }

  /**
   * Runs a change to a list or table after those asked for before it. Each changes the engine at
   * once, then awaits storing its blob and the checkpoint naming it: interleaved, the checkpoint
   * would name whichever blob was stored last, not the version the engine holds.
   */
  private serially<T>(change: () => Promise<T>): Promise<T> {
    const run = this.sharedChanges.then(change);
    this.sharedChanges = run.catch(() => undefined);
    return run;
  }

  private iocCount(name: string): number {
    return this.engine.iocs.list().find((l) => l.name === name)!.count;
  }

  /** Stores the list's filter once (by its hash), then the checkpoint naming it; the old version goes after. */
  private async storeIocList(name: string): Promise<void> {
    const old = this.shared.iocs[name];
    if (this.options.store) this.shared.iocs[name] = await this.options.store.blobs.put(this.engine.iocs.serialize(name));
    await this.persist();
    if (old !== this.shared.iocs[name]) await this.forgetBlob(old);
  }

  /** Deletes a blob no longer named by the checkpoint (and by no other list: blobs are shared by content). */
  private async forgetBlob(hash: string | undefined): Promise<void> {
    if (!hash || !this.options.store) return;
    if (Object.values(this.shared.iocs).includes(hash) || Object.values(this.shared.tables).includes(hash)) return;
    await this.options.store.blobs.delete(hash);
  }

  private async loadShared(refs: SharedRefs): Promise<void> {
    const blobs = this.options.store!.blobs;
    for (const [name, hash] of Object.entries(refs.iocs)) loadIocList(this.engine, name, await readBlob(blobs, hash, `IOC list "${name}"`));
    for (const [name, hash] of Object.entries(refs.tables)) replaceTable(this.engine, name, tableEntries(await readBlob(blobs, hash, `table "${name}"`)));
    this.shared = copyRefs(refs);
  }

  async flush(): Promise<void> {
    this.engine.flush();
    await this.persist();
  }

  /** Processing time moved (an alarm, a timer): close the windows that are due. Idempotent. */
  async advanceTime(): Promise<void> {
    this.engine.advanceTime();
    await this.persist();
  }

  /** Whether anything waits on processing time (so a runtime should keep a timer or alarm going). */
  hasTimedRules(): boolean {
    return this.engine.rules().some((r) => r.state === 'active' && r.kind !== 'simple');
  }

  /** GET /metrics: one engine is one partition, in the shape every runtime gives (src/edge/metrics.ts). */
  async metrics(): Promise<VigilMetrics> {
    const engine = this.engine.metrics();
    const { eventsIn, eventsPerSecond, alertsOut, lateEvents, quarantined, deactivations, reentries, rules } = engine;
    return totalMetrics([
      {
        partition: 0,
        eventsIn,
        eventsPerSecond,
        alertsOut,
        lateEvents,
        quarantined,
        deactivations,
        reentries,
        rules,
        deliveries: eventsIn,
        alertsForwarded: 0,
        forwardFailures: 0,
        lastForwardError: null,
        outbox: 0,
        alertRing: { capacity: this.capacity, size: this.ring.length, nextSeq: this.nextSeq },
        classes: { [BASE_CLASS_ID]: engine },
      },
    ]);
  }

  /**
   * Writes a checkpoint now (the engine's state and the alert ring), if there is a store; it is
   * also the roll-back point from then on (from when it is taken, not when its write completes). Without a store, a change other than an ingest (whose
   * batches the roll-back point logs) starts a new point at the next ingest.
   */
  private async persist(afterIngest = false): Promise<void> {
    if (!this.options.store) {
      if (!afterIngest) this.rollBackPoint = undefined;
      return;
    }
    const logs = this.logs!;
    const alerts = logs.alerts.plan(this.ring, this.nextSeq);
    const ledger = logs.ledger.plan(this.ledger.items(), this.ledger.next);
    const extra: InstanceExtra = { shared: this.shared, logs: { alerts: alerts.state, ledger: ledger.state } };
    const bytes = this.engine.checkpoint(extra);
    // The roll-back point is the engine's state now, before the write is awaited: set after it, it
    // would drop whatever changed the engine while the write was under way (a rule put, a batch).
    this.rollBackPoint = { bytes, batches: [], events: 0, alerts: [] };
    await this.options.store.write(bytes, mergeWrites(alerts.writes, ledger.writes));
    logs.alerts.committed(alerts.state, alerts.texts);
    logs.ledger.committed(ledger.state, ledger.texts);
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The rules a body names: VGL's RULE names, or Sigma titles (read without a pipeline: names do not depend on one). */
function namesIn(text: string, file: string, language: RuleLanguage): { rules: { name: string }[]; diagnostics: { severity: string }[] } {
  return language === 'sigma' ? loadSigma([{ file, text }]) : parseRules(text, file);
}
