/**
 * One partition of a partitioned deployment (a Durable Object on Cloudflare, or an object in the
 * same process for PartitionedService): one engine per routing class (src/edge/routing.ts), one
 * alert ring for all of them, and an outbox of alerts owed to other partitions.
 *
 * Alerts re-enter as in one engine (src/engine/reentry.ts, the one home of re-entry: same depth
 * bound, same budget, same order of output), but through this node, the engines' AlertTarget:
 * it hands each alert to the alert classes whose rules select it, here when this partition owns
 * the alert's key (in the same step, so in the same checkpoint) and through the outbox otherwise.
 * Without that, an engine would feed an alert to its own alert-fed rules even when the rule's key
 * lives in another partition.
 *
 * Everything (every class engine, the ring, the outbox, the forwarding bookkeeping) is written as
 * one checkpoint after each change and before answering, so a restart loses nothing and a
 * retried request finds the state from before it.
 *
 * Forwarding is at least once and applied exactly once: every alert carries its sequence number
 * in the raising partition's ring; a receiver remembers, per sender, the sequence numbers it has
 * applied at or above the sender's *floor* (the lowest number the sender still has in its outbox
 * for it: everything below was acknowledged), and skips what it has seen.
 */
import { AlertRingBudget } from './alert-ring.js';
import type { RuleLanguage } from '../engine/rule-plan.js';
import type { Alert, AlertTarget, Engine, EngineOptions, KeyedAlert } from '../engine/engine.js';
import { Reentry } from '../engine/reentry.js';
import { RateMeter } from '../engine/rate-meter.js';
import { decodeCheckpoint, encodeCheckpoint } from '../engine/checkpoint.js';
import { parseRules } from '../lang/parse.js';
import type { RuleAst } from '../lang/ast.js';
import { loadSigma } from '../sigma/index.js';
import { mergeWrites, type ChunkedCheckpointStore, type LogState, type SegmentedLog, type SharedBlobStore } from './checkpoint-store.js';
import { mergeRules, type PartitionMetrics } from './metrics.js';
import { getField } from '../lang/fields.js';
import { copyRefs, emptyRefs, loadIocList, readBlob, replaceIocList, replaceTable, tableBytes, tableEntries, type SharedRefs } from './shared-data.js';
import { DEFAULT_LEDGER_KEYS, IngestLedger, type IngestKey, type LedgerEntry } from './ingest-ledger.js';
import { BASE_CLASS_ID, partitionKeyText, partitionOf, RoutingTable, routingClassOf, type Feed, type RoutingDescription, type RuleRoute } from './routing.js';
import { HttpError, type AlertPage, type IngestResult, type PutRuleResult, type RuleSummary, type VigilService } from './service.js';

export type EngineFactory = (options: EngineOptions) => Promise<Engine>;

/** Events for one class engine of a partition. */
export interface RoutedGroup {
  classId: string;
  events: Record<string, unknown>[];
  /** Each event's position in the request, so alerts come out in the request's order (default: as listed). */
  positions?: number[];
}

export interface RoutedBatch {
  /** The routing version the sender computed the groups with. */
  routing: string;
  groups: RoutedGroup[];
  /**
   * Events of the request this partition counts in `eventsIn` (metrics): the sender counts each
   * accepted event once, at the partition owning its partition-field value, whatever it reached.
   */
  accepted?: number;
  /** This partition's share of a keyed request: applied once (see src/edge/ingest-ledger.ts). */
  key?: IngestKey;
}

export interface RoutedIngestResult {
  accepted: number;
  /** This partition's routing version: when it is not the sender's, the sender's table is stale. */
  routing: string;
  /** Events whose processing failed (the rest were processed): `group` and `index` point into the batch. */
  rejected?: { group: number; index: number; reason: string }[];
  /** The batch's key had been applied: this is the first answer, nothing was applied now. */
  replayed?: boolean;
}

export interface ForwardEntry {
  /** The alert's sequence number in the sending partition's ring. */
  seq: number;
  /** How many times the chain of alerts has re-entered (bounded by maxReentryDepth). */
  depth: number;
  classId: string;
  alert: Alert;
}

export interface ForwardMessage {
  from: number;
  /** Every entry for this receiver below `floor` has been acknowledged. */
  floor: number;
  entries: ForwardEntry[];
}

/** What PartitionedService asks of a partition: the HTTP API, plus routed ingest and staged flush. */
export interface PartitionClient extends VigilService {
  ingestRouted(batch: RoutedBatch): Promise<RoutedIngestResult>;
  routing(): Promise<RoutingDescription>;
  /** Closes every window of the engines fed by `feed`; answers how many alerts that raised here. */
  flushStage(feed: Feed): Promise<{ produced: number }>;
  /** The list's filter as bytes (undefined: no such list), to load into other partitions. */
  iocFilter(name: string): Promise<Uint8Array | undefined>;
  /** Replaces (or creates) the list with a filter another partition built. */
  loadIocFilter(name: string, bytes: Uint8Array): Promise<{ count: number }>;
}

export interface PartitionNodeOptions {
  partitions: number;
  partitionField: string;
  /** This partition's number; a Durable Object learns it from the Worker's requests (setIndex). */
  index?: number;
  engine?: EngineOptions;
  /** Alerts kept for `GET /alerts`. Default 10 000. */
  alertCapacity?: number;
  /** Bytes of alert JSON kept for `GET /alerts` (the oldest go first). Default 64 MiB. */
  alertRingBytes?: number;
  store?: ChunkedCheckpointStore;
  /**
   * Where IOC lists and tables are stored, once by content (src/edge/shared-data.ts): partitions of
   * one process share one. Default: the store's own (`store.blobs`); without either they live in memory.
   */
  blobs?: SharedBlobStore;
  /**
   * The name this partition claims shared blobs under (SharedBlobStore: a blob no partition claims is
   * deleted); the same across restarts. Default `partition-<index>`; a Durable Object gives its id.
   */
  blobHolder?: string;
  /** Idempotency keys remembered (src/edge/ingest-ledger.ts). Default 10 000. */
  ledgerKeys?: number;
  /** Delivers forwarded alerts to another partition; resolves once that partition has applied them. */
  send?: (partition: number, message: ForwardMessage) => Promise<void>;
}

