/**
 * IOC sets over the WebAssembly cuckoo filter (assembly/cuckoo.ts).
 *
 * Sets made by `create` are keyed (serialized format 2): the module hashes keys with XXH64 seeded
 * by a random 64-bit seed drawn here per set (Web Crypto) and saved with the set, so nobody can
 * compute offline which keys collide. Sets restored from format 1 (written before keyed sets, as
 * older checkpoints hold them) keep seed 0 and answer exactly as they did. A set holding a key
 * more than once counts the copies in the module and writes format 3 (assembly/cuckoo.ts).
 *
 * Keys cross into the module as UTF-8 in the shared scratch buffer, in batches: a chunk of keys
 * is joined into one string and encoded with a single `TextEncoder.encodeInto`, next to an array
 * of the keys' lengths; the module splits the bytes and hashes each key (XXH64) itself. A key is
 * hashed as the UTF-8 of its string (lone surrogates become U+FFFD, as `TextEncoder` does), so
 * batch and single-key calls always agree. A `hasMany` of fewer than 4 keys asks `has` key by key
 * (cheaper than a batch's fixed cost). Memory growth during a call detaches the host's views;
 * they are re-created after every call that may allocate (see Scratch).
 */
import type { IocSet, IocSetFactory, IocSetOptions } from '../engine/ports.js';
import type { VigilExports } from './exports.js';
import { Scratch } from './scratch.js';

/** Default capacity when none is given. */
export const DEFAULT_CAPACITY = 1024;
/** Default false-positive rate when none is given. */
export const DEFAULT_FALSE_POSITIVE_RATE = 0.001;

/** Keys per crossing: joining longer chunks gets slower in V8 (string flattening). */
const CHUNK_KEYS = 512;
/** Bytes of scratch a chunk aims at (data + lengths + results). */
const CHUNK_BYTES = 1 << 16;
/**
 * A chunk's layout in the scratch buffer: CHUNK_KEYS u32 lengths | CHUNK_KEYS result bytes | UTF-8
 * data. The data starts at a fixed offset so that one view of it serves every chunk and call:
 * `subarray` costs 100–200 ns in V8, which was most of a small batch's time.
 */
const RESULTS_OFFSET = CHUNK_KEYS * 4;
const DATA_OFFSET = RESULTS_OFFSET + CHUNK_KEYS;

/**
 * `hasMany` of fewer keys asks `has` key by key: a batch's fixed cost (the result array, the
 * joined chunk's encodeInto, the crossing) is 250–500 ns, about what has() costs for 2–3 keys.
 * Where they break even depends on the table: in cache (20,000–300,000 keys) near 6–8 keys, at
 * 3,000,000 keys near 3–4, because a batch overlaps its keys' cache misses and has() cannot.
 */
const SMALL_BATCH = 4;

/** Keys up to this many UTF-16 units are copied by a JS loop when ASCII (see `has`). */
const ASCII_LOOP_MAX = 16;

const encoder = new TextEncoder();

const enum Op {
  Add,
  Has,
  Remove,
}

/** An IOC set held by a WebAssembly cuckoo filter. Create it through the factory. */
export class WasmIocSet implements IocSet {
  readonly #ex: VigilExports;
  readonly #scratch: Scratch;
  readonly #has: (handle: number, ptr: number, len: number) => number;
  #handle: number;
  /** The scratch buffer from DATA_OFFSET on, while `#dataOf` is the scratch's current view. */
  #data: Uint8Array = new Uint8Array(0);
  #dataOf: Uint8Array | null = null;

  /** @internal */
  constructor(exports: VigilExports, scratch: Scratch, handle: number) {
    this.#ex = exports;
    this.#scratch = scratch;
    this.#has = exports.cuckoo_has;
    this.#handle = handle;
  }

  /**
   * How the set hashes keys: 2 (keyed: a random seed) or 1 (restored from format 1: seed 0). It is
   * the serialized format the set writes until it holds a key more than once; from then on it writes
   * format 3 (the same hashing, keyed or not, with the counted copies).
   */
  get format(): 1 | 2 {
    return this.#ex.cuckoo_keyed(this.#live()) !== 0 ? 2 : 1;
  }

  add(entries: readonly string[]): void {
    this.#batch(entries, Op.Add, null);
  }

  remove(entries: readonly string[]): number {
    return this.#batch(entries, Op.Remove, null);
  }

