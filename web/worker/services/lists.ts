/**
 * The lists service: IOC lists and tables, edited by the page, uploaded from files, persisted.
 * Small IOC lists keep their entries (to list and edit them); a list over LARGE_LIST_ENTRIES is
 * kept and persisted as its cuckoo filter only.
 */
import type { Engine } from '../../../src/engine/engine.js';
import {
  LARGE_LIST_ENTRIES,
  UPLOAD_BATCH_ENTRIES,
  type IocListSummary,
  type ListUploadOptions,
  type ListUploadProgress,
  type ListUploadResult,
  type TableSummary,
} from '../../../src/runtime/worker/protocol.js';
import { ListChunkParser, readListFile } from '../list-upload.js';
import type { StoredState } from '../persistence.js';
import { filterRecord, listRecord, normalizeEntries, type ListRecord, type WritePlan } from '../records.js';
import { messageOf, notifyPage, type HostContext } from './context.js';

/** An upload deduplicates its entries up to this many distinct ones. */
const UPLOAD_DEDUPE_LIMIT = 2_000_000;

export class ListsService {
  private readonly iocEntrySets = new Map<string, Set<string>>();
  /** Large IOC lists, kept only in the engine's filter: the record (filter bytes) last persisted. */
  private readonly filterLists = new Map<string, ListRecord>();

  constructor(private readonly ctx: HostContext) {}

  private get engine(): Engine {
    return this.ctx.engine;
  }

  // ── start-up ─────────────────────────────────────────────────────────────

  /** After a checkpoint restored the engine's lists: only the worker's own copies come back. */
  adoptStored(stored: StoredState): void {
    for (const list of stored.iocs) {
      if (list.filter) this.filterLists.set(list.name, list);
      else this.iocEntrySets.set(list.name, new Set(list.entries));
    }
  }

  /** Builds the engine's lists and tables from the stored records. */
  restoreStored(stored: StoredState): void {
    for (const list of stored.iocs) {
      if (list.filter) {
        this.engine.iocs.load(list.name, list.filter);
        this.filterLists.set(list.name, list);
      } else this.createIocList(list.name, list.entries);
    }
    for (const table of stored.tables) this.engine.tables.create(table.name, table.entries);
  }

  loadDefaults(iocLists: Record<string, string[]>, tables: Record<string, string[]>): WritePlan {
    for (const [name, entries] of Object.entries(iocLists)) this.createIocList(name, entries);
    for (const [name, entries] of Object.entries(tables)) this.engine.tables.create(name, normalizeEntries(entries));
    return {
      iocs: { put: [...this.iocEntrySets].map(([n, e]) => listRecord(n, e)), delete: [] },
      tables: { put: this.tableRecords(), delete: [] },
    };
  }

  /** Forgets every list and table (the engine's too). */
  clear(): void {
    for (const { name } of this.engine.iocs.list()) this.engine.iocs.delete(name);
    for (const name of this.engine.tables.names()) this.engine.tables.delete(name);
    this.iocEntrySets.clear();
    this.filterLists.clear();
  }

  /** Records of every IOC list: entries of the small ones, the persisted filter bytes of large ones. */
  iocRecords(): ListRecord[] {
    return [...[...this.iocEntrySets].map(([n, e]) => listRecord(n, e)), ...this.filterLists.values()];
  }

  tableRecords(): ListRecord[] {
    return this.engine.tables.names().map((n) => listRecord(n, this.engine.tables.entries(n)));
  }

  /** Gives `target` (a replay's engine) the same lists and tables as the live engine. */
  copyInto(target: Engine): void {
    for (const [name, entries] of this.iocEntrySets) {
      target.iocs.create(name, { capacity: Math.max(1024, entries.size * 2) });
      if (entries.size) target.iocs.add(name, [...entries]);
    }
    for (const name of this.filterLists.keys()) target.iocs.load(name, this.engine.iocs.serialize(name));
    for (const table of this.engine.tables.names()) target.tables.create(table, this.engine.tables.entries(table));
  }

  // ── the page's API ───────────────────────────────────────────────────────

  iocLists(): IocListSummary[] {
    const rules = this.engine.rules();
    return this.engine.iocs.list().map((info) => ({
      ...info,
      usedBy: rules.filter((r) => usesList(r.text, info.name)).map((r) => r.name),
      storage: this.filterLists.has(info.name) ? ('filter' as const) : ('entries' as const),
    }));
  }

  iocEntries(name: string): string[] {
    return [...(this.iocEntrySets.get(name) ?? [])];
  }

