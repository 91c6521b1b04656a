/**
 * Partitioning: events are spread over N engines by the value of one field (the partition key),
 * hashed with FNV-1a, so every event of one key meets the same engine. Rules and IOC lists are
 * applied to every partition; alerts are merged.
 *
 * A rule gives the same alerts split as on one engine when everything it correlates shares the
 * partition key: simple rules always; aggregation and state-machine rules when their AGGREGATE BY /
 * STATE MACHINE BY keys include the partition field. Others see only their partition's share of
 * the events (see docs/decisions/2026-11-21-edge-runtimes.md).
 */
import type { Alert } from '../engine/engine.js';
import { getField, scalarText } from '../engine/fields.js';
import { HttpError, type AlertPage, type IngestResult, type PutRuleResult, type RuleSummary, type VigilService } from './service.js';

/** FNV-1a over the UTF-16 code units of the key's text: stable across runtimes and restarts. */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** The text a partition key is hashed from; events without the field go to partition 0. */
export function partitionKeyText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return scalarText(value) ?? JSON.stringify(value);
}

export class PartitionedService implements VigilService {
  constructor(
    private readonly partitions: VigilService[],
    private readonly field: string,
  ) {
    if (!partitions.length) throw new Error('PartitionedService needs at least one partition');
  }

  async ingest(events: Record<string, unknown>[]): Promise<IngestResult> {
    const groups = this.partitions.map(() => ({ events: [] as Record<string, unknown>[], indices: [] as number[] }));
    events.forEach((event, index) => {
      const key = partitionKeyText(getField(event, this.field));
      const group = groups[key === undefined ? 0 : partitionOf(key, this.partitions.length)]!;
      group.events.push(event);
      group.indices.push(index);
    });
    const results = await Promise.all(groups.map((g, i) => (g.events.length ? this.partitions[i]!.ingest(g.events) : undefined)));
    const out: IngestResult = { accepted: 0, rejected: [] };
    results.forEach((result, i) => {
      if (!result) return;
      out.accepted += result.accepted;
      for (const r of result.rejected) out.rejected.push({ index: groups[i]!.indices[r.index] ?? r.index, reason: r.reason });
    });
    out.rejected.sort((a, b) => a.index - b.index);
    return out;
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

  async putRule(name: string, text: string, author: string): Promise<PutRuleResult> {
    // Partition 0 checks the rule first, so an invalid rule reaches no partition.
    const first = await this.partitions[0]!.putRule(name, text, author);
    if (!first.ok) return first;
    const rest = await Promise.all(this.partitions.slice(1).map((p) => p.putRule(name, text, author)));
    const failed = rest.find((r) => !r.ok);
    return failed ?? first;
  }

  rules(): Promise<RuleSummary[]> {
    return this.partitions[0]!.rules();
  }

  async deleteRule(name: string, author: string): Promise<boolean> {
    const results = await Promise.all(this.partitions.map((p) => p.deleteRule(name, author)));
    return results.some(Boolean);
  }

  async putIocList(name: string, entries: string[]): Promise<{ count: number }> {
    const results = await Promise.all(this.partitions.map((p) => p.putIocList(name, entries)));
    return results[0]!;
  }

  async deleteIocList(name: string): Promise<boolean> {
    // Partition 0 first: a list in use is refused there (409) before any partition drops it.
    if (!(await this.partitions[0]!.deleteIocList(name))) return false;
    await Promise.all(this.partitions.slice(1).map((p) => p.deleteIocList(name)));
    return true;
  }

  async flush(): Promise<void> {
    await Promise.all(this.partitions.map((p) => p.flush()));
  }

  async metrics(): Promise<unknown> {
    const each = (await Promise.all(this.partitions.map((p) => p.metrics()))) as Record<string, unknown>[];
    const total: Record<string, number> = {};
    for (const m of each) {
      for (const key of ['eventsIn', 'alertsOut', 'lateEvents', 'deactivations', 'reentries', 'eventsPerSecond']) {
        if (typeof m[key] === 'number') total[key] = (total[key] ?? 0) + (m[key] as number);
      }
    }
    return { partitions: each.length, ...total, perPartition: each };
  }
}
