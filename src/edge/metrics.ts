/**
 * `GET /metrics`: one document with the same names and meanings on Node, Deno and workerd, and the
 * same numbers in Prometheus text format (`?format=prometheus`).
 *
 * The totals describe the deployment; `perPartition` has one entry per partition beside them (a
 * single-engine server, Node or Deno, is one partition). Every counter counts from the state's
 * creation and survives restarts (it is part of the checkpoint); `eventsPerSecond` is the rate of
 * the last few seconds of this process or Durable Object (not checkpointed).
 *
 * | name | meaning |
 * |---|---|
 * | `eventsIn` | events `POST /events` accepted (each once, however many partitions or routing classes it reached; on partitions, counted by the partition owning its VIGIL_PARTITION_FIELD value) |
 * | `eventsPerSecond` | mean of `eventsIn` per second over the last 4 complete seconds |
 * | `alertsOut` | alerts raised (each once, re-entered ones included) |
 * | `lateEvents` | events behind the watermark by more than the allowed lateness |
 * | `quarantined` | events too far ahead of the clock or their source (vigil.future) |
 * | `deactivations` | rule deactivations (on partitions, one per partition engine that deactivated the rule) |
 * | `reentries` | alerts fed back to rules on alerts (`SOURCES rule = …`) |
 * | `rules` | per rule: routed, matched, alerts, late, errors, suppressed, shed (summed over partitions) and state (`deactivated` if any partition deactivated it) |
 * | `alertRing` | alerts kept for `GET /alerts`: capacity and size (summed over partitions) |
 *
 * Per partition, besides the same counters: `partition` (its number), `deliveries` (events handed
 * to its engines: an event that two routing classes need counts twice), `alertsForwarded`,
 * `forwardFailures`, `lastForwardError`, `outbox` (alerts owed to other partitions), `alertRing`
 * (with `nextSeq`) and `classes` (each routing class engine's own counters).
 */
import type { EngineMetrics } from '../engine/types.js';

export const COUNTER_NAMES = ['eventsIn', 'alertsOut', 'lateEvents', 'quarantined', 'deactivations', 'reentries'] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

export type RuleMetrics = EngineMetrics['rules'][string];

export type Counters = Record<CounterName, number> & { eventsPerSecond: number };

export interface PartitionMetrics extends Counters {
  partition: number;
  deliveries: number;
  alertsForwarded: number;
  forwardFailures: number;
  lastForwardError: string | null;
  outbox: number;
  rules: Record<string, RuleMetrics>;
  alertRing: { capacity: number; size: number; nextSeq: number };
  classes: Record<string, EngineMetrics>;
}

export interface VigilMetrics extends Counters {
  partitions: number;
  alertsForwarded: number;
  rules: Record<string, RuleMetrics>;
  alertRing: { capacity: number; size: number };
  perPartition: PartitionMetrics[];
}

