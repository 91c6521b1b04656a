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
 */
export class SharedBlobStore {
  constructor(
    private readonly store: ByteStore,
    private readonly chunkBytes = 120 * 1024,
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

  /** Writes a checkpoint; resolves once it is the one `read` returns. */
  write(bytes: Uint8Array): Promise<void> {
    const run = this.queue.then(() => this.writeNow(bytes));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async writeNow(bytes: Uint8Array): Promise<void> {
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
  }
}

function chunkKey(generation: number, index: number): string {
  return `checkpoint:${generation}:${index}`;
}
