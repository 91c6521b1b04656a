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

export class ChunkedCheckpointStore {
  private head: Head | undefined;
  /** Writes run one after another, in the order they were asked for. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ByteStore,
    private readonly chunkBytes = 120 * 1024,
  ) {}

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