interface RuleMeta extends RuleRoute {
  /** Versions as the API shows them: kept here, since a rule that changes class changes engine. */
  version: number;
  order: number;
  iocLists: string[];
}

interface OutboxEntry extends ForwardEntry {
  partition: number;
}

interface NodeState {
  /** Marks a partition checkpoint (a plain engine checkpoint, from before re-keying, has none). */
  partitionFormat: 1;
  index: number | undefined;
  engines: [string, number][];
  rules: RuleMeta[];
  nextRuleOrder: number;
  /** The ring: in `log`, stored beside the checkpoint (SegmentedLog); `items` in checkpoints from before. */
  ring: { nextSeq: number; items?: [number, Alert][]; log?: LogState };
  outbox: OutboxEntry[];
  applied: [number, { floor: number; seqs: number[] }][];
  counters: PartitionNode['counters'];
  /** Keys of routed batches applied here, with their answers (absent in checkpoints from before the ledger). */
  ledger?: [string, LedgerEntry<RoutedIngestResult>][];
  /** The ledger, stored beside the checkpoint (SegmentedLog). */
  ledgerLog?: LogState;
  /** IOC lists and tables, stored outside this checkpoint (absent in checkpoints that held them inside). */
  shared?: SharedRefs;
}

/** What EngineInstance keeps in its checkpoints' `extra` (a single-engine checkpoint a partition may open). */
interface SingleEngineExtra {
  shared?: SharedRefs;
  logs?: { alerts: LogState };
  alerts?: NodeState['ring'];
}

/** One event of a routed batch, with where it was in the batch. */
interface RoutedItem {
  classId: string;
  event: Record<string, unknown>;
  group: number;
  index: number;
  /** Its place in the request's order of events (the order its alerts come out in). */
  order: number;
}

interface NodeSnapshot {
  engines: Map<string, Uint8Array>;
  ring: [number, Alert][];
  nextSeq: number;
  outbox: OutboxEntry[];
  counters: PartitionNode['counters'];
}

const DEFAULT_MAX_REENTRY_DEPTH = 8;

export class PartitionNode implements PartitionClient {
  private readonly engines = new Map<string, Engine>();
  /** Each engine's last checkpoint, re-taken only for engines a step touched. */
  private readonly engineBytes = new Map<string, Uint8Array>();
  private readonly dirty = new Set<string>();
  private readonly meta = new Map<string, RuleMeta>();
  private nextRuleOrder = 0;
  private table: RoutingTable;
  private ring: [number, Alert][] = [];
  private nextSeq = 1;
  private outbox: OutboxEntry[] = [];
  private readonly inFlight = new Set<OutboxEntry>();
  private applied = new Map<number, { floor: number; seqs: number[] }>();
  /** Alerts of the current step owed to other partitions, sent once they have their ring sequence number. */
  private readonly remote = new Map<Alert, { partition: number; classId: string; depth: number }[]>();
  /**
   * The chain of one request over every class engine of this partition: its alerts re-enter
   * through alertTarget and come out in the order one engine would give (src/engine/reentry.ts).
   */
  private readonly chain: Reentry;
  /** Where the engines' alerts re-enter: local class engines, or the outbox (see the top of this file). */
  private readonly alertTarget: AlertTarget = {
    wantsAlerts: () => [...this.table.classes.values()].some((c) => c.feed === 'alerts'),
    reenter: (level, depth) => this.reenter(level, depth),
  };
  /**
   * eventsIn: events of requests this partition counts (RoutedBatch.accepted); deliveries: events
   * handed to its engines; reentries: alerts raised here offered back to rules on alerts (as one
   * engine counts them: once each, wherever they go); alertsIn: alerts into its engines.
   */
  private counters = { eventsIn: 0, deliveries: 0, reentries: 0, alertsIn: 0, alertsForwarded: 0, forwardFailures: 0 };
  /** The rate of `eventsIn` (not checkpointed: a rate of this process). */
  private readonly rate: RateMeter;
  private lastForwardError: string | undefined;
  /** Keys of routed batches applied here: saved in the same checkpoint as what they changed. */
  private readonly ledger: IngestLedger<RoutedIngestResult>;
  /** Keyed batches being applied now: a concurrent retry waits for the first attempt. */
  private readonly pending = new Map<string, Promise<RoutedIngestResult>>();
  /** Where each IOC list and table is stored. */
  private shared: SharedRefs = emptyRefs();
  /** The last change to a list or table asked for (see `serially`). */
  private sharedChanges: Promise<unknown> = Promise.resolve();
  /** Where the ring and the ledger are stored, beside the checkpoint (with a store): only what changed is written. */
  private readonly logs: { alerts: SegmentedLog; ledger: SegmentedLog } | undefined;
  private readonly capacity: number;
  private readonly ringBudget: AlertRingBudget;
  private readonly maxDepth: number;
  private index: number | undefined;