  has(entry: string): boolean {
    const handle = this.#live();
    const scratch = this.#scratch;
    const n = entry.length;
    if (n <= ASCII_LOOP_MAX) {
      // Short keys (IPv4, ports, short domains): copying char codes in a JS loop beats the fixed
      // cost of encodeInto (a call into the runtime plus a result object). The scratch buffer
      // always holds ≥ 64 KiB, so the key fits. Any code unit ≥ 0x80 sends the key to the UTF-8
      // path below; the bytes written so far are simply overwritten there.
      let u8 = scratch.u8;
      if (u8.byteLength === 0) {
        scratch.fresh();
        u8 = scratch.u8;
      }
      const p = scratch.ptr;
      let or = 0;
      for (let i = 0; i < n; i++) {
        const c = entry.charCodeAt(i);
        or |= c;
        u8[p + i] = c;
      }
      if (or < 0x80) return this.#has(handle, p, n) !== 0;
    }
    let view = scratch.view;
    // encodeInto writes at most 3 bytes per UTF-16 unit; a short view would silently truncate.
    // A view detached by memory growth has length 0 and takes this branch too (reserve refreshes).
    if (entry.length * 3 > view.length) {
      scratch.reserve(entry.length * 3);
      view = scratch.view;
    }
    const { written } = encoder.encodeInto(entry, view);
    return this.#has(handle, scratch.ptr, written) !== 0;
  }

  hasMany(entries: readonly string[]): Uint8Array {
    const n = entries.length;
    const out = new Uint8Array(n);
    if (n < SMALL_BATCH) {
      for (let i = 0; i < n; i++) out[i] = this.has(entries[i]!) ? 1 : 0;
    } else {
      this.#batch(entries, Op.Has, out);
    }
    return out;
  }

  get count(): number {
    // An f64 from the module: counted copies can pass 2^32.
    return this.#ex.cuckoo_count(this.#live());
  }

  get byteSize(): number {
    return this.#ex.cuckoo_byte_size(this.#live()) >>> 0;
  }

  /** Levels in the chain: 1 until the set outgrew its first table. */
  get levels(): number {
    return this.#ex.cuckoo_levels(this.#live()) >>> 0;
  }

  /** Fingerprint size in bits (8, 12 or 16), chosen from the false-positive rate. */
  get fingerprintBits(): number {
    return this.#ex.cuckoo_fingerprint_bits(this.#live()) >>> 0;
  }

  serialize(): Uint8Array {
    const handle = this.#live();
    const size = this.#ex.cuckoo_serialized_size(handle) >>> 0;
    const scratch = this.#scratch;
    scratch.reserve(size);
    const written = this.#ex.cuckoo_serialize(handle, scratch.ptr) >>> 0;
    scratch.fresh();
    return scratch.u8.slice(scratch.ptr, scratch.ptr + written);
  }

  dispose(): void {
    if (this.#handle === 0) return;
    this.#ex.cuckoo_free(this.#handle);
    this.#handle = 0;
  }

  #live(): number {
    if (this.#handle === 0) throw new Error('IocSet used after dispose()');
    return this.#handle;
  }

  // Runs one operation over all entries, chunk by chunk; returns keys removed (Op.Remove).
  #batch(entries: readonly string[], op: Op, out: Uint8Array | null): number {
    const handle = this.#live();
    const scratch = this.#scratch;
    const n = entries.length;
    let removed = 0;
    let i = 0;
    while (i < n) {
      // A chunk: up to CHUNK_KEYS keys whose worst-case UTF-8 fits CHUNK_BYTES (at least one key).
      // The chunk's keys are joined by `+=` (a rope that encodeInto flattens once): 20–25 % less
      // time per key than `slice(i, j).join('')`, which copies the array and then the strings.
      // The lengths are written as the keys are joined (one pass over the keys, not two): the
      // scratch buffer holds CHUNK_BYTES before the chunk is cut, so the lengths' address stays.
      // Only a chunk of one key longer than that makes it grow; its one length is written again.
      scratch.reserve(CHUNK_BYTES);
      let u32 = scratch.u32;
      let lensIndex = scratch.ptr >>> 2;
      let j = i;
      let units = 0;
      let joined = '';
      while (j < n && j - i < CHUNK_KEYS) {
        const key = entries[j]!;
        const len = key.length;
        if (j > i && DATA_OFFSET + (units + len) * 3 > CHUNK_BYTES) break;
        u32[lensIndex + (j - i)] = len;
        units += len;
        joined += key;
        j++;
      }
      const k = j - i;
      // Layout: lengths | results | UTF-8 data (see DATA_OFFSET). The data view is at least
      // units * 3 bytes long, so encodeInto never truncates.
      if (DATA_OFFSET + units * 3 > CHUNK_BYTES) {
        scratch.reserve(DATA_OFFSET + units * 3);
        u32 = scratch.u32;
        lensIndex = scratch.ptr >>> 2;
        u32[lensIndex] = units;
      }
      const base = scratch.ptr;
      const lensPtr = 0;
      const outOff = RESULTS_OFFSET;
      const dataOff = DATA_OFFSET;
      const { read, written } = encoder.encodeInto(joined, this.#dataView());
      // All ASCII exactly when every unit became one byte: lengths are then byte lengths.
      const unitMode = read === written ? 0 : 1;
      let done = this.#call(op, handle, base + dataOff, base + lensPtr, k, unitMode, base + outOff);
      if (op === Op.Remove) removed += this.#ex.cuckoo_removed() >>> 0;
      if (done < k) {
        // A surrogate pair straddles two keys of the joined string: encode the rest one by one.
        scratch.fresh();
        let off = base + dataOff;
        for (let q = done; q < k; q++) {
          const r = encoder.encodeInto(entries[i + q]!, scratch.u8.subarray(off, base + dataOff + units * 3));
          scratch.u32[lensIndex + q] = r.written;
          off += r.written;
        }
        const rest = k - done;
        const lensRest = base + lensPtr + done * 4;
        this.#call(op, handle, base + dataOff, lensRest, rest, 0, base + outOff + done);
        if (op === Op.Remove) removed += this.#ex.cuckoo_removed() >>> 0;
        done = k;
      }
      if (out !== null) {
        scratch.fresh();
        const u8 = scratch.u8;
        const at = base + outOff;
        // A view costs 100–200 ns, a byte copied by the loop 3–4: the view pays from ~64 keys.
        if (k >= 64) out.set(u8.subarray(at, at + k), i);
        else for (let q = 0; q < k; q++) out[i + q] = u8[at + q]!;
      }
      i = j;
    }
    scratch.fresh();
    return removed;
  }

  /** The scratch buffer from DATA_OFFSET to its end, re-made only when the scratch's views are. */
  #dataView(): Uint8Array {
    const view = this.#scratch.view;
    if (this.#dataOf !== view) {
      this.#data = view.subarray(DATA_OFFSET);
      this.#dataOf = view;
    }
    return this.#data;
  }

