/**
 * Re-keying across partitions: which partition (and which engine in it) an event or an alert must
 * reach so that every rule sees every event of its keys, and no event twice.
 *
 * Rules are grouped into *routing classes* by the fields they must be co-located on. A class is a
 * pure function of the rule's own text (never of the other rules), so adding or removing a rule
 * never moves another rule, or its open windows, elsewhere:
 *
 * | rule | class | partition of an input |
 * |---|---|---|
 * | simple, fed by events | `events:partition` | hash(partition field) |
 * | AGGREGATE BY / STATE MACHINE BY keys that include the partition field | `<feed>:partition` | hash(partition field) |
 * | keys without the partition field | `<feed>:key:["f1","f2"]` | hash(group key of f1, f2) |
 * | no key at all | `<feed>:global` | 0 |
 * | simple, fed by alerts (`SOURCES rule = …`) | `alerts:local` | wherever the alert was raised |
 *
 * `<feed>` is `events`, or `alerts` for rules that select on `rule` (they correlate other rules'
 * alerts). Each partition runs one engine per class; an event goes, for every event class with a
 * rule whose SOURCES it matches, to the partition owning its class key, tagged with the class.
 * Alerts are forwarded likewise to the alert classes whose rules select them.
 *
 * A class's key is hashed from the same group-key text the engine groups by (groupKeyText, over
 * the fields sorted by name so `BY a, b` and `BY b, a` share a class): two events of one group
 * always meet the same engine. The partition-field class keeps the text partitions have always
 * been hashed from (partitionKeyText), so a deployment that only has such rules keeps its layout.
 */
import { Router, type RoutedRule } from '../engine/router.js';
import { getField, groupKeyText, scalarText, type EventRecord } from '../lang/fields.js';
import type { RuleAst } from '../lang/ast.js';

/** Alerts re-enter the engine with this field naming the rule that raised them. */
export const ALERT_RULE_FIELD = 'rule';

export type Feed = 'events' | 'alerts';
export type Placement = 'partition' | 'key' | 'global' | 'local';

export interface RoutingClass {
  /** Stable text naming the class: `events:partition`, `events:key:["user.name"]`, `alerts:local`… */
  id: string;
  feed: Feed;
  placement: Placement;
  /** For `key`: the fields hashed, sorted by name; for `partition`: the partition field. */
  fields: string[];
}

export interface Selector {
  field: string;
  values: string[];
}

/** What the router needs to know of one rule. */
export interface RuleRoute {
  name: string;
  classId: string;
  selectors: Selector[];
}

/** The class every partition always has: it holds the IOC lists even before any rule uses them. */
export const BASE_CLASS_ID = 'events:partition';

/** The fields a rule groups by, or undefined for a rule that does not group (a simple rule). */
export function ruleKeyFields(rule: Pick<RuleAst, 'aggregateBy' | 'stateMachine'>): string[] | undefined {
  const fields = rule.aggregateBy ?? rule.stateMachine?.keyFields;
  return fields?.map((f) => f.field);
}

export function ruleFeed(rule: Pick<RuleAst, 'sources'>): Feed {
  return rule.sources.some((s) => s.field === ALERT_RULE_FIELD) ? 'alerts' : 'events';
}

export function routingClassOf(rule: Pick<RuleAst, 'aggregateBy' | 'stateMachine' | 'sources'>, partitionField: string): RoutingClass {
  const feed = ruleFeed(rule);
  const keys = ruleKeyFields(rule);
  if (keys === undefined) {
    // A simple rule correlates nothing: any one engine will do. Events go by the partition field;
    // an alert is handled where it was raised, which costs no forwarding.
    return feed === 'events' ? classFor(feed, 'partition', [partitionField]) : classFor(feed, 'local', []);
  }
  if (keys.includes(partitionField)) return classFor(feed, 'partition', [partitionField]);
  if (!keys.length) return classFor(feed, 'global', []);
  return classFor(feed, 'key', [...new Set(keys)].sort());
}

export function parseClassId(id: string, partitionField: string): RoutingClass {
  const match = /^(events|alerts):(partition|global|local|key)(?::(.*))?$/.exec(id);
  if (!match) throw new Error(`"${id}" is not a routing class`);
  const placement = match[2] as Placement;
  const fields = placement === 'partition' ? [partitionField] : match[3] === undefined ? [] : (JSON.parse(match[3]) as string[]);
  return { id, feed: match[1] as Feed, placement, fields };
}