  private constructor(
    private readonly makeEngine: EngineFactory,
    private readonly options: PartitionNodeOptions,
  ) {
    this.capacity = Math.max(1, options.alertCapacity ?? 10_000);
    this.ringBudget = new AlertRingBudget(this.capacity, options.alertRingBytes);
    this.ledger = new IngestLedger(options.ledgerKeys ?? DEFAULT_LEDGER_KEYS);
    this.logs = options.store && { alerts: options.store.log('alerts'), ledger: options.store.log('ledger') };
    this.maxDepth = options.engine?.maxReentryDepth ?? DEFAULT_MAX_REENTRY_DEPTH;
    this.chain = new Reentry(
      {
        options: { maxReentryDepth: this.maxDepth, reentryBudget: options.engine?.reentryBudget ?? 10_000, reentryFanOut: options.engine?.reentryFanOut ?? 4 },
        hasRule: (name) => this.meta.has(name),
        report: () => {},
        deactivate: (name, violation, phase) => {
          const meta = this.meta.get(name)!;
          this.dirty.add(meta.classId);
          return this.engines.get(meta.classId)?.deactivateForChain(name, violation, phase);
        },
        emit: ({ alert }) => this.onAlert(alert),
      },
      this.alertTarget,
    );
    this.index = options.index;
    this.table = new RoutingTable([], options.partitionField);
    this.rate = new RateMeter(options.engine?.clock ?? Date.now);
  }

  /** A node with its last checkpoint restored (or empty). */
  static async open(makeEngine: EngineFactory, options: PartitionNodeOptions): Promise<PartitionNode> {
    const node = new PartitionNode(makeEngine, options);
    const bytes = await options.store?.read();
    if (bytes) await node.restore(bytes);
    if (!node.engines.has(BASE_CLASS_ID)) await node.createEngine(BASE_CLASS_ID);
    await node.reconcileBlobs();
    return node;
  }