/** Per-rule stats of several engines (or partitions) as one: counts summed, deactivated if any is. */
export function mergeRules(sets: readonly Record<string, RuleMetrics>[]): Record<string, RuleMetrics> {
  const merged: Record<string, RuleMetrics> = {};
  for (const rules of sets) {
    for (const [name, stats] of Object.entries(rules)) {
      const seen = Object.prototype.hasOwnProperty.call(merged, name) ? merged[name] : undefined;
      // defineProperty: a rule may be named `__proto__`.
      const value: RuleMetrics = seen
        ? {
            routed: seen.routed + stats.routed,
            matched: seen.matched + stats.matched,
            alerts: seen.alerts + stats.alerts,
            late: seen.late + stats.late,
            errors: seen.errors + stats.errors,
            suppressed: seen.suppressed + stats.suppressed,
            shed: seen.shed + stats.shed,
            state: seen.state === 'deactivated' || stats.state === 'deactivated' ? 'deactivated' : seen.state,
          }
        : { ...stats };
      Object.defineProperty(merged, name, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return merged;
}

/** The deployment's document from its partitions' (numbered by position when they do not know their number). */
export function totalMetrics(each: readonly PartitionMetrics[]): VigilMetrics {
  const perPartition = each.map((p, i) => ({ ...p, partition: Number.isInteger(p.partition) ? p.partition : i }));
  const sum = (pick: (p: PartitionMetrics) => number) => perPartition.reduce((n, p) => n + pick(p), 0);
  const counters = Object.fromEntries(COUNTER_NAMES.map((name) => [name, sum((p) => p[name])])) as Record<CounterName, number>;
  return {
    partitions: perPartition.length,
    ...counters,
    eventsPerSecond: sum((p) => p.eventsPerSecond),
    alertsForwarded: sum((p) => p.alertsForwarded),
    rules: mergeRules(perPartition.map((p) => p.rules)),
    alertRing: { capacity: sum((p) => p.alertRing.capacity), size: sum((p) => p.alertRing.size) },
    perPartition,
  };
}

// ── Prometheus text format (version 0.0.4) ─────────────────────────────

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const HELP: Record<CounterName | 'eventsPerSecond', [string, 'counter' | 'gauge', string]> = {
  eventsIn: ['vigil_events_in_total', 'counter', 'Events POST /events accepted.'],
  alertsOut: ['vigil_alerts_out_total', 'counter', 'Alerts raised.'],
  lateEvents: ['vigil_late_events_total', 'counter', 'Events later than the allowed lateness.'],
  quarantined: ['vigil_quarantined_events_total', 'counter', 'Events too far ahead of the clock or their source.'],
  deactivations: ['vigil_rule_deactivations_total', 'counter', 'Rule deactivations.'],
  reentries: ['vigil_reentries_total', 'counter', 'Alerts fed back to rules on alerts.'],
  eventsPerSecond: ['vigil_events_per_second', 'gauge', 'Events accepted per second over the last complete seconds.'],
};

const RULE_COUNTERS = ['routed', 'matched', 'alerts', 'late', 'errors', 'suppressed', 'shed'] as const;

/** A label value as the format wants it: backslash, double quote and line feed escaped. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function number(value: number): string {
  return Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
}

/**
 * The document as Prometheus text: deployment totals without labels (`vigil_events_in_total`),
 * per partition under `vigil_partition_*{partition="0"}` (separate names, so that summing a
 * metric never counts a total twice), per rule under `vigil_rule_*{rule="…"}`.
 */
export function prometheusText(metrics: VigilMetrics): string {
  const lines: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${number(value)}`);
  };
  family('vigil_partitions', 'gauge', 'Partitions of the deployment.', [['', metrics.partitions]]);
  for (const key of [...COUNTER_NAMES, 'eventsPerSecond'] as const) {
    const [name, type, help] = HELP[key];
    family(name, type, help, [['', metrics[key]]]);
    family(name.replace(/^vigil_/, 'vigil_partition_'), type, `${help} Per partition.`, metrics.perPartition.map((p) => [`{partition="${p.partition}"}`, p[key]]));
  }
  family('vigil_partition_deliveries_total', 'counter', 'Events handed to a partition engine (once per routing class that needs the event).', metrics.perPartition.map((p) => [`{partition="${p.partition}"}`, p.deliveries]));
  family('vigil_partition_alerts_forwarded_total', 'counter', 'Alerts forwarded to other partitions.', metrics.perPartition.map((p) => [`{partition="${p.partition}"}`, p.alertsForwarded]));
  family('vigil_partition_forward_failures_total', 'counter', 'Forwards to other partitions that failed (retried).', metrics.perPartition.map((p) => [`{partition="${p.partition}"}`, p.forwardFailures]));
  family('vigil_partition_outbox', 'gauge', 'Alerts owed to other partitions.', metrics.perPartition.map((p) => [`{partition="${p.partition}"}`, p.outbox]));
  family('vigil_partition_alert_ring_size', 'gauge', 'Alerts kept for GET /alerts.', metrics.perPartition.map((p) => [`{partition="${p.partition}"}`, p.alertRing.size]));
  family('vigil_partition_alert_ring_capacity', 'gauge', 'Alerts GET /alerts can keep.', metrics.perPartition.map((p) => [`{partition="${p.partition}"}`, p.alertRing.capacity]));
  const rules = Object.entries(metrics.rules);
  for (const counter of RULE_COUNTERS) {
    family(`vigil_rule_${counter}_total`, 'counter', `Per rule: ${counter}.`, rules.map(([name, stats]) => [`{rule="${label(name)}"}`, stats[counter]]));
  }
  family('vigil_rule_active', 'gauge', 'Per rule: 1 while active, 0 once deactivated.', rules.map(([name, stats]) => [`{rule="${label(name)}"}`, stats.state === 'deactivated' ? 0 : 1]));
  return lines.join('\n') + '\n';
}
