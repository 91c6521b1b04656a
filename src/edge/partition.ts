/**
 * Partitioning: events are spread over N partitions so that every rule sees every event of its
 * keys and no event twice. Each partition runs one engine per routing class (src/edge/routing.ts);
 * an event goes, for each class with a rule it can reach, to the partition owning its key in that
 * class. Alerts are forwarded between partitions by the partitions themselves (PartitionNode).
 * Rules and IOC lists are applied to every partition; alerts are merged. The same class serves
 * the Cloudflare Worker (partitions are Durable Objects behind RemotePartition) and a single
 * process (partitions are PartitionNodes): see docs/partitioning.md.
 */
import type { RuleLanguage } from '../engine/rule-plan.js';
import type { Alert } from '../engine/engine.js';
import { notAnEvent, type PartitionClient, type RoutedGroup, type RoutedIngestResult } from './partition-node.js';
import { partitionKeyText, partitionOf, RoutingTable, type Target } from './routing.js';
import { getField } from '../lang/fields.js';
import { totalMetrics, type PartitionMetrics, type VigilMetrics } from './metrics.js';
import { HttpError, type AlertPage, type IngestKey, type IngestResult, type PutRuleResult, type RuleSummary, type VigilService } from './service.js';

export { partitionKeyText, partitionOf } from './routing.js';

/** How many times one ingest re-reads a routing table that changed under it (a rule PUT racing it). */
const ROUTING_RETRIES = 3;
/** Flush rounds for chains of alert-fed rules, as one engine's default re-entry depth. */
const MAX_FLUSH_ROUNDS = 9;

export class PartitionedService implements VigilService {
  /** The routes of the rules as partition 0 last told them; refreshed when a partition answers with another version. */
  private table: RoutingTable | undefined;

  constructor(
    private readonly partitions: PartitionClient[],
    private readonly field: string,
  ) {
    if (!partitions.length) throw new Error('PartitionedService needs at least one partition');
  }

  /**
   * Sends each event to the engines its rules live in. If a partition's routing version is not the
   * one the events were routed with, a rule changed meanwhile: the table is read again and the
   * events are sent to the engines the new table adds (never again to one they reached).
   *
   * With a key, each partition applies its share once (its ledger, src/edge/ingest-ledger.ts). A
   * partition that cannot be reached leaves the batch partial: the answer is a 503
   * `partial-ingest` naming the partitions that applied it and those that did not, and the same
   * request with the same key completes it (those that applied it answer from their ledgers).
   */
  async ingest(events: Record<string, unknown>[], key?: IngestKey): Promise<IngestResult> {
    const rejected: IngestResult['rejected'] = [];
    const valid: { index: number; event: Record<string, unknown> }[] = [];
    events.forEach((event, index) => {
      const reason = notAnEvent(event);
      if (reason) rejected.push({ index, reason });
      else valid.push({ index, event });
    });
    const reached = valid.map(() => new Set<string>());
    // An event whose processing failed in some engine (it was processed in the others it reached).
    const failed = new Map<number, string>();
    let table = await this.routingTable();
    let replayed = false;
    for (let round = 0; ; round++) {
      // A key per round: a round's share differs from the first round's (only the targets a new table adds).
      const roundKey = key && { key: round ? `${key.key}#${round}` : key.key, fingerprint: key.fingerprint };
      const sent = await this.send(table, valid, reached, failed, roundKey, round === 0 ? this.homeCounts(valid) : undefined);
      const versions = sent.versions;
      replayed ||= sent.replayed;
      if (versions.every((v) => v === table.version) || round === ROUTING_RETRIES) break;
      table = await this.routingTable(true);
    }
    for (const [i, reason] of failed) rejected.push({ index: valid[i]!.index, reason });
    rejected.sort((a, b) => a.index - b.index);
    return { accepted: valid.length - failed.size, rejected, ...(replayed ? { replayed } : {}) };
  }

  /** One round of ingest: the targets of each event not yet reached. Returns the partitions' routing versions. */
  /**
   * How many of the accepted events each partition counts in its metrics' `eventsIn`: each event
   * once, at the partition owning its partition-field value (partition 0 without one), so the
   * totals count events as one engine does, however many routing classes an event reaches.
   */
  private homeCounts(valid: { event: Record<string, unknown> }[]): number[] {
    const counts = this.partitions.map(() => 0);
    for (const { event } of valid) {
      const key = partitionKeyText(getField(event, this.field));
      counts[key === undefined ? 0 : partitionOf(key, this.partitions.length)]!++;
    }
    return counts;
  }