  /** The Worker says which partition this is on every call; it is kept with the checkpoint. */
  setIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.options.partitions) throw new HttpError(400, 'bad-partition', `partition ${index} is not one of ${this.options.partitions}`);
    this.index = index;
  }

  // ── events and alerts ──────────────────────────────────────────────────

  async ingestRouted(batch: RoutedBatch): Promise<RoutedIngestResult> {
    const key = batch.key;
    if (!key) return this.ingestRoutedNow(batch);
    const running = this.pending.get(key.key);
    if (running) {
      await running.catch(() => undefined);
      return this.ingestRouted(batch);
    }
    const answered = this.ledger.answerFor(key);
    if (answered) {
      // Alerts the first attempt owed other partitions may not have left before a crash.
      await this.forwardOutbox();
      return { ...answered, replayed: true };
    }
    const run = this.ingestRoutedNow(batch);
    this.pending.set(key.key, run);
    try {
      return await run;
    } finally {
      this.pending.delete(key.key);
    }
  }

  private async ingestRoutedNow(batch: RoutedBatch): Promise<RoutedIngestResult> {
    let flat = 0;
    const items: RoutedItem[] = batch.groups.flatMap((group, g) =>
      group.events.map((event, index) => ({ classId: group.classId, event, group: g, index, order: positionOf(group, index, flat++) })),
    );
    const rejected: NonNullable<RoutedIngestResult['rejected']> = [];
    const accepted = Number.isSafeInteger(batch.accepted) && batch.accepted! > 0 ? batch.accepted! : 0;
    this.counters.eventsIn += accepted;
    this.rate.add(accepted);
    this.stepIsolated(items, rejected);
    this.uncountRejected(batch, rejected);
    const answer: RoutedIngestResult = { accepted: items.length - rejected.length, routing: this.table.version, ...(rejected.length ? { rejected } : {}) };
    // The key goes into the same checkpoint as the state the batch changed.
    if (batch.key) this.ledger.record(batch.key, answer);
    await this.persist();
    await this.forwardOutbox();
    return answer;
  }

  /**
   * An event whose processing failed here is not counted in eventsIn when this is the partition
   * that counts it (as one engine does not count an event it rejected): the request answers it as
   * rejected. (One that failed in another partition stays counted here: it was processed here.)
   */
  private uncountRejected(batch: RoutedBatch, rejected: NonNullable<RoutedIngestResult['rejected']>): void {
    if (!rejected.length || !batch.accepted) return;
    const positions = new Set<number | string>();
    for (const { group, index } of rejected) {
      const event = batch.groups[group]!.events[index]!;
      const key = partitionKeyText(getField(event, this.options.partitionField));
      if ((key === undefined ? 0 : partitionOf(key, this.options.partitions)) !== this.here()) continue;
      positions.add(batch.groups[group]!.positions?.[index] ?? `${group}:${index}`);
    }
    this.counters.eventsIn -= Math.min(positions.size, this.counters.eventsIn);
  }

  /**
   * One step over `items`; when it throws, the node goes back to its state before it and the items
   * are stepped again in halves, until each event whose processing fails is alone and rejected.
   * Every other event is processed once, in order.
   */
  private stepIsolated(items: RoutedItem[], rejected: NonNullable<RoutedIngestResult['rejected']>): void {
    if (!items.length) return;
    const before = this.snapshot();
    try {
      this.pushItems(items);
      return;
    } catch (error) {
      this.rollBack(before);
      if (items.length === 1) {
        const { group, index } = items[0]!;
        rejected.push({ group, index, reason: `processing failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}` });
        return;
      }
    }
    const half = items.length >> 1;
    this.stepIsolated(items.slice(0, half), rejected);
    this.stepIsolated(items.slice(half), rejected);
  }

  /**
   * Pushes items into their class engines, a batch per run of the same class (as the groups came),
   * as one chain: the alerts come out in the order of the events that caused them (`order`, the
   * event's position in the request), whichever engine raised them.
   */
  private pushItems(items: RoutedItem[]): void {
    this.chain.input((raise) => {
      for (let start = 0; start < items.length; ) {
        const classId = items[start]!.classId;
        let end = start + 1;
        while (end < items.length && items[end]!.classId === classId && items[end]!.group === items[start]!.group) end++;
        // No engine: the class's rules are gone (or not here yet); the event meets no rule, as
        // it would on one engine just before the rule was added.
        const engine = this.engines.get(classId);
        this.counters.deliveries += end - start;
        if (engine) {
          const run = items.slice(start, end);
          raise(engine.pushLevel(run.map((item) => item.event), (origin) => run[origin]!.order));
          this.dirty.add(classId);
        }
        start = end;
      }
    });
  }

  /** What a failed step rolls back to: every engine's checkpoint (taken now for those that changed) and the node's own state. */
  private snapshot(): NodeSnapshot {
    for (const classId of this.dirty) {
      const engine = this.engines.get(classId);
      if (engine) this.engineBytes.set(classId, engine.checkpoint());
    }
    this.dirty.clear();
    return { engines: new Map(this.engineBytes), ring: this.ring.slice(), nextSeq: this.nextSeq, outbox: this.outbox.slice(), counters: { ...this.counters } };
  }

  private rollBack(snapshot: NodeSnapshot): void {
    this.remote.clear();
    for (const [classId, bytes] of snapshot.engines) this.engines.get(classId)?.restore(bytes);
    this.dirty.clear();
    this.ring = snapshot.ring;
    this.nextSeq = snapshot.nextSeq;
    this.outbox = snapshot.outbox;
    this.counters = snapshot.counters;
  }

  /** Alerts forwarded by another partition (or retried): each applied once. */
  async receiveForward(message: ForwardMessage): Promise<void> {
    let seen = this.applied.get(message.from);
    if (!seen) this.applied.set(message.from, (seen = { floor: 0, seqs: [] }));
    seen.floor = Math.max(seen.floor, message.floor);
    const known = new Set(seen.seqs.filter((s) => s >= seen!.floor));
    const fresh = message.entries.filter((e) => e.seq >= seen!.floor && !known.has(e.seq));
    for (const entry of fresh) known.add(entry.seq);
    seen.seqs = [...known].sort((a, b) => a - b);
    // One level per depth, in the order sent: as alerts re-enter one engine in batches.
    const depths = [...new Set(fresh.map((e) => e.depth))].sort((a, b) => a - b);
    for (const depth of depths) {
      const level = fresh.filter((e) => e.depth === depth);
      this.chain.input((raise) => raise(this.reenterLocally(level.map((e) => ({ classId: e.classId, keyed: { key: [e.seq], alert: e.alert } })), depth), depth));
    }
    await this.persist();
    await this.forwardOutbox();
  }

  async flushStage(feed: Feed): Promise<{ produced: number }> {
    const before = this.nextSeq;
    for (const [classId, engine] of this.enginesOf(feed)) {
      engine.flush();
      this.dirty.add(classId);
    }
    await this.persist();
    await this.forwardOutbox();
    return { produced: this.nextSeq - before };
  }

  async flush(): Promise<void> {
    // Alone (one partition): the stages PartitionedService would run, here.
    await this.flushStage('events');
    for (let round = 0; round <= this.maxDepth; round++) if (!(await this.flushStage('alerts')).produced) break;
  }

  /** Processing time moved (an alarm): close what is due, and retry forwards that failed. */
  async advanceTime(): Promise<void> {
    for (const feed of ['events', 'alerts'] as const) {
      for (const [classId, engine] of this.enginesOf(feed)) {
        engine.advanceTime();
        this.dirty.add(classId);
      }
    }
    await this.persist();
    await this.forwardOutbox();
  }

  /** Whether an alarm should keep running: windows on processing time, or forwards to retry. */
  needsTicks(): boolean {
    if (this.outbox.length) return true;
    return [...this.engines.values()].some((e) => e.rules().some((r) => r.state === 'active' && r.kind !== 'simple'));
  }

  async routing(): Promise<RoutingDescription> {
    return this.table.describe();
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

  /** Events straight from a client (a node used alone): routed here as PartitionedService would. */
  async ingest(events: Record<string, unknown>[], key?: IngestKey): Promise<IngestResult> {
    const rejected: IngestResult['rejected'] = [];
    const byClass = new Map<string, Record<string, unknown>[]>();
    const origin = new Map<string, number[]>();
    events.forEach((event, index) => {
      const reason = notAnEvent(event);
      if (reason) return rejected.push({ index, reason });
      for (const target of this.table.eventTargets(event, 1)) {
        append(byClass, target.classId, event);
        append(origin, target.classId, index);
      }
    });
    const origins = [...origin.values()];
    const result = await this.ingestRouted({
      routing: this.table.version,
      groups: [...byClass].map(([classId, list]) => ({ classId, events: list, positions: origin.get(classId) })),
      ...(key ? { key } : {}),
    });
    const failed = new Map<number, string>();
    for (const r of result.rejected ?? []) {
      const index = origins[r.group]![r.index]!;
      if (!failed.has(index)) failed.set(index, r.reason);
    }
    for (const [index, reason] of failed) rejected.push({ index, reason });
    rejected.sort((a, b) => a.index - b.index);
    return { accepted: events.length - rejected.length, rejected, ...(result.replayed ? { replayed: true } : {}) };
  }

  // ── rules and lists ─────────────────────────────────────────────────────

  async putRule(name: string, text: string, author: string, language?: RuleLanguage): Promise<PutRuleResult> {
    const route = language === 'sigma' ? this.sigmaRoute(name, text) : this.vglRoute(name, text);
    // A rule that does not parse is refused by the base engine, with its diagnostics.
    const classId = route ? routingClassOf(route, this.options.partitionField).id : BASE_CLASS_ID;
    const iocLists = route?.iocLists ?? [];
    const engine = this.engines.get(classId) ?? (await this.createEngine(classId));
    this.copyIocLists(engine, iocLists);
    const result = engine.putRules(text, { file: name, author, ...(language ? { language } : {}) });
    if (!result.ok) {
      this.dropIdleEngines();
      return { ok: false, diagnostics: result.diagnostics };
    }
    this.dirty.add(classId);
    const previous = this.meta.get(name);
    if (previous && previous.classId !== classId) this.removeFromEngine(previous.classId, name, author);
    this.meta.set(name, {
      name,
      classId,
      selectors: route!.sources.map((s) => ({ field: s.field, values: s.values })),
      iocLists,
      version: (previous?.version ?? 0) + 1,
      order: previous?.order ?? this.nextRuleOrder++,
    });
    this.rebuildTable();
    await this.persist();
    return { ok: true, created: !previous, version: this.meta.get(name)!.version };
  }

  /** What routing needs of a VGL rule (its SOURCES, keys, IOC lists); undefined when it does not parse. */
  private vglRoute(name: string, text: string): (Pick<RuleAst, 'aggregateBy' | 'stateMachine' | 'sources'> & { iocLists: string[] }) | undefined {
    const parsed = parseRules(text, name);
    if (parsed.diagnostics.some((d) => d.severity === 'error')) return undefined;
    checkOneRule(name, parsed.rules.map((r) => r.name));
    const ast = parsed.rules[0]!;
    return { aggregateBy: ast.aggregateBy, stateMachine: ast.stateMachine, sources: ast.sources, iocLists: [...new Set(ast.iocFilters.map((t) => t.list))] };
  }

  /**
   * A Sigma rule routes like a simple VGL rule whose SOURCES are its logsource's selectors (it keys
   * nothing, so any one engine will do). A correlation keys its windows by its group-by, which the
   * partitions do not re-key yet: refused here.
   */
  private sigmaRoute(name: string, text: string): (Pick<RuleAst, 'aggregateBy' | 'stateMachine' | 'sources'> & { iocLists: string[] }) | undefined {
    const loaded = loadSigma([{ file: name, text }], this.options.engine?.sigma);
    if (loaded.diagnostics.some((d) => d.severity === 'error')) return undefined;
    if (loaded.correlations.length) throw new HttpError(400, 'unsupported-language', 'a partitioned server runs Sigma rules but not yet Sigma correlation rules; run correlations on a single-engine server');
    checkOneRule(name, loaded.rules.map((r) => r.name));
    const sources = loaded.rules[0]!.selectors.map((s) => ({ field: s.field, values: s.values, span: NO_SPAN }));
    return { aggregateBy: undefined, stateMachine: undefined, sources, iocLists: [] };
  }

  async rules(): Promise<RuleSummary[]> {
    return this.orderedMeta().flatMap((meta) => {
      const info = this.engines.get(meta.classId)?.rule(meta.name);
      if (!info) return [];
      const { name, state, deactivation, kind, text, stats } = info;
      return [{ name, state, deactivation, version: meta.version, kind, text, stats }];
    });
  }

  async deleteRule(name: string, author: string): Promise<boolean> {
    const meta = this.meta.get(name);
    if (!meta) return false;
    this.removeFromEngine(meta.classId, name, author);
    this.meta.delete(name);
    this.rebuildTable();
    await this.persist();
    return true;
  }

  putIocList(name: string, entries: string[]): Promise<{ count: number }> {
    return this.serially(async () => {
      replaceIocList(this.base(), name, entries);
      await this.storeIocList(name);
      return { count: this.iocCount(name) };
    });
  }

  addIocEntries(name: string, entries: string[]): Promise<{ count: number }> {
    return this.serially(async () => {
      const base = this.base();
      if (!base.iocs.exists(name)) replaceIocList(base, name, entries);
      else base.iocs.add(name, entries);
      await this.storeIocList(name);
      return { count: this.iocCount(name) };
    });
  }

  removeIocEntries(name: string, entries: string[]): Promise<{ count: number; removed: number } | undefined> {
    return this.serially(async () => {
      const base = this.base();
      if (!base.iocs.exists(name)) return undefined;
      const removed = base.iocs.remove(name, entries);
      await this.storeIocList(name);
      return { count: this.iocCount(name), removed };
    });
  }

  async iocFilter(name: string): Promise<Uint8Array | undefined> {
    const base = this.base();
    return base.iocs.exists(name) ? base.iocs.serialize(name) : undefined;
  }

  loadIocFilter(name: string, bytes: Uint8Array): Promise<{ count: number }> {
    return this.serially(async () => {
      loadIocList(this.base(), name, bytes);
      await this.storeIocList(name);
      return { count: this.iocCount(name) };
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
    return this.base().iocs.list().find((l) => l.name === name)!.count;
  }

  /**
   * After the base engine's list changed: the other engines holding it get the base's filter, the
   * filter is stored once by its hash, and the checkpoint names it.
   */
  private async storeIocList(name: string): Promise<void> {
    const base = this.base();
    const bytes = base.iocs.serialize(name);
    for (const engine of this.engines.values()) if (engine !== base && engine.iocs.exists(name)) loadIocList(engine, name, bytes);
    await this.storeShared('iocs', name, bytes);
  }

  putTable(name: string, entries: string[]): Promise<{ count: number }> {
    return this.serially(async () => {
      // Every engine: a rule of any class may call utils.inTable.
      for (const engine of this.engines.values()) replaceTable(engine, name, entries);
      await this.storeShared('tables', name, tableBytes(this.base().tables.entries(name)));
      return { count: this.base().tables.size(name) };
    });
  }

  async getTable(name: string): Promise<string[] | undefined> {
    const tables = this.base().tables;
    return tables.names().includes(name) ? tables.entries(name) : undefined;
  }

  deleteTable(name: string): Promise<boolean> {
    return this.serially(async () => {
      let found = false;
      for (const engine of this.engines.values()) found = engine.tables.delete(name) || found;
      if (!found) return false;
      await this.dropShared('tables', name);
      return true;
    });
  }

  private blobs(): SharedBlobStore | undefined {
    return this.options.blobs ?? this.options.store?.blobs;
  }

  private blobHolder(): string | undefined {
    return this.options.blobHolder ?? (this.index === undefined ? undefined : `partition-${this.index}`);
  }

  /**
   * Stores a list's filter or a table once by its content, claimed by this partition first (so no
   * other partition's release deletes it in between), names it in the checkpoint, and then
   * releases the version it replaced: other partitions may still name that one, and it is deleted
   * only when none does (SharedBlobStore).
   */
  private async storeShared(kind: keyof SharedRefs, name: string, bytes: Uint8Array): Promise<void> {
    const blobs = this.blobs();
    if (!blobs) return this.persist();
    const holder = this.blobHolder();
    const hash = await blobs.hashOf(bytes);
    if (holder) await blobs.claim(hash, holder);
    await blobs.put(bytes);
    const old = this.shared[kind][name];
    this.shared[kind][name] = hash;
    await this.persist();
    if (old !== undefined) await this.releaseBlob(old);
  }

  /** A list or table deleted: the checkpoint stops naming it, then its blob is released. */
  private async dropShared(kind: keyof SharedRefs, name: string): Promise<void> {
    const old = this.shared[kind][name];
    delete this.shared[kind][name];
    await this.persist();
    if (old !== undefined) await this.releaseBlob(old);
  }

  private async releaseBlob(hash: string): Promise<void> {
    const blobs = this.blobs();
    const holder = this.blobHolder();
    if (!blobs || !holder) return;
    try {
      await blobs.release(hash, holder);
    } catch {
      // The change is written; the claim left over keeps the blob until this partition restarts and reconciles.
    }
  }

  /** On opening: this partition's claims become what its checkpoint names (undoing what a crash left). */
  private async reconcileBlobs(): Promise<void> {
    const blobs = this.blobs();
    const holder = this.blobHolder();
    if (!blobs || !holder || !this.options.store) return;
    const named = new Map<string, number>();
    for (const hash of [...Object.values(this.shared.iocs), ...Object.values(this.shared.tables)]) named.set(hash, (named.get(hash) ?? 0) + 1);
    try {
      await blobs.reconcile(holder, named);
    } catch {
      // Claims stay as they were: blobs this partition no longer names are kept until a later restart.
    }
  }

  deleteIocList(name: string): Promise<boolean> {
    return this.serially(async () => {
      if (!this.base().iocs.exists(name)) return false;
      const users = this.orderedMeta().filter((m) => m.iocLists.includes(name)).map((m) => `"${m.name}"`);
      if (users.length) throw new HttpError(409, 'ioc-list-in-use', `IOC list '${name}' is used by rule ${users.join(', ')}`);
      for (const [classId, engine] of this.engines) {
        if (!engine.iocs.exists(name)) continue;
        engine.iocs.drop(name);
        this.dirty.add(classId);
      }
      await this.dropShared('iocs', name);
      return true;
    });
  }

  /** This partition's part of GET /metrics (src/edge/metrics.ts says what each number means). */
  async metrics(): Promise<PartitionMetrics> {
    const classes: Record<string, ReturnType<Engine['metrics']>> = {};
    const total = { alertsOut: 0, lateEvents: 0, quarantined: 0, deactivations: 0 };
    for (const [classId, engine] of this.engines) {
      const m = engine.metrics();
      classes[classId] = m;
      total.alertsOut += m.alertsOut;
      total.lateEvents += m.lateEvents;
      total.quarantined += m.quarantined;
      total.deactivations += m.deactivations;
    }
    return {
      partition: this.index ?? NaN,
      eventsIn: this.counters.eventsIn,
      eventsPerSecond: this.rate.perSecond(),
      ...total,
      reentries: this.counters.reentries,
      rules: mergeRules(Object.values(classes).map((m) => m.rules)),
      deliveries: this.counters.deliveries,
      alertsForwarded: this.counters.alertsForwarded,
      forwardFailures: this.counters.forwardFailures,
      lastForwardError: this.lastForwardError ?? null,
      outbox: this.outbox.length,
      alertRing: { capacity: this.capacity, size: this.ring.length, nextSeq: this.nextSeq },
      classes,
    };
  }

  // ── the core: where alerts go ───────────────────────────────────────

  /**
   * The engines' AlertTarget: one level of alerts at `depth`, each to the alert classes whose rules
   * select it — re-entered into this partition's engines now (what they raise comes back, keyed
   * after its cause, for the engine that runs the chain to re-enter and emit), or owed to the
   * partition that owns its key (queued when it is emitted, with its ring sequence number).
   */
  private reenter(level: readonly KeyedAlert[], depth: number): KeyedAlert[] {
    this.counters.reentries += level.length;
    const local: { classId: string; keyed: KeyedAlert }[] = [];
    for (const keyed of level) {
      for (const target of this.table.alertTargets(keyed.alert, this.options.partitions, this.here())) {
        if (target.partition === this.here()) local.push({ classId: target.classId, keyed });
        else {
          let owed = this.remote.get(keyed.alert);
          if (!owed) this.remote.set(keyed.alert, (owed = []));
          owed.push({ partition: target.partition, classId: target.classId, depth });
        }
      }
    }
    return this.reenterLocally(local, depth);
  }

  /** Alerts into this partition's class engines, one batch per class in the order given; what they raised, in key order. */
  private reenterLocally(items: { classId: string; keyed: KeyedAlert }[], depth: number): KeyedAlert[] {
    const byClass = new Map<string, KeyedAlert[]>();
    for (const { classId, keyed } of items) append(byClass, classId, keyed);
    const raised: KeyedAlert[] = [];
    for (const [classId, level] of byClass) {
      const engine = this.engines.get(classId);
      if (!engine) continue;
      this.counters.alertsIn += level.length;
      raised.push(...engine.reenterLevel(level, depth));
      this.dirty.add(classId);
    }
    return raised;
  }

  private onAlert(alert: Alert): void {
    const seq = this.nextSeq++;
    this.ring.push([seq, alert]);
    this.ringBudget.trim(this.ring);
    const owed = this.remote.get(alert);
    if (!owed) return;
    this.remote.delete(alert);
    for (const { partition, classId, depth } of owed) this.outbox.push({ seq, depth, classId, alert, partition });
  }

  /**
   * Sends what the outbox holds that is not already on its way, one message per partition. A
   * failure leaves the entries queued for the next request or alarm; the request that raised them
   * has been applied and checkpointed, so it must not fail (its client would send it again).
   */
  private async forwardOutbox(): Promise<void> {
    const ready = this.outbox.filter((e) => !this.inFlight.has(e));
    if (!ready.length) return;
    const send = this.options.send;
    if (!send) throw new Error('a partition with alerts for other partitions needs a way to send them');
    const byPartition = new Map<number, OutboxEntry[]>();
    for (const entry of ready) append(byPartition, entry.partition, entry);
    await Promise.all(
      [...byPartition].map(async ([partition, entries]) => {
        for (const entry of entries) this.inFlight.add(entry);
        const floor = Math.min(...this.outbox.filter((e) => e.partition === partition).map((e) => e.seq));
        try {
          await send(partition, { from: this.here(), floor, entries: entries.map(({ seq, depth, classId, alert }) => ({ seq, depth, classId, alert })) });
          const done = new Set(entries);
          this.outbox = this.outbox.filter((e) => !done.has(e));
          this.counters.alertsForwarded += entries.length;
        } catch (error) {
          this.counters.forwardFailures++;
          this.lastForwardError = `to partition ${partition}: ${error instanceof Error ? error.message : String(error)}`;
        } finally {
          for (const entry of entries) this.inFlight.delete(entry);
        }
      }),
    );
    // The shorter outbox is written with the next checkpoint: until then a restart sends the
    // acknowledged entries again, and their receivers skip them.
  }

  /** Until told (setIndex), a node is partition 0: right when it is alone. */
  private here(): number {
    return this.index ?? 0;
  }

  // ── engines ─────────────────────────────────────────────────────────────

  private base(): Engine {
    return this.engines.get(BASE_CLASS_ID)!;
  }

  private async createEngine(classId: string): Promise<Engine> {
    // Alerts re-enter through this node (see the top of this file).
    const engine = await this.makeEngine({ ...this.options.engine, maxReentryDepth: this.maxDepth });
    engine.setAlertTarget(this.alertTarget);
    engine.onAlert((alert) => this.onAlert(alert));
    // Tables are for every engine (utils.inTable may be called by a rule of any class).
    const base = this.engines.get(BASE_CLASS_ID);
    if (base) for (const table of base.tables.names()) replaceTable(engine, table, base.tables.entries(table));
    const raced = this.engines.get(classId);
    if (raced) {
      engine.dispose();
      return raced;
    }
    this.engines.set(classId, engine);
    this.dirty.add(classId);
    return engine;
  }

  private enginesOf(feed: Feed): [string, Engine][] {
    return [...this.engines].filter(([classId]) => classId.startsWith(`${feed}:`));
  }

  private copyIocLists(engine: Engine, lists: string[]): void {
    const base = this.base();
    for (const list of lists) {
      if (engine === base || engine.iocs.exists(list) || !base.iocs.exists(list)) continue;
      loadIocList(engine, list, base.iocs.serialize(list));
    }
  }

  private removeFromEngine(classId: string, name: string, author: string): void {
    this.engines.get(classId)?.removeRule(name, { author });
    this.dirty.add(classId);
    this.dropIdleEngines();
  }

  /** An engine whose class has no rule left holds nothing worth keeping (the base keeps the lists). */
  private dropIdleEngines(): void {
    for (const [classId, engine] of this.engines) {
      if (classId === BASE_CLASS_ID || engine.rules().length) continue;
      engine.dispose();
      this.engines.delete(classId);
      this.engineBytes.delete(classId);
      this.dirty.delete(classId);
    }
  }

  private orderedMeta(): RuleMeta[] {
    return [...this.meta.values()].sort((a, b) => a.order - b.order);
  }

  private rebuildTable(): void {
    this.table = new RoutingTable(this.orderedMeta().map(({ name, classId, selectors }) => ({ name, classId, selectors })), this.options.partitionField);
  }

  // ── checkpoints ─────────────────────────────────────────────────────────

  private async persist(): Promise<void> {
    const store = this.options.store;
    if (!store) return;
    for (const classId of this.dirty) {
      const engine = this.engines.get(classId);
      if (engine) this.engineBytes.set(classId, engine.checkpoint());
    }
    this.dirty.clear();
    const blobs: Uint8Array[] = [];
    const logs = this.logs!;
    const ring = logs.alerts.plan(this.ring, this.nextSeq);
    const ledger = logs.ledger.plan(this.ledger.items(), this.ledger.next);
    const state: NodeState = {
      partitionFormat: 1,
      index: this.index,
      engines: [...this.engineBytes].map(([classId, bytes]) => [classId, blobs.push(bytes) - 1]),
      rules: this.orderedMeta(),
      nextRuleOrder: this.nextRuleOrder,
      ring: { nextSeq: this.nextSeq, log: ring.state },
      outbox: this.outbox,
      applied: [...this.applied],
      counters: { ...this.counters },
      ledgerLog: ledger.state,
      shared: this.shared,
    };
    await store.write(encodeCheckpoint({ document: state, blobs }), mergeWrites(ring.writes, ledger.writes));
    logs.alerts.committed(ring.state, ring.texts);
    logs.ledger.committed(ledger.state, ledger.texts);
  }

  private async restore(bytes: Uint8Array): Promise<void> {
    const { document, blobs } = decodeCheckpoint<NodeState | { partitionFormat?: undefined; extra?: SingleEngineExtra }>(bytes);
    if (document.partitionFormat !== 1) return this.restoreSingleEngine(bytes, document.extra ?? {});
    this.index ??= document.index;
    const shared = document.shared ?? emptyRefs();
    const store = this.blobs();
    const sharedBytes = new Map<string, Uint8Array>();
    const bytesOf = async (hash: string, what: string) => {
      let bytes = sharedBytes.get(hash);
      if (!bytes) sharedBytes.set(hash, (bytes = await readBlob(store!, hash, what)));
      return bytes;
    };
    for (const [classId, blob] of document.engines) {
      const engine = await this.createEngine(classId);
      // Shared lists and tables first: the engine's rules are compiled against them.
      for (const [name, hash] of Object.entries(shared.tables)) replaceTable(engine, name, tableEntries(await bytesOf(hash, `table "${name}"`)));
      const used = new Set(document.rules.filter((r) => r.classId === classId).flatMap((r) => r.iocLists));
      for (const [name, hash] of Object.entries(shared.iocs)) {
        if (classId === BASE_CLASS_ID || used.has(name)) loadIocList(engine, name, await bytesOf(hash, `IOC list "${name}"`));
      }
      engine.restore(blobs[blob]!);
      this.engineBytes.set(classId, blobs[blob]!);
    }
    this.dirty.clear();
    for (const meta of document.rules) this.meta.set(meta.name, meta);
    this.nextRuleOrder = document.nextRuleOrder;
    this.nextSeq = document.ring.nextSeq;
    const bytesStore = this.options.store!.bytes;
    const items = document.ring.log ? await this.logs!.alerts.read<Alert>(bytesStore, document.ring.log) : (document.ring.items ?? []);
    this.ring = items.slice(-this.capacity);
    this.ringBudget.trim(this.ring);
    this.outbox = document.outbox;
    this.applied = new Map(document.applied);
    if (document.ledgerLog) this.ledger.restoreItems(await this.logs!.ledger.read(bytesStore, document.ledgerLog), document.ledgerLog.next);
    else this.ledger.restore(document.ledger);
    this.shared = copyRefs(shared);
    this.counters = { ...this.counters, ...document.counters };
    this.rebuildTable();
  }

  /**
   * A checkpoint of one engine holding every rule (written before re-keying): it becomes the base
   * engine, and the rules of other classes move to their engines. Their open windows stay
   * behind: they held only this partition's share of each key.
   */
  private async restoreSingleEngine(bytes: Uint8Array, extra: SingleEngineExtra): Promise<void> {
    const base = await this.createEngine(BASE_CLASS_ID);
    if (extra.shared) {
      const blobs = this.blobs()!;
      for (const [name, hash] of Object.entries(extra.shared.iocs)) loadIocList(base, name, await readBlob(blobs, hash, `IOC list "${name}"`));
      for (const [name, hash] of Object.entries(extra.shared.tables)) replaceTable(base, name, tableEntries(await readBlob(blobs, hash, `table "${name}"`)));
      this.shared = copyRefs(extra.shared);
    }
    base.restore(bytes);
    if (extra.logs) {
      this.ring = (await this.logs!.alerts.read<Alert>(this.options.store!.bytes, extra.logs.alerts)).slice(-this.capacity);
      this.ringBudget.trim(this.ring);
      this.nextSeq = extra.logs.alerts.next;
    } else if (extra.alerts) {
      this.nextSeq = extra.alerts.nextSeq;
      this.ring = (extra.alerts.items ?? []).slice(-this.capacity);
      this.ringBudget.trim(this.ring);
    }
    for (const info of base.rules()) {
      const ast = parseRules(info.text, info.name).rules[0];
      if (!ast) continue;
      const classId = routingClassOf(ast, this.options.partitionField).id;
      const iocLists = [...new Set(ast.iocFilters.map((t) => t.list))];
      if (classId !== BASE_CLASS_ID) {
        const engine = this.engines.get(classId) ?? (await this.createEngine(classId));
        this.copyIocLists(engine, iocLists);
        engine.putRules(info.text, { file: info.name, author: 'vigil (re-keying)' });
        base.removeRule(info.name, { author: 'vigil (re-keying)' });
      }
      this.meta.set(info.name, { name: info.name, classId, selectors: ast.sources.map((s) => ({ field: s.field, values: s.values })), iocLists, version: info.version, order: this.nextRuleOrder++ });
    }
    this.rebuildTable();
  }
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The engine's reason for refusing an input that is not an event, or undefined for an event. */
export function notAnEvent(event: unknown): string | undefined {
  if (event !== null && typeof event === 'object' && !Array.isArray(event)) return undefined;
  return `event is ${event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event}, not an object`;
}

/**
 * `count` partitions in this process, forwarding alerts to each other directly (as JSON, like the
 * Durable Objects do over fetch): what PartitionedService runs over in tests and single-process servers.
 */
export async function openLocalPartitions(
  count: number,
  makeEngine: EngineFactory,
  options: Omit<PartitionNodeOptions, 'partitions' | 'index' | 'send' | 'store'> & { stores?: ChunkedCheckpointStore[] },
): Promise<PartitionNode[]> {
  const nodes: PartitionNode[] = [];
  const send = (partition: number, message: ForwardMessage) => nodes[partition]!.receiveForward(JSON.parse(JSON.stringify(message)) as ForwardMessage);
  for (let index = 0; index < count; index++) {
    nodes.push(await PartitionNode.open(makeEngine, { ...options, partitions: count, index, send, store: options.stores?.[index] }));
  }
  return nodes;
}

/** A grouped event's position in its request: as the sender said, when it said it and it is a number. */
function positionOf(group: RoutedGroup, index: number, otherwise: number): number {
  const position = group.positions?.[index];
  return typeof position === 'number' && Number.isFinite(position) ? position : otherwise;
}

/** The body of `PUT /rules/:name` holds exactly the rule `name`. */
function checkOneRule(name: string, names: string[]): void {
  if (names.length !== 1 || names[0] !== name) {
    throw new HttpError(400, 'rule-name-mismatch', `the body must hold exactly one rule, named "${name}"; it holds ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'none'}`);
  }
}

/** Routing reads a selector's field and values; a Sigma selector has no place in VGL text. */
const NO_SPAN = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
