/**
 * IndexedDB persistence of the worker's state (rules, their history, IOC lists, tables, settings),
 * with idb. Writes are planned fully (records.ts) before the transaction opens, and one plan is
 * one transaction: it lands whole or not at all.
 */
import { openDB, type IDBPDatabase } from 'idb';
import {
  readCheckpointRecord,
  readHistoryRecord,
  readListRecord,
  readRuleRecord,
  readSettingsRecord,
  type CheckpointRecord,
  type HistoryRecord,
  type ListRecord,
  type RuleRecord,
  type SettingsRecord,
  type WritePlan,
} from './records.js';

const DB_NAME = 'vigil';
const DB_VERSION = 2;
const STORES = ['rules', 'history', 'iocs', 'tables', 'settings'] as const;
/** The engine checkpoint (one record, key 'engine'); written apart from the rest, much more often. */
const CHECKPOINT_STORE = 'checkpoint';

export interface StoredState {
  rules: RuleRecord[];
  history: HistoryRecord[];
  iocs: ListRecord[];
  tables: ListRecord[];
  settings?: SettingsRecord;
}

/** Where the worker keeps its state. `MemoryStore` when IndexedDB is off or unavailable. */
export interface StateStore {
  read(): Promise<StoredState | undefined>;
  write(plan: WritePlan): Promise<void>;
  clear(): Promise<void>;
  readCheckpoint(): Promise<CheckpointRecord | undefined>;
  /** The record is complete before this is called: the transaction opens and closes inside. */
  writeCheckpoint(record: CheckpointRecord): Promise<void>;
}

/**
 * Largest engine checkpoint written (64 MiB). The checkpoint holds every open window's events: at
 * 100k events/s a one-minute window is ~150 MB, which IndexedDB writes slowly or aborts. Larger ones
 * are refused with this reason (the page shows it in the storage banner); the last one written stays.
 */
export const MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024;

function checkCheckpointSize(record: CheckpointRecord): void {
  const size = record.bytes.byteLength;
  if (size > MAX_CHECKPOINT_BYTES) {
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
    throw new RangeError(`the checkpoint is ${mib(size)}, over the ${mib(MAX_CHECKPOINT_BYTES)} limit (open windows hold too many events at this rate): not saved, the last one saved is kept`);
  }
}

export class IdbStore implements StateStore {
  private constructor(private readonly db: IDBPDatabase) {}

  static async open(): Promise<IdbStore> {
    const db = await openDB(DB_NAME, DB_VERSION, {
      upgrade(db) {
        for (const name of STORES) {
          if (!db.objectStoreNames.contains(name)) {
            db.createObjectStore(name, name === 'settings' ? undefined : { keyPath: 'name' });
          }
        }
        if (!db.objectStoreNames.contains(CHECKPOINT_STORE)) db.createObjectStore(CHECKPOINT_STORE);
      },
    });
    return new IdbStore(db);
  }

  /** The stored state, or undefined when nothing was ever saved. */
  async read(): Promise<StoredState | undefined> {
    const tx = this.db.transaction([...STORES], 'readonly');
    const [rules, history, iocs, tables, settings] = await Promise.all([
      tx.objectStore('rules').getAll(),
      tx.objectStore('history').getAll(),
      tx.objectStore('iocs').getAll(),
      tx.objectStore('tables').getAll(),
      tx.objectStore('settings').get('settings'),
      tx.done,
    ]);
    const parsedSettings = readSettingsRecord(settings);
    if (!parsedSettings) return undefined;
    return {
      rules: rules.map(readRuleRecord).filter((r): r is RuleRecord => !!r).sort((a, b) => a.order - b.order),
      history: history.map(readHistoryRecord).filter((r): r is HistoryRecord => !!r),
      iocs: iocs.map(readListRecord).filter((r): r is ListRecord => !!r),
      tables: tables.map(readListRecord).filter((r): r is ListRecord => !!r),
      settings: parsedSettings,
    };
  }

  async write(plan: WritePlan): Promise<void> {
    const names = STORES.filter((s) => plan[s] !== undefined);
    if (!names.length) return;
    // Everything below is synchronous request issuing: no await before tx.done.
    const tx = this.db.transaction(names, 'readwrite');
    const requests: Promise<unknown>[] = [];
    for (const name of ['rules', 'iocs', 'tables'] as const) {
      const part = plan[name];
      if (!part) continue;
      const store = tx.objectStore(name);
      for (const key of part.delete) requests.push(store.delete(key));
      for (const record of part.put) requests.push(store.put(record));
    }
    if (plan.history) for (const record of plan.history.put) requests.push(tx.objectStore('history').put(record));
    if (plan.settings) requests.push(tx.objectStore('settings').put(plan.settings, 'settings'));
    await Promise.all([...requests, tx.done]);
  }

  async clear(): Promise<void> {
    const all = [...STORES, CHECKPOINT_STORE];
    const tx = this.db.transaction(all, 'readwrite');
    await Promise.all([...all.map((s) => tx.objectStore(s).clear()), tx.done]);
  }

  async readCheckpoint(): Promise<CheckpointRecord | undefined> {
    return readCheckpointRecord(await this.db.get(CHECKPOINT_STORE, 'engine'));
  }

  async writeCheckpoint(record: CheckpointRecord): Promise<void> {
    checkCheckpointSize(record);
    const tx = this.db.transaction(CHECKPOINT_STORE, 'readwrite');
    await Promise.all([tx.store.put(record, 'engine'), tx.done]);
  }
}

/** Keeps the state in memory only (persistence off, or IndexedDB unavailable). */
export class MemoryStore implements StateStore {
  private state: StoredState | undefined;
  private checkpoint: CheckpointRecord | undefined;

  async readCheckpoint(): Promise<CheckpointRecord | undefined> {
    return this.checkpoint ? { ...this.checkpoint, bytes: this.checkpoint.bytes.slice() } : undefined;
  }

  async writeCheckpoint(record: CheckpointRecord): Promise<void> {
    checkCheckpointSize(record);
    this.checkpoint = { ...record, bytes: record.bytes.slice() };
  }

  async read(): Promise<StoredState | undefined> {
    return this.state?.settings ? structuredClone(this.state) : undefined;
  }

  async write(plan: WritePlan): Promise<void> {
    const s = (this.state ??= { rules: [], history: [], iocs: [], tables: [] });
    const apply = (list: { name: string }[], part?: { put: { name: string }[]; delete?: string[] }) => {
      if (!part) return list;
      const drop = new Set([...(part.delete ?? []), ...part.put.map((r) => r.name)]);
      return [...list.filter((r) => !drop.has(r.name)), ...structuredClone(part.put)];
    };
    s.rules = (apply(s.rules, plan.rules) as RuleRecord[]).sort((a, b) => a.order - b.order);
    s.history = apply(s.history, plan.history) as HistoryRecord[];
    s.iocs = apply(s.iocs, plan.iocs) as ListRecord[];
    s.tables = apply(s.tables, plan.tables) as ListRecord[];
    if (plan.settings) s.settings = structuredClone(plan.settings);
  }

  async clear(): Promise<void> {
    this.state = undefined;
    this.checkpoint = undefined;
  }
}
