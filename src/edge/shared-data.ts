/**
 * IOC lists and tables kept outside the per-request checkpoint: each is stored once, under the
 * SHA-256 of its bytes (SharedBlobStore in checkpoint-store.ts), and the checkpoint holds only
 * its name and hash. An IOC list is stored as its serialized filter, a table as a JSON array of
 * its entries. Engines hold them as `shared` (src/engine/ioc-registry.ts PlacementOptions), so
 * their own checkpoints leave them out and restoring one leaves them in place.
 */
import type { EngineSurface } from '../runtime/guard/engine-surface.js';
import type { SharedBlobStore } from './checkpoint-store.js';

/** Name → SHA-256 of the stored bytes. */
export interface SharedRefs {
  iocs: Record<string, string>;
  tables: Record<string, string>;
}

/**
 * Name → hash records without a prototype: a list may be named `__proto__` (or `constructor`), and
 * in a plain object assigning `__proto__` sets the prototype instead of storing the name.
 */
export const emptyRefs = (): SharedRefs => ({ iocs: Object.create(null) as Record<string, string>, tables: Object.create(null) as Record<string, string> });

/** A copy of stored refs (JSON, where `__proto__` is an own key) in records without a prototype. */
export function copyRefs(refs: SharedRefs): SharedRefs {
  const copy = emptyRefs();
  for (const [name, hash] of Object.entries(refs.iocs)) copy.iocs[name] = hash;
  for (const [name, hash] of Object.entries(refs.tables)) copy.tables[name] = hash;
  return copy;
}

type Surface = Pick<EngineSurface, 'iocs' | 'tables'>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function tableBytes(entries: Iterable<string>): Uint8Array {
  return encoder.encode(JSON.stringify([...entries]));
}

export function tableEntries(bytes: Uint8Array): string[] {
  return JSON.parse(decoder.decode(bytes)) as string[];
}

/** Replaces (or creates) a list in one synchronous step: rules look their list up by name on every batch. */
export function replaceIocList(engine: Surface, name: string, entries: string[]): void {
  if (engine.iocs.exists(name)) engine.iocs.drop(name);
  engine.iocs.create(name, { capacity: Math.max(1024, entries.length) }, { shared: true });
  engine.iocs.add(name, entries);
}

export function loadIocList(engine: Surface, name: string, bytes: Uint8Array): void {
  if (engine.iocs.exists(name)) engine.iocs.drop(name);
  engine.iocs.load(name, bytes, { shared: true });
}

export function replaceTable(engine: Surface, name: string, entries: Iterable<string>): void {
  engine.tables.delete(name);
  engine.tables.create(name, entries, { shared: true });
}

/** The blob under `hash`, or an error naming what is missing (a store that lost data). */
export async function readBlob(blobs: SharedBlobStore, hash: string, what: string): Promise<Uint8Array> {
  const bytes = await blobs.get(hash);
  if (!bytes) throw new Error(`${what} is stored as blob ${hash}, which the store does not hold`);
  return bytes;
}

/**
 * The entries of a list or table body: one a line, trimmed; blank lines and `#` comments skipped;
 * an entry given on several lines counts once: a body says which entries a list holds, and an IOC
 * list keeps copies of a key, so a repeated line would otherwise take a removal of its own. (It
 * also bounded the cost of a repeated key when every 8 copies took a filter level; copies are
 * counted since, at a counter's cost.)
 */
export function bodyEntries(text: string): string[] {
  const entries = new Set<string>();
  for (const line of text.split('\n')) {
    const entry = line.trim();
    if (entry && !entry.startsWith('#')) entries.add(entry);
  }
  return [...entries];
}
