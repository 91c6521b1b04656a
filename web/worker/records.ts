/**
 * What the engine worker persists, as plain records, and the pure functions that build them.
 * Every IndexedDB write is built completely from these before its transaction opens (a
 * transaction closes as soon as anything else is awaited).
 */
import type { RuleHistoryEntry, SimulatorSettings } from '../../src/runtime/worker/protocol.js';

/** Bump when a record shape changes; `readStore` drops data of another version. */
export const STORE_FORMAT = 1;

export interface RuleRecord {
  name: string;
  text: string;
  enabled: boolean;
  /** Position among the rules (the engine's order: alerts come out by rule order). */
  order: number;
}

export interface HistoryRecord {
  name: string;
  versions: RuleHistoryEntry[];
}

export interface ListRecord {
  name: string;
  /** The entries (empty when `filter` holds the list). */
  entries: string[];
  /**
   * A large IOC list (over LARGE_LIST_ENTRIES) is kept as its cuckoo filter's `serialize()` bytes
   * rather than millions of strings; `entries` is then empty and `count` says how many it holds.
   */
  filter?: Uint8Array;
  count?: number;
}

/** A list record holding filter bytes instead of entries. */
export function filterRecord(name: string, filter: Uint8Array, count: number): ListRecord {
  return { name, entries: [], filter, count };
}

const filterHashes = new WeakMap<Uint8Array, string>();

/** FNV-1a of filter bytes (cached per array: the host keeps the record it persisted). */
export function filterHash(bytes: Uint8Array): string {
  let hash = filterHashes.get(bytes);
  if (hash === undefined) {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    hash = `${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}:${bytes.length}`;
    filterHashes.set(bytes, hash);
  }
  return hash;
}

export interface SettingsRecord {
  format: number;
  simulator: SimulatorSettings;
  simulatorRunning: boolean;
}

/** The engine's whole state (checkpoint bytes) and what it was taken over. */
export interface CheckpointRecord {
  format: number;
  /** Processing time it was taken (epoch ms). */
  time: number;
  bytes: Uint8Array;
  /**
   * `stateSignature` of the rules and lists persisted when it was taken: restored only when the
   * persisted rules and lists still match (they are saved at once; checkpoints only now and then).
   */
  signature: string;
}

/** A short hash of rules (in order, with their enabled flag) and lists: equal state, equal text. */
export function stateSignature(state: { rules: RuleRecord[]; iocs: ListRecord[]; tables: ListRecord[] }): string {
  const rules = [...state.rules].sort((a, b) => a.order - b.order).map((r) => [r.name, r.text, r.enabled]);
  const lists = (l: ListRecord[]) => [...l].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((x) => [x.name, x.filter ? ['filter', filterHash(x.filter)] : [...x.entries].sort()]);
  const text = JSON.stringify([rules, lists(state.iocs), lists(state.tables)]);
  // FNV-1a, 2 × 32 bits.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return `${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}:${text.length}`;
}

export function readCheckpointRecord(value: unknown): CheckpointRecord | undefined {
  if (!isObject(value) || value.format !== STORE_FORMAT || typeof value.time !== 'number' || typeof value.signature !== 'string') return undefined;
  const bytes = value.bytes;
  if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) return undefined;
  return { format: STORE_FORMAT, time: value.time, bytes, signature: value.signature };
}

/** One write: records to put and keys to delete, per store. */
export interface WritePlan {
  rules?: { put: RuleRecord[]; delete: string[] };
  history?: { put: HistoryRecord[] };
  iocs?: { put: ListRecord[]; delete: string[] };
  tables?: { put: ListRecord[]; delete: string[] };
  settings?: SettingsRecord;
}

export function ruleRecords(rules: { name: string; text: string; state: string }[]): RuleRecord[] {
  return rules.map((r, order) => ({ name: r.name, text: r.text, enabled: r.state !== 'disabled', order }));
}

/** A list record with entries trimmed, deduplicated, blank lines and # comments left out. */
export function listRecord(name: string, entries: Iterable<string>): ListRecord {
  return { name, entries: normalizeEntries(entries) };
}

export function normalizeEntries(entries: Iterable<string>): string[] {
  const seen = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry && !entry.startsWith('#')) seen.add(entry);
  }
  return [...seen];
}

/** Splits a pasted list (one entry a line, or separated by commas/whitespace). */
export function parseEntries(text: string): string[] {
  return normalizeEntries(
    text
      .split(/\r?\n/)
      .filter((line) => !line.trim().startsWith('#'))
      .flatMap((line) => line.split(/[\s,;]+/)),
  );
}

/** Appends a version to a history record (a new record; the input is not changed). */
export function appendHistory(
  record: HistoryRecord | undefined,
  name: string,
  entry: Omit<RuleHistoryEntry, 'version'>,
): HistoryRecord {
  const versions = record?.versions ?? [];
  const version = (versions[versions.length - 1]?.version ?? 0) + 1;
  return { name, versions: [...versions, { ...entry, version }] };
}

/** Validates a record read back from storage; returns undefined for anything malformed. */
export function readRuleRecord(value: unknown): RuleRecord | undefined {
  if (!isObject(value)) return undefined;
  const { name, text, enabled, order } = value;
  if (typeof name !== 'string' || typeof text !== 'string') return undefined;
  return { name, text, enabled: enabled !== false, order: typeof order === 'number' ? order : 0 };
}

export function readHistoryRecord(value: unknown): HistoryRecord | undefined {
  if (!isObject(value) || typeof value.name !== 'string' || !Array.isArray(value.versions)) return undefined;
  const versions: RuleHistoryEntry[] = [];
  for (const v of value.versions) {
    if (!isObject(v) || typeof v.version !== 'number' || typeof v.text !== 'string') continue;
    versions.push({
      version: v.version,
      action: (typeof v.action === 'string' ? v.action : 'replace') as RuleHistoryEntry['action'],
      text: v.text,
      author: typeof v.author === 'string' ? v.author : 'unknown',
      time: typeof v.time === 'number' ? v.time : 0,
      ...(typeof v.from === 'number' ? { from: v.from } : {}),
    });
  }
  return { name: value.name, versions };
}

export function readListRecord(value: unknown): ListRecord | undefined {
  if (!isObject(value) || typeof value.name !== 'string') return undefined;
  if (value.filter instanceof Uint8Array && value.filter.byteLength > 0) {
    return filterRecord(value.name, value.filter, typeof value.count === 'number' ? value.count : 0);
  }
  if (!Array.isArray(value.entries)) return undefined;
  return listRecord(value.name, value.entries.filter((e): e is string => typeof e === 'string'));
}

export function readSettingsRecord(value: unknown): SettingsRecord | undefined {
  if (!isObject(value) || value.format !== STORE_FORMAT || !isObject(value.simulator)) return undefined;
  const s = value.simulator;
  if (!Array.isArray(s.mix) || typeof s.rate !== 'number' || typeof s.seed !== 'number') return undefined;
  return {
    format: STORE_FORMAT,
    simulator: {
      mix: s.mix.filter(isObject).map((p) => ({
        generator: p.generator as never,
        weight: Number(p.weight) || 1,
        ...(typeof p.errorProbability === 'number' ? { errorProbability: p.errorProbability } : {}),
      })),
      rate: s.rate,
      errorProbability: typeof s.errorProbability === 'number' ? s.errorProbability : 0,
      seed: s.seed,
    },
    simulatorRunning: value.simulatorRunning !== false,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