  #call(op: Op, handle: number, data: number, lens: number, n: number, unitMode: number, out: number): number {
    switch (op) {
      case Op.Add:
        return this.#ex.cuckoo_add(handle, data, lens, n, unitMode) >>> 0;
      case Op.Has:
        return this.#ex.cuckoo_has_many(handle, data, lens, n, unitMode, out) >>> 0;
      case Op.Remove:
        return this.#ex.cuckoo_remove(handle, data, lens, n, unitMode) >>> 0;
    }
  }
}

/** A random u32 from the platform's CSPRNG (Web Crypto: Node, browsers, Deno, workerd). */
function randomSeed(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/** Creates and restores IOC sets in one module instance; many sets share the instance. */
export class WasmIocSetFactory implements IocSetFactory {
  readonly #ex: VigilExports;
  readonly #scratch: Scratch;

  constructor(exports: VigilExports, scratch: Scratch = new Scratch(exports)) {
    this.#ex = exports;
    this.#scratch = scratch;
  }

  /** `seed` (two u32 halves) makes the set's hashing reproducible, for tests; by default it is random. */
  create(options: IocSetOptions & { seed?: readonly [number, number] } = {}): WasmIocSet {
    const capacity = options.capacity ?? DEFAULT_CAPACITY;
    const fpp = options.falsePositiveRate ?? DEFAULT_FALSE_POSITIVE_RATE;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 0x3fff_ffff) {
      throw new RangeError(`IocSet capacity must be an integer in [1, 2^30), got ${capacity}`);
    }
    if (!(fpp > 0 && fpp < 1)) {
      throw new RangeError(`IocSet falsePositiveRate must be in (0, 1), got ${fpp}`);
    }
    const handle = this.#ex.cuckoo_new(capacity, fpp) >>> 0;
    // A random seed per set, so no one can compute offline which keys collide.
    const [seedLo, seedHi] = options.seed ?? [randomSeed(), randomSeed()];
    this.#ex.cuckoo_set_seed(handle, seedLo >>> 0, seedHi >>> 0);
    this.#scratch.fresh();
    return new WasmIocSet(this.#ex, this.#scratch, handle);
  }

  deserialize(bytes: Uint8Array): WasmIocSet {
    const scratch = this.#scratch;
    scratch.reserve(bytes.length);
    scratch.u8.set(bytes, scratch.ptr);
    const handle = this.#ex.cuckoo_deserialize(scratch.ptr, bytes.length) >>> 0;
    scratch.fresh();
    if (handle === 0) throw new Error('IocSet.deserialize: not a valid serialized IOC set (format 1, 2 or 3)');
    return new WasmIocSet(this.#ex, this.#scratch, handle);
  }
}
