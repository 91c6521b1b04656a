/**
 * Where an edge instance keeps its checkpoint: a small key-value interface each runtime implements
 * (Durable Object storage, Deno KV, memory), and a store that splits the bytes into chunks, since
 * both limit the size of one value (Durable Objects 128 KiB, Deno KV 64 KiB).
 *
 * Writes are crash-safe without transactions: the chunks of generation g+1 are written under their
 * own keys, then the head (which names the generation and its chunk count) is switched, then the
 * chunks of generation g are deleted. A crash before the head switch leaves the old checkpoint intact.
 */

/** Bytes under string keys. Values are at most the chunk size the store was built with. */
export interface ByteStore {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
}

/** For tests and for Node without persistence. */
export class MemoryByteStore implements ByteStore {
  readonly map = new Map<string, Uint8Array>();
  async get(key: string): Promise<Uint8Array | undefined> {
    const value = this.map.get(key);
    return value && value.slice();
  }
  async put(key: string, value: Uint8Array): Promise<void> {
    this.map.set(key, value.slice());
  }
  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }
}

interface Head {
  generation: number;
  chunks: number;
  bytes: number;
}

const HEAD = 'checkpoint:head';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Blobs stored once under the SHA-256 of their bytes (IOC filters and tables, src/edge/shared-data.ts),
 * chunked like checkpoints: the chunks under `blob:<hash>:<i>`, then the head `blob:<hash>` naming
 * their count. A blob is only ever read through a head, and a head is written after its chunks, so
 * a crash mid-write leaves no blob (the next put writes it again). Writing bytes already stored
 * is a no-op: a list replaced by the same entries, or held by several engines, is one blob.
 *
 * Blobs that several holders share (the partitions of a deployment) are deleted by counting who
 * names them. A holder *claims* a blob before it puts it and before its checkpoint names it, and
 * *releases* it once a checkpoint that no longer names it is written; a claim is counted per holder
 * (one per name that refers to the blob, so two names, or two changes in flight, are two claims).
 * When the last claim is released the blob is deleted. A holder that restarts *reconciles*: its
 * claims become exactly what its last checkpoint names, which undoes claims a crash left between a
 * claim and its checkpoint, or between a checkpoint and its release. So a blob a checkpoint names
 * is never deleted, and one no checkpoint names is deleted by the holder's next release or restart.
 * Records: `holders:<hash>` → `{ by: { holder: claims }, legacy? }`, `held:<holder>` → the hashes
 * the holder claims. A blob stored before claims existed (found already stored when first claimed)
 * is `legacy`: a holder that has not restarted since may name it unclaimed, so it is never deleted.
 * Claims, releases and reconciles run one at a time (each reads and writes several keys); where
 * the blobs live in another object (a Durable Object), that object runs them (see `HoldRunner`).
 */
export class SharedBlobStore {
  /** `holds`: where claims run when the blobs live in another object (default: here, beside the blobs). */
  constructor(
    private readonly store: ByteStore,
    private readonly chunkBytes = 120 * 1024,
    private readonly remoteHolds?: HoldRunner,
  ) {}

  async put(bytes: Uint8Array): Promise<string> {
    const hash = await sha256(bytes);
    if (await this.store.get(blobKey(hash))) return hash;
    const chunks = Math.max(1, Math.ceil(bytes.length / this.chunkBytes));
    for (let i = 0; i < chunks; i++) await this.store.put(`${blobKey(hash)}:${i}`, bytes.subarray(i * this.chunkBytes, (i + 1) * this.chunkBytes));
    await this.store.put(blobKey(hash), encoder.encode(JSON.stringify({ chunks, bytes: bytes.length })));
    return hash;
  }

  /** The blob's bytes; undefined when there is none under `hash`. */
  async get(hash: string): Promise<Uint8Array | undefined> {
    const raw = await this.store.get(blobKey(hash));
    if (!raw) return undefined;
    const head = JSON.parse(decoder.decode(raw)) as { chunks: number; bytes: number };
    const bytes = new Uint8Array(head.bytes);
    let at = 0;
    for (let i = 0; i < head.chunks; i++) {
      const chunk = await this.store.get(`${blobKey(hash)}:${i}`);
      if (!chunk) throw new Error(`blob ${hash} lacks chunk ${i}`);
      bytes.set(chunk, at);
      at += chunk.length;
    }
    if (at !== head.bytes) throw new Error(`blob ${hash} has ${at} bytes, its head says ${head.bytes}`);
    return bytes;
  }

  /** The name a blob of these bytes is stored under. */
  hashOf(bytes: Uint8Array): Promise<string> {
    return sha256(bytes);
  }