  async setIocList(name: string, entries: string[]): Promise<void> {
    checkListName(name);
    if (this.filterLists.has(name)) {
      throw new Error(`IOC list "${name}" is large and kept as a filter: add or remove single entries, or upload a file with "replace"`);
    }
    const next = normalizeEntries(entries);
    if (!this.engine.iocs.exists(name)) {
      this.createIocList(name, next);
    } else {
      const old = this.iocEntrySets.get(name) ?? new Set<string>();
      const nextSet = new Set(next);
      const removed = [...old].filter((e) => !nextSet.has(e));
      const added = next.filter((e) => !old.has(e));
      if (removed.length) this.engine.iocs.remove(name, removed);
      if (added.length) this.engine.iocs.add(name, added);
      this.iocEntrySets.set(name, nextSet);
    }
    this.ctx.feed.listsChanged();
    await this.ctx.persistence.write({ iocs: { put: [listRecord(name, next)], delete: [] } });
  }

  async deleteIocList(name: string): Promise<void> {
    this.engine.iocs.delete(name);
    this.iocEntrySets.delete(name);
    this.filterLists.delete(name);
    this.ctx.feed.listsChanged();
    await this.ctx.persistence.write({ iocs: { put: [], delete: [name] } });
  }

  tables(): TableSummary[] {
    return this.engine.tables.names().map((name) => ({ name, count: this.engine.tables.size(name) }));
  }

  tableEntries(name: string): string[] {
    return this.engine.tables.entries(name);
  }

  async setTable(name: string, entries: string[]): Promise<void> {
    checkListName(name);
    const next = normalizeEntries(entries);
    this.engine.tables.delete(name);
    this.engine.tables.create(name, next);
    this.ctx.feed.listsChanged();
    await this.ctx.persistence.write({ tables: { put: [listRecord(name, next)], delete: [] } });
  }

  async deleteTable(name: string): Promise<void> {
    this.engine.tables.delete(name);
    this.ctx.feed.listsChanged();
    await this.ctx.persistence.write({ tables: { put: [], delete: [name] } });
  }

  async uploadList(
    kind: 'ioc' | 'table',
    name: string,
    file: Blob,
    options: ListUploadOptions = {},
    onProgress?: (p: ListUploadProgress) => void,
  ): Promise<ListUploadResult> {
    checkListName(name);
    const engine = this.engine;
    const now = () => this.ctx.now();
    const started = now();
    const fileName = options.fileName ?? (file as Blob & { name?: string }).name ?? '';
    const parser = new ListChunkParser({ format: options.format, name: fileName, column: options.column, header: options.header });
    const progress: ListUploadProgress = { bytesRead: 0, totalBytes: file.size, entries: 0, done: false };
    const report = () => notifyPage(onProgress, { ...progress });
    let added = 0;
    let error: string | undefined;
    // Deduplicates within the upload (and against a small list's entries). A large list's filter
    // cannot tell a duplicate from a false positive, so entries already in it may count twice.
    let seen: Set<string>;
    if (kind === 'ioc') {
      const exists = engine.iocs.exists(name);
      if (!exists || options.replace) {
        // Drop and create in one synchronous step: rules naming the list never see it missing.
        if (exists) engine.iocs.drop(name);
        engine.iocs.create(name, { capacity: Math.max(1024, Math.min(4_000_000, Math.ceil(file.size / 12))) });
        this.filterLists.delete(name);
        seen = new Set();
        this.iocEntrySets.set(name, seen);
      } else seen = this.iocEntrySets.get(name) ?? new Set();
    } else {
      if (options.replace || !engine.tables.names().includes(name)) {
        engine.tables.delete(name);
        engine.tables.create(name, []);
      }
      seen = new Set(engine.tables.entries(name));
    }
    const large = () => kind === 'ioc' && !this.iocEntrySets.has(name);
    this.ctx.feed.listsChanged();
    report();
    let lastReport = now();
    try {
      for await (const batch of readListFile(file, parser, { batchSize: UPLOAD_BATCH_ENTRIES, onBytes: (n) => (progress.bytesRead = n) })) {
        progress.entries += batch.length;
        const fresh: string[] = [];
        for (const entry of batch) {
          if (seen.has(entry)) continue;
          // Past a few million, stop remembering (memory): later duplicates are simply held twice.
          if (seen.size < UPLOAD_DEDUPE_LIMIT) seen.add(entry);
          fresh.push(entry);
        }
        if (fresh.length) {
          if (kind === 'table') engine.tables.add(name, fresh);
          else engine.iocs.add(name, fresh);
          added += fresh.length;
        }
        // A small list that grew large lets go of its strings (only this upload's set remains).
        if (kind === 'ioc' && this.iocEntrySets.get(name) === seen && seen.size > LARGE_LIST_ENTRIES) this.iocEntrySets.delete(name);
        if (now() - lastReport >= 100) {
          lastReport = now();
          report();
        }
        // Let the live engine and the page's requests in between batches.
        await new Promise((ok) => setTimeout(ok, 0));
      }
    } catch (e) {
      error = messageOf(e);
    }
    progress.bytesRead = error ? progress.bytesRead : file.size;
    progress.done = true;
    const plan: WritePlan = kind === 'ioc' ? this.iocListPlan(name) : { tables: { put: [listRecord(name, engine.tables.entries(name))], delete: [] } };
    this.ctx.feed.listsChanged();
    await this.ctx.persistence.write(plan);
    report();
    const count = kind === 'ioc' ? engine.iocs.get(name).count : engine.tables.size(name);
    return {
      ...progress,
      kind,
      name,
      format: parser.stats.format,
      count,
      added,
      lines: parser.stats.lines,
      skipped: parser.stats.skipped,
      ...(parser.stats.header ? { header: parser.stats.header } : {}),
      storage: large() ? 'filter' : 'entries',
      ms: now() - started,
      ...(error ? { error } : {}),
    };
  }

