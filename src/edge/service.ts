/**
 * What the HTTP API asks of whatever sits behind it: one engine (EngineInstance), a set of
 * partitions (PartitionedService), or another server (RemoteService). Every method is async so the
 * three are interchangeable.
 */
import type { Alert, EngineMetrics, RuleInfo } from '../engine/engine.js';
import type { Diagnostic } from '../lang/diagnostic.js';
import type { RuleLanguage } from '../engine/rule-plan.js';

/** The key of an idempotent ingest (src/edge/ingest-ledger.ts keeps what each key was answered). */
export interface IngestKey {
  key: string;
  /** A digest of the request's events: the same key with other events is a client error. */
  fingerprint: string;
}

export interface IngestResult {
  accepted: number;
  /** Indices (0-based) into the events handed in, with the reason each was refused. */
  rejected: { index: number; reason: string }[];
  /** True when the batch's key had been applied already: this is the first attempt's answer, nothing was applied. */
  replayed?: boolean;
}

export interface AlertPage {
  alerts: Alert[];
  /** Pass back as `since` to get the alerts after these. Opaque. */
  cursor: string;
  /** Alerts that left the ring before they were read (the reader fell behind). */
  dropped: number;
}

/** A rule as `GET /rules` lists it: its status, without the engine's internals. */
export type RuleSummary = Pick<RuleInfo, 'name' | 'state' | 'deactivation' | 'version' | 'kind' | 'text' | 'stats'>;

export type PutRuleResult = { ok: true; created: boolean; version: number } | { ok: false; diagnostics: Diagnostic[] };

export interface InstanceMetrics extends EngineMetrics {
  alertRing: { capacity: number; size: number; nextSeq: number };
}

export interface VigilService {
  /**
   * Applies a batch. With a key, exactly once: a batch whose key was applied already (and is still
   * in the ledger, src/edge/ingest-ledger.ts) is not applied again and gets the first answer.
   */
  ingest(events: Record<string, unknown>[], key?: IngestKey): Promise<IngestResult>;
  alerts(since: string | undefined, limit: number): Promise<AlertPage>;
  /** `language`: VGL by default; `sigma` for a Sigma rule (YAML) whose title is `name`. */
  putRule(name: string, text: string, author: string, language?: RuleLanguage): Promise<PutRuleResult>;
  rules(): Promise<RuleSummary[]>;
  /** False when there is no such rule. */
  deleteRule(name: string, author: string): Promise<boolean>;
  /** Creates the list, or replaces its entries. */
  putIocList(name: string, entries: string[]): Promise<{ count: number }>;
  /** False when there is no such list; an HttpError 409 when a rule uses it. */
  deleteIocList(name: string): Promise<boolean>;
  /** Adds entries to a list (created when there is none). */
  addIocEntries(name: string, entries: string[]): Promise<{ count: number }>;
  /** Removes entries from a list; undefined when there is no such list. */
  removeIocEntries(name: string, entries: string[]): Promise<{ count: number; removed: number } | undefined>;
  /** Creates the table (`utils.inTable`), or replaces its entries. */
  putTable(name: string, entries: string[]): Promise<{ count: number }>;
  /** The table's entries; undefined when there is no such table. */
  getTable(name: string): Promise<string[] | undefined>;
  /** False when there is no such table. */
  deleteTable(name: string): Promise<boolean>;
  /** End of input: every open window fires. */
  flush(): Promise<void>;
  metrics(): Promise<unknown>;
}

/** An error the HTTP layer turns into a JSON response with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