  private async send(
    table: RoutingTable,
    valid: { event: Record<string, unknown> }[],
    reached: Set<string>[],
    failed: Map<number, string>,
    key: IngestKey | undefined,
    accepted?: number[],
  ): Promise<{ versions: string[]; replayed: boolean }> {
    const groups = this.partitions.map(() => new Map<string, RoutedGroup & { origin: number[] }>());
    valid.forEach(({ event }, i) => {
      for (const target of table.eventTargets(event, this.partitions.length)) {
        const id = targetId(target);
        if (reached[i]!.has(id)) continue;
        reached[i]!.add(id);
        const byClass = groups[target.partition]!;
        let group = byClass.get(target.classId);
        if (!group) byClass.set(target.classId, (group = { classId: target.classId, events: [], origin: [] }));
        group.events.push(event);
        group.origin.push(i);
      }
    });
    const settled = await Promise.allSettled(
      groups.map((byClass, p) =>
        // A partition no event reaches is still told the events it counts.
        byClass.size || accepted?.[p]
          ? this.partitions[p]!.ingestRouted({
              routing: table.version,
              groups: [...byClass.values()].map(({ classId, events, origin }) => ({ classId, events, positions: origin })),
              ...(accepted?.[p] ? { accepted: accepted[p] } : {}),
              ...(key ? { key } : {}),
            })
          : undefined,
      ),
    );
    const unreached = settled.flatMap((s, p) => (s.status === 'rejected' ? [p] : []));
    if (unreached.length) throw partialIngest(settled, unreached, key);
    const results = settled.map((s) => (s as PromiseFulfilledResult<RoutedIngestResult | undefined>).value);
    results.forEach((result, p) => {
      const sent = [...groups[p]!.values()];
      for (const r of result?.rejected ?? []) {
        const i = sent[r.group]!.origin[r.index]!;
        if (!failed.has(i)) failed.set(i, r.reason);
      }
    });
    return { versions: results.flatMap((r) => (r ? [r.routing] : [])), replayed: results.some((r) => r?.replayed) };
  }

  private async routingTable(refresh = false): Promise<RoutingTable> {
    if (!this.table || refresh) this.table = new RoutingTable((await this.partitions[0]!.routing()).rules, this.field);
    return this.table;
  }

  /**
   * The cursor is the partitions' cursors joined by `.`. Alerts come partition by partition: order
   * holds within a partition (that is, per key), not across partitions.
   */
  async alerts(since: string | undefined, limit: number): Promise<AlertPage> {
    const cursors = since === undefined || since === '' ? this.partitions.map(() => undefined) : since.split('.');
    if (cursors.length !== this.partitions.length) {
      throw new HttpError(400, 'bad-cursor', `cursor "${since}" was not made for ${this.partitions.length} partitions`);
    }
    // Every part now, not only those of the partitions read: the others are handed back in the next cursor.
    if (cursors.some((part) => part !== undefined && !/^\d*$/.test(part))) {
      throw new HttpError(400, 'bad-cursor', `cursor "${since!.slice(0, 100)}" is not one this server gave`);
    }
    const alerts: Alert[] = [];
    const next: string[] = [];
    let dropped = 0;
    for (let i = 0; i < this.partitions.length; i++) {
      const room = limit - alerts.length;
      if (room <= 0) {
        next.push(cursors[i] ?? '0');
        continue;
      }
      const page = await this.partitions[i]!.alerts(cursors[i], room);
      alerts.push(...page.alerts);
      dropped += page.dropped;
      next.push(page.cursor);
    }
    return { alerts, cursor: next.join('.'), dropped };
  }

  async putRule(name: string, text: string, author: string, language?: RuleLanguage): Promise<PutRuleResult> {
    // Partition 0 checks the rule first, so an invalid rule reaches no partition.
    const first = await this.partitions[0]!.putRule(name, text, author, language);
    if (!first.ok) return first;
    const rest = await Promise.all(this.partitions.slice(1).map((p) => p.putRule(name, text, author, language)));
    this.table = undefined;
    const failed = rest.find((r) => !r.ok);
    return failed ?? first;
  }