  /** Counts one more claim of `holder` on the blob (see the class comment); call it before `put`. */
  claim(hash: string, holder: string): Promise<void> {
    return this.holds.claim(hash, holder);
  }

  /** Takes one claim of `holder` away; the blob is deleted when no claim is left (unless legacy). */
  release(hash: string, holder: string): Promise<void> {
    return this.holds.release(hash, holder);
  }

  /** Makes the claims of `holder` exactly `named` (hash → claims), deleting blobs no one claims any more. */
  reconcile(holder: string, named: ReadonlyMap<string, number>): Promise<void> {
    return this.holds.reconcile(holder, named);
  }

  /** Who runs the claims: this store itself, or (a Durable Object's partitions) the object holding the blobs. */
  private get holds(): HoldRunner {
    return this.remoteHolds ?? (this.localHolds ??= new LocalHolds(this.store, (hash) => this.delete(hash)));
  }

  private localHolds: LocalHolds | undefined;

  /** Deletes the blob (head first: a crash halfway leaves only unreachable chunks). */
  async delete(hash: string): Promise<void> {
    const raw = await this.store.get(blobKey(hash));
    if (!raw) return;
    const head = JSON.parse(decoder.decode(raw)) as { chunks: number };
    await this.store.delete(blobKey(hash));
    for (let i = 0; i < head.chunks; i++) await this.store.delete(`${blobKey(hash)}:${i}`);
  }
}

function blobKey(hash: string): string {
  return `blob:${hash}`;
}

/** The claims of SharedBlobStore: run in this process, or sent to the object that holds the blobs. */
export interface HoldRunner {
  claim(hash: string, holder: string): Promise<void>;
  release(hash: string, holder: string): Promise<void>;
  reconcile(holder: string, named: ReadonlyMap<string, number>): Promise<void>;
}

interface HoldersRecord {
  by: Record<string, number>;
  legacy?: true;
}

/** Claims kept beside the blobs in one byte store, one operation at a time. */
export class LocalHolds implements HoldRunner {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ByteStore,
    private readonly deleteBlob: (hash: string) => Promise<void>,
  ) {}

  claim(hash: string, holder: string): Promise<void> {
    return this.serialized(async () => {
      const record = await this.record(hash);
      record.by[holder] = (record.by[holder] ?? 0) + 1;
      await this.writeRecord(hash, record);
      await this.updateHeld(holder, (held) => held.add(hash));
    });
  }

  release(hash: string, holder: string): Promise<void> {
    return this.serialized(async () => {
      const record = await this.readRecord(hash);
      if (!record || !record.by[holder]) return;
      if (--record.by[holder]! <= 0) {
        delete record.by[holder];
        await this.updateHeld(holder, (held) => held.delete(hash));
      }
      await this.settle(hash, record);
    });
  }

  reconcile(holder: string, named: ReadonlyMap<string, number>): Promise<void> {
    return this.serialized(async () => {
      const held = await this.readHeld(holder);
      for (const hash of new Set([...held, ...named.keys()])) {
        const claims = named.get(hash) ?? 0;
        const record = claims > 0 ? await this.record(hash) : await this.readRecord(hash);
        if (!record) continue;
        if (claims > 0) record.by[holder] = claims;
        else delete record.by[holder];
        await this.settle(hash, record);
      }
      const hashes = [...named].filter(([, claims]) => claims > 0).map(([hash]) => hash);
      if (hashes.length) await this.store.put(heldKey(holder), encoder.encode(JSON.stringify(hashes)));
      else await this.store.delete(heldKey(holder));
    });
  }

  /** Writes the record, or, when no claim is left on a blob stored under claims, deletes the blob and then the record. */
  private async settle(hash: string, record: HoldersRecord): Promise<void> {
    if (Object.keys(record.by).length || record.legacy) return this.writeRecord(hash, record);
    // The blob first: a crash between the two leaves a record without a blob, which the next claim
    // reuses (its put writes the blob again), never a blob without a record (which would be legacy).
    await this.deleteBlob(hash);
    await this.store.delete(holdersKey(hash));
  }

  /** The record, or a new one: legacy when the blob is already stored without one. */
  private async record(hash: string): Promise<HoldersRecord> {
    const found = await this.readRecord(hash);
    if (found) return found;
    return (await this.store.get(blobKey(hash))) ? { by: {}, legacy: true } : { by: {} };
  }

  private async readRecord(hash: string): Promise<HoldersRecord | undefined> {
    const raw = await this.store.get(holdersKey(hash));
    return raw ? (JSON.parse(decoder.decode(raw)) as HoldersRecord) : undefined;
  }

  private async writeRecord(hash: string, record: HoldersRecord): Promise<void> {
    await this.store.put(holdersKey(hash), encoder.encode(JSON.stringify(record)));
  }

  private async readHeld(holder: string): Promise<Set<string>> {
    const raw = await this.store.get(heldKey(holder));
    return new Set(raw ? (JSON.parse(decoder.decode(raw)) as string[]) : []);
  }

  private async updateHeld(holder: string, change: (held: Set<string>) => unknown): Promise<void> {
    const held = await this.readHeld(holder);
    change(held);
    if (held.size) await this.store.put(heldKey(holder), encoder.encode(JSON.stringify([...held])));
    else await this.store.delete(heldKey(holder));
  }

  private serialized<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function holdersKey(hash: string): string {
  return `holders:${hash}`;
}

