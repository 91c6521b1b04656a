/**
 * The update feed: what the engine produces (alerts, runtime diagnostics) and a metrics snapshot,
 * coalesced into at most one `UpdateBatch` per UPDATE_INTERVAL_MS (a heartbeat when idle) for
 * every subscribed page. Also keeps what only the page's charts need: alerts per second, the top
 * sources, destinations and URLs, and the versions that tell the page to refetch rules or lists.
 */
import type { Alert, Engine, RuntimeDiagnostic } from '../../../src/engine/engine.js';
import { RateMeter } from '../../../src/engine/rate-meter.js';
import {
  HEARTBEAT_MS,
  MAX_ALERTS_PER_BATCH,
  MAX_DIAGNOSTICS_PER_BATCH,
  PAGE_ALERT_EVENTS,
  UPDATE_INTERVAL_MS,
  type AlertEnvelope,
  type CheckpointInfo,
  type CheckpointPause,
  type FlowSummary,
  type MetricsSnapshot,
  type SimulatorStatus,
  type SourceStatus,
  type UpdateBatch,
} from '../../../src/runtime/worker/protocol.js';
import { UpdateCoalescer, type CoalescerTimer } from '../coalescer.js';
import { TrafficTops } from '../top-sources.js';

/** What the snapshot reads from the other services (called when a batch goes out). */
export interface FeedSources {
  simulator(): SimulatorStatus;
  checkpoint(): CheckpointInfo | undefined;
  checkpointPaused?(): CheckpointPause | undefined;
  flows(): FlowSummary | undefined;
  /** The host's own event source, for a host that reads one (the widget's). */
  source?(): SourceStatus | undefined;
  /** The set of rules or their states changed behind the services' back (the engine deactivated one). */
  ruleStatesChanged(): void;
}

export class UpdateFeed {
  /** Bumped whenever the set of rules, their texts or states change. */
  rulesVersion = 1;
  /** Bumped whenever IOC lists or tables change. */
  listsVersion = 1;
  readonly tops: TrafficTops;
  private readonly alertRate: RateMeter;
  private readonly coalescer: UpdateCoalescer<AlertEnvelope, RuntimeDiagnostic, MetricsSnapshot>;
  private readonly listeners = new Map<number, (batch: UpdateBatch) => void>();
  private nextToken = 1;
  private nextAlertId = 1;
  private ruleStateSignature = '';

  constructor(
    private readonly engine: Engine,
    private readonly now: () => number,
    private readonly sources: FeedSources,
    timer?: CoalescerTimer,
    /** Events an alert's copy carries to the page (PAGE_ALERT_EVENTS; the widget sends them all). */
    private readonly pageEvents = PAGE_ALERT_EVENTS,
  ) {
    this.alertRate = new RateMeter(now);
    this.tops = new TrafficTops(60, now);
    this.coalescer = new UpdateCoalescer({
      intervalMs: UPDATE_INTERVAL_MS,
      heartbeatMs: HEARTBEAT_MS,
      maxAlerts: MAX_ALERTS_PER_BATCH,
      maxDiagnostics: MAX_DIAGNOSTICS_PER_BATCH,
      snapshot: () => this.metrics(),
      deliver: (batch) => this.deliver(batch),
      timer,
    });
  }

  start(): void {
    this.coalescer.start();
  }

  stop(): void {
    this.coalescer.stop();
  }

  /** Numbers the alert, queues its page copy (events cut to `pageEvents`) and returns it whole. */
  alert(alert: Alert): AlertEnvelope {
    this.alertRate.add(1);
    const envelope = { id: this.nextAlertId++, at: this.now(), alert };
    this.coalescer.addAlert(pageCopy(envelope, this.pageEvents));
    return envelope;
  }

  /** Alert ids go on after `lastId` (the alerts kept from before a reload keep theirs). */
  continueAlertIds(lastId: number): void {
    this.nextAlertId = Math.max(this.nextAlertId, lastId + 1);
  }

  diagnostic(diagnostic: RuntimeDiagnostic): void {
    this.coalescer.addDiagnostic(diagnostic);
  }

  /** Something changed: a batch goes out within the interval. */
  markDirty(): void {
    this.coalescer.markDirty();
  }

  /** A batch goes out now (after a change the user waits for). */
  flushNow(): void {
    this.coalescer.flushNow();
  }

  rulesChanged(): void {
    this.rulesVersion++;
    this.flushNow();
  }

  listsChanged(): void {
    this.listsVersion++;
    this.flushNow();
  }

  metrics(): MetricsSnapshot {
    const engine = this.engine.metrics();
    // A rule deactivated by the engine changes the rule list: make the page refetch it.
    const signature = Object.entries(engine.rules).map(([n, r]) => `${n}:${r.state}`).join('|');
    if (signature !== this.ruleStateSignature) {
      if (this.ruleStateSignature) this.rulesVersion++;
      this.ruleStateSignature = signature;
      this.sources.ruleStatesChanged();
    }
    const checkpoint = this.sources.checkpoint();
    const checkpointPaused = this.sources.checkpointPaused?.();
    const flows = this.sources.flows();
    const source = this.sources.source?.();
    return {
      time: Date.now(),
      engine,
      eventTime: this.engine.eventTime(),
      alertsPerSecond: this.alertRate.perSecond(),
      topSources: this.tops.sources.top(10),
      topDestinations: this.tops.destinations.top(10),
      topUrls: this.tops.urls.top(10),
      simulator: this.sources.simulator(),
      rulesVersion: this.rulesVersion,
      listsVersion: this.listsVersion,
      ...(checkpoint ? { checkpoint: { ...checkpoint } } : {}),
      ...(checkpointPaused ? { checkpointPaused: { ...checkpointPaused } } : {}),
      ...(flows ? { flows } : {}),
      ...(source ? { source: { ...source } } : {}),
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
}

/**
 * The copy of an alert sent to the page: its first `maxEvents` events when it carries more (with
 * `omittedEvents` saying how many are left out), else the envelope itself. Shallow: the kept alert
 * is not changed.
 */
export function pageCopy<T extends AlertEnvelope>(envelope: T, maxEvents = PAGE_ALERT_EVENTS): T {
  const events = envelope.alert.events;
  if (!Array.isArray(events) || events.length <= maxEvents) return envelope;
  return { ...envelope, alert: { ...envelope.alert, events: events.slice(0, maxEvents) }, omittedEvents: events.length - maxEvents };
}