  async editListEntries(
    kind: 'ioc' | 'table',
    name: string,
    change: { add?: string[]; remove?: string[] },
  ): Promise<{ count: number; added: number; removed: number }> {
    const engine = this.engine;
    const add = normalizeEntries(change.add ?? []);
    const remove = normalizeEntries(change.remove ?? []);
    let added = 0;
    let removed = 0;
    if (kind === 'table') {
      if (!engine.tables.names().includes(name)) throw new Error(`no table "${name}"`);
      if (remove.length) removed = engine.tables.remove(name, remove);
      const mid = engine.tables.size(name);
      if (add.length) engine.tables.add(name, add);
      added = engine.tables.size(name) - mid;
      this.ctx.feed.listsChanged();
      await this.ctx.persistence.write({ tables: { put: [listRecord(name, engine.tables.entries(name))], delete: [] } });
      return { count: engine.tables.size(name), added, removed };
    }
    if (!engine.iocs.exists(name)) throw new Error(`no IOC list "${name}"`);
    const entries = this.iocEntrySets.get(name);
    if (entries) {
      const gone = remove.filter((e) => entries.has(e));
      const fresh = add.filter((e) => !entries.has(e));
      if (gone.length) removed = engine.iocs.remove(name, gone);
      for (const e of gone) entries.delete(e);
      if (fresh.length) engine.iocs.add(name, fresh);
      for (const e of fresh) entries.add(e);
      added = fresh.length;
    } else {
      // A filter-only list: remove only what was added (removing anything else may remove a
      // colliding entry's fingerprint); an entry added twice is held twice.
      if (remove.length) removed = engine.iocs.remove(name, remove);
      if (add.length) engine.iocs.add(name, add);
      added = add.length;
    }
    this.ctx.feed.listsChanged();
    await this.ctx.persistence.write(this.iocListPlan(name));
    return { count: engine.iocs.get(name).count, added, removed };
  }

  /**
   * The write of one IOC list after a change; a list that grew past LARGE_LIST_ENTRIES is kept as
   * its filter from then on (its entry strings are let go).
   */
  private iocListPlan(name: string): WritePlan {
    const entries = this.iocEntrySets.get(name);
    if (entries && entries.size <= LARGE_LIST_ENTRIES) return { iocs: { put: [listRecord(name, entries)], delete: [] } };
    this.iocEntrySets.delete(name);
    const record = filterRecord(name, this.engine.iocs.serialize(name), this.engine.iocs.get(name).count);
    this.filterLists.set(name, record);
    return { iocs: { put: [record], delete: [] } };
  }

  private createIocList(name: string, entries: readonly string[]): void {
    const clean = normalizeEntries(entries);
    this.engine.iocs.create(name, { capacity: Math.max(1024, clean.length * 2) });
    if (clean.length) this.engine.iocs.add(name, clean);
    this.iocEntrySets.set(name, new Set(clean));
  }
}

/** Whether a rule's text names an IOC list in its IOC FILTERS (`in name(` / `not in name(`). */
function usesList(text: string, list: string): boolean {
  const escaped = list.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\bin\\s+${escaped}\\s*\\(`, 'i').test(text);
}

function checkListName(name: string): void {
  if (!/^[A-Za-z_][\w-]*$/.test(name)) {
    throw new Error(`"${name}" is not a valid list name: use letters, digits, _ and -, starting with a letter or _`);
  }
}