function classFor(feed: Feed, placement: Placement, fields: string[]): RoutingClass {
  // The partition field is configuration, not part of the rule: leave it out of the id so the
  // id does not change meaning if the deployment is repartitioned by another field.
  const id = placement === 'key' ? `${feed}:key:${JSON.stringify(fields)}` : `${feed}:${placement}`;
  return { id, feed, placement, fields };
}

/** FNV-1a over the UTF-16 code units of the key's text: stable across runtimes and restarts. */
export function partitionOf(key: string, partitions: number): number {
  return fnv1a(key) % partitions;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The text a partition key is hashed from; events without the field go to partition 0. */
export function partitionKeyText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return scalarText(value) ?? JSON.stringify(value);
}

/**
 * The partition that owns `record` for a class. `origin` is the partition an alert was raised in
 * (for `local`); events have none and never belong to a local class.
 */
export function partitionFor(cls: RoutingClass, record: EventRecord, partitions: number, origin = 0): number {
  switch (cls.placement) {
    case 'partition': {
      const key = partitionKeyText(getField(record, cls.fields[0]!));
      return key === undefined ? 0 : partitionOf(key, partitions);
    }
    case 'key':
      // As the engine keys its groups: a missing field is null.
      return partitionOf(groupKeyText(cls.fields.map((f) => getField(record, f) ?? null)), partitions);
    case 'global':
      return 0;
    case 'local':
      return origin;
  }
}

/** Where one input goes: a partition and the class engine in it. */
export interface Target {
  partition: number;
  classId: string;
}

interface RoutedClassRule extends RoutedRule {
  readonly classId: string;
}

/** What a partition publishes about its rules, and what routers rebuild a RoutingTable from. */
export interface RoutingDescription {
  version: string;
  rules: RuleRoute[];
}

/**
 * The routes of a set of rules. Built identically by the Worker (events) and by each partition
 * (alerts), from the rules' classes and SOURCES selectors.
 */
export class RoutingTable {
  readonly version: string;
  readonly classes = new Map<string, RoutingClass>();
  private readonly eventRouter = new Router<RoutedClassRule>();
  private readonly alertRouter = new Router<RoutedClassRule>();
  private readonly eventClasses: RoutingClass[] = [];

  constructor(
    readonly rules: readonly RuleRoute[],
    partitionField: string,
  ) {
    this.version = routingVersion(rules);
    rules.forEach((rule, order) => {
      let cls = this.classes.get(rule.classId);
      if (!cls) {
        cls = parseClassId(rule.classId, partitionField);
        this.classes.set(cls.id, cls);
        if (cls.feed === 'events') this.eventClasses.push(cls);
      }
      const routed: RoutedClassRule = { order, selectors: rule.selectors, classId: rule.classId };
      (cls.feed === 'events' ? this.eventRouter : this.alertRouter).add(routed);
    });
  }

  describe(): RoutingDescription {
    return { version: this.version, rules: [...this.rules] };
  }

  /** The engines an event must reach: one per event class with a rule whose SOURCES it matches. */
  eventTargets(event: EventRecord, partitions: number): Target[] {
    return this.targets(this.eventRouter, event, partitions, 0);
  }

  /** The engines an alert raised in partition `origin` must reach. */
  alertTargets(alert: EventRecord, partitions: number, origin: number): Target[] {
    return this.targets(this.alertRouter, alert, partitions, origin);
  }

  private targets(router: Router<RoutedClassRule>, record: EventRecord, partitions: number, origin: number): Target[] {
    const classIds = new Set<string>();
    router.route(record, (rule) => classIds.add(rule.classId));
    const out: Target[] = [];
    for (const classId of classIds) out.push({ partition: partitionFor(this.classes.get(classId)!, record, partitions, origin), classId });
    return out;
  }
}

/** Equal rule sets (names, classes, selectors) give equal versions, whatever partition computes it. */
export function routingVersion(rules: readonly RuleRoute[]): string {
  const canonical = [...rules].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((r) => [r.name, r.classId, r.selectors.map((s) => [s.field, s.values])]);
  const text = JSON.stringify(canonical);
  // Two FNV-1a hashes of different seeds would be overkill; the length makes accidental equality rarer still.
  return `${fnv1a(text).toString(36)}-${text.length.toString(36)}`;
}