function heldKey(holder: string): string {
  return `held:${holder}`;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export class ChunkedCheckpointStore {
  /** Blobs in the same byte store (content-addressed, outside the checkpoint). */
  readonly blobs: SharedBlobStore;
  private head: Head | undefined;
  /** Writes run one after another, in the order they were asked for. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ByteStore,
    private readonly chunkBytes = 120 * 1024,
  ) {
    this.blobs = new SharedBlobStore(store, chunkBytes);
  }

  /** The last checkpoint written, or undefined when there is none. */
  async read(): Promise<Uint8Array | undefined> {
    const raw = await this.store.get(HEAD);
    if (!raw) return undefined;
    const head = JSON.parse(decoder.decode(raw)) as Head;
    this.head = head;
    const bytes = new Uint8Array(head.bytes);
    let at = 0;
    for (let i = 0; i < head.chunks; i++) {
      const chunk = await this.store.get(chunkKey(head.generation, i));
      if (!chunk) throw new Error(`checkpoint generation ${head.generation} lacks chunk ${i}`);
      bytes.set(chunk, at);
      at += chunk.length;
    }
    if (at !== head.bytes) throw new Error(`checkpoint generation ${head.generation} has ${at} bytes, its head says ${head.bytes}`);
    return bytes;
  }

  /**
   * Writes a checkpoint; resolves once it is the one `read` returns. `beside`: keys written before
   * the checkpoint (segments of logs it names, SegmentedLog) and keys deleted after it.
   */
  write(bytes: Uint8Array, beside?: LogWrites): Promise<void> {
    const run = this.queue.then(() => this.writeNow(bytes, beside));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The byte store under the checkpoint (for logs stored beside it). */
  get bytes(): ByteStore {
    return this.store;
  }

  /** The largest value written to the byte store. */
  get chunkSize(): number {
    return this.chunkBytes;
  }

  /** A log stored beside this store's checkpoints, in chunks its byte store takes. */
  log(prefix: string): SegmentedLog {
    return new SegmentedLog(prefix, 256, this.chunkBytes);
  }

  private async writeNow(bytes: Uint8Array, beside?: LogWrites): Promise<void> {
    for (const [key, value] of beside?.puts ?? []) await this.store.put(key, value);
    if (this.head === undefined) {
      const raw = await this.store.get(HEAD);
      if (raw) this.head = JSON.parse(decoder.decode(raw)) as Head;
    }
    const previous = this.head;
    const generation = (previous?.generation ?? 0) + 1;
    const chunks = Math.max(1, Math.ceil(bytes.length / this.chunkBytes));
    for (let i = 0; i < chunks; i++) {
      await this.store.put(chunkKey(generation, i), bytes.subarray(i * this.chunkBytes, (i + 1) * this.chunkBytes));
    }
    const head: Head = { generation, chunks, bytes: bytes.length };
    await this.store.put(HEAD, encoder.encode(JSON.stringify(head)));
    this.head = head;
    if (previous) for (let i = 0; i < previous.chunks; i++) await this.store.delete(chunkKey(previous.generation, i));
    for (const key of beside?.deletes ?? []) await this.store.delete(key);
  }
}

/** Writes that go with a checkpoint: `puts` before it, `deletes` after it. */
export interface LogWrites {
  puts: [string, Uint8Array][];
  deletes: string[];
}

export function mergeWrites(...all: LogWrites[]): LogWrites {
  return { puts: all.flatMap((w) => w.puts), deletes: all.flatMap((w) => w.deletes) };
}

/** What a checkpoint records of a SegmentedLog: the items' numbers [first, next), and each stored segment's length in bytes. */
export interface LogState {
  first: number;
  next: number;
  segments: [number, number][];
}

/**
 * A log of numbered items (an alert ring, an ingest ledger) stored beside a checkpoint instead of
 * inside it, so that a checkpoint writes what changed, not everything kept. Items go to segments
 * of `segmentItems` numbers, each stored as JSON lines in chunks of `chunkBytes`; a checkpoint
 * writes the chunks of segments that gained items since the last one (from the chunk where its
 * stored text ends) and deletes segments all of whose items have left the log.
 *
 * Crash-safe without transactions: a segment's text only grows, by lines appended, so the chunks
 * written for a checkpoint that never completed extend the text of the one that did, and the
 * checkpoint records each segment's length: reading stops there. Items numbered at or above the
 * checkpoint's `next` are ignored when read.
 */
export class SegmentedLog {
  /** Each stored segment's length as of the last checkpoint written (or read). */
  private stored = new Map<number, number>();
  private storedNext = 1;
  /** The stored text of the segment the next item goes to: items are appended to it, never re-encoded. */
  private tail = { segment: 0, text: '' };

  constructor(
    private readonly prefix: string,
    private readonly segmentItems = 256,
    private readonly chunkBytes = 60 * 1024,
  ) {}

  /**
   * The writes for a checkpoint of `items` (sorted by number, all below `next`), the state it
   * records, and the segments' new texts (for `committed`).
   */
  plan(items: readonly (readonly [number, unknown])[], next: number): { writes: LogWrites; state: LogState; texts: Map<number, string> } {
    const first = items.length ? items[0]![0] : next;
    const writes: LogWrites = { puts: [], deletes: [] };
    const lengths = new Map<number, number>();
    for (const [segment, length] of this.stored) {
      if ((segment + 1) * this.segmentItems <= first) {
        for (let i = 0; i * this.chunkBytes < length; i++) writes.deletes.push(this.chunkKey(segment, i));
      } else lengths.set(segment, length);
    }
    // Items since the last checkpoint, appended to their segments' stored text.
    const texts = new Map<number, string>();
    for (let at = lowerBound(items, this.storedNext); at < items.length; at++) {
      const segment = this.segmentOf(items[at]![0]);
      const text = texts.get(segment) ?? (segment === this.tail.segment ? this.tail.text : '');
      texts.set(segment, text + JSON.stringify(items[at]) + '\n');
    }
    for (const [segment, text] of texts) {
      const bytes = encoder.encode(text);
      const old = lengths.get(segment) ?? 0;
      for (let i = Math.floor(old / this.chunkBytes); i * this.chunkBytes < bytes.length; i++) {
        writes.puts.push([this.chunkKey(segment, i), bytes.subarray(i * this.chunkBytes, (i + 1) * this.chunkBytes)]);
      }
      lengths.set(segment, bytes.length);
    }
    return { writes, state: { first, next, segments: [...lengths] }, texts };
  }

  /** After the checkpoint recording `state` (planned with `texts`) was written. */
  committed(state: LogState, texts: Map<number, string>): void {
    this.stored = new Map(state.segments);
    this.storedNext = state.next;
    const segment = this.segmentOf(state.next);
    this.tail = { segment, text: texts.get(segment) ?? (segment === this.tail.segment ? this.tail.text : '') };
  }

  /** The items a checkpoint's `state` names. */
  async read<T>(store: ByteStore, state: LogState): Promise<[number, T][]> {
    const items: [number, T][] = [];
    const texts = new Map<number, string>();
    for (const [segment, length] of state.segments) {
      const bytes = new Uint8Array(length);
      for (let i = 0; i * this.chunkBytes < length; i++) {
        const chunk = await store.get(this.chunkKey(segment, i));
        if (!chunk) throw new Error(`log ${this.prefix} lacks chunk ${i} of segment ${segment}`);
        bytes.set(chunk.subarray(0, Math.min(chunk.length, length - i * this.chunkBytes)), i * this.chunkBytes);
      }
      const text = decoder.decode(bytes);
      texts.set(segment, text);
      for (const line of text.split('\n')) {
        if (!line) continue;
        const item = JSON.parse(line) as [number, T];
        if (item[0] >= state.first && item[0] < state.next) items.push(item);
      }
    }
    items.sort((a, b) => a[0] - b[0]);
    this.committed(state, texts);
    return items;
  }

  private segmentOf(seq: number): number {
    return Math.floor(seq / this.segmentItems);
  }

  private chunkKey(segment: number, chunk: number): string {
    return `${this.prefix}:${segment}:${chunk}`;
  }
}

/** The index of the first item numbered `seq` or above. */
function lowerBound(items: readonly (readonly [number, unknown])[], seq: number): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (items[mid]![0] < seq) low = mid + 1;
    else high = mid;
  }
  return low;
}

function chunkKey(generation: number, index: number): string {
  return `checkpoint:${generation}:${index}`;
}