  rules(): Promise<RuleSummary[]> {
    return this.partitions[0]!.rules();
  }

  async deleteRule(name: string, author: string): Promise<boolean> {
    const results = await Promise.all(this.partitions.map((p) => p.deleteRule(name, author)));
    this.table = undefined;
    return results.some(Boolean);
  }

  /**
   * Lists are built once: partition 0 applies the change (parsing the entries, building the
   * filter), and the other partitions load its filter's bytes, which is a copy, not a build.
   */
  async putIocList(name: string, entries: string[]): Promise<{ count: number }> {
    const result = await this.partitions[0]!.putIocList(name, entries);
    await this.shareIocFilter(name);
    return result;
  }

  private async shareIocFilter(name: string): Promise<void> {
    if (this.partitions.length === 1) return;
    const bytes = await this.partitions[0]!.iocFilter(name);
    if (!bytes) return;
    await Promise.all(this.partitions.slice(1).map((p) => p.loadIocFilter(name, bytes)));
  }

  async addIocEntries(name: string, entries: string[]): Promise<{ count: number }> {
    const result = await this.partitions[0]!.addIocEntries(name, entries);
    await this.shareIocFilter(name);
    return result;
  }

  async removeIocEntries(name: string, entries: string[]): Promise<{ count: number; removed: number } | undefined> {
    const result = await this.partitions[0]!.removeIocEntries(name, entries);
    if (result) await this.shareIocFilter(name);
    return result;
  }

  async putTable(name: string, entries: string[]): Promise<{ count: number }> {
    const results = await Promise.all(this.partitions.map((p) => p.putTable(name, entries)));
    return results[0]!;
  }

  getTable(name: string): Promise<string[] | undefined> {
    return this.partitions[0]!.getTable(name);
  }

  async deleteTable(name: string): Promise<boolean> {
    const results = await Promise.all(this.partitions.map((p) => p.deleteTable(name)));
    return results.some(Boolean);
  }

  async deleteIocList(name: string): Promise<boolean> {
    // Partition 0 first: a list in use is refused there (409) before any partition drops it.
    if (!(await this.partitions[0]!.deleteIocList(name))) return false;
    await Promise.all(this.partitions.slice(1).map((p) => p.deleteIocList(name)));
    return true;
  }

  /**
   * As one engine flushes: the windows of event-fed rules first (their alerts are forwarded before
   * each partition answers), then the alert-fed rules', again while that raises alerts for further
   * alert-fed rules.
   */
  async flush(): Promise<void> {
    await Promise.all(this.partitions.map((p) => p.flushStage('events')));
    for (let round = 0; round < MAX_FLUSH_ROUNDS; round++) {
      const results = await Promise.all(this.partitions.map((p) => p.flushStage('alerts')));
      if (!results.some((r) => r.produced)) break;
    }
  }

  /** The partitions' metrics and their totals (src/edge/metrics.ts). */
  async metrics(): Promise<VigilMetrics> {
    return totalMetrics((await Promise.all(this.partitions.map((p) => p.metrics()))) as PartitionMetrics[]);
  }
}

/** The error of a batch some partitions applied and others did not (or may not have). */
function partialIngest(settled: PromiseSettledResult<RoutedIngestResult | undefined>[], unreached: number[], key: IngestKey | undefined): HttpError {
  const applied = settled.flatMap((s, p) => (s.status === 'fulfilled' && s.value ? [p] : []));
  const reasons = unreached.map((p) => {
    const reason = (settled[p] as PromiseRejectedResult).reason;
    return `partition ${p}: ${reason instanceof Error ? reason.message : String(reason)}`;
  });
  const advice = key
    ? `send the same request with the same Idempotency-Key ("${key.key}") to complete it: partitions that applied it will not apply it again`
    : 'without an Idempotency-Key a retry applies the batch again on the partitions that had applied it';
  return new HttpError(503, 'partial-ingest', `the batch reached ${applied.length ? `partitions ${applied.join(', ')}` : 'no partition'} but not ${unreached.join(', ')} (${reasons.join('; ')}); ${advice}`, {
    applied,
    unreached,
    ...(key ? { key: key.key } : {}),
  });
}

function targetId(target: Target): string {
  return `${target.partition} ${target.classId}`;
}
