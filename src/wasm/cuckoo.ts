/**
 * IOC sets over the WebAssembly cuckoo filter (assembly/cuckoo.ts).
 *
 * Sets made by `create` are host-hashed (serialized format 3): each key is hashed here, over its
 * UTF-16 code units, with a random 64-bit seed drawn per set (Web Crypto) and saved with the set
 * (see `hashKey`); only the two 32-bit halves of the hash cross into the module, which mixes them
 * and probes. No key is copied into WebAssembly memory: a single `has` is one call with three
 * integers, and `hasMany`/`add`/`remove` write 8 bytes per key into the scratch buffer.
 *
 * Sets restored from older bytes keep the hashing they were built with, since a filter holds no
 * keys to rehash: format 2 (keyed: the module hashes the key's UTF-8 with XXH64 and the saved
 * seed) and format 1 (seed 0, as the oldest checkpoints hold them). For those, keys cross as
 * UTF-8 in the shared scratch buffer, in batches: a chunk of keys is joined into one string and
 * encoded with a single `TextEncoder.encodeInto`, next to an array of the keys' lengths; the
 * module splits the bytes and hashes each key itself. Lone surrogates become U+FFFD there (as
 * `TextEncoder` does), so in formats 1 and 2 'a\uD800' and 'a\uFFFD' are one key; in format 3
 * every distinct string is its own key. Memory growth during a call detaches the host's views;
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

/** Keys up to this many UTF-16 units are copied by a JS loop when ASCII (see `has`). */
const ASCII_LOOP_MAX = 16;

/** Keys hashed per crossing in format 3 (8 bytes of hash and 1 of result each). */
const HASH_CHUNK_KEYS = 4096;

const encoder = new TextEncoder();

// hashKey's result (two i32 halves), in module variables so a look-up allocates nothing.
let hashLo = 0;
let hashHi = 0;

/**
 * The format 3 key hash: two 32-bit lanes over the key's UTF-16 code units, two units a step,
 * seeded with the set's seed (lane a also with the length). JavaScript reads a string only one
 * code unit at a time (charCodeAt), and that read, not the arithmetic, is the cost: the lanes
 * use 32-bit operations only and are not avalanched here; the module finishes with a 64-bit mix
 * (assembly/cuckoo.ts, hostHash), a bijection, so it adds no collisions.
 * - Lane a (xor, multiply by an odd constant, rotate) is a bijection of its state for each block:
 *   two keys of one length that differ in one block (one or two adjacent code units) always
 *   differ in lane a, so they never share a hash.
 * - Lane b (add, multiply, xor-shift) mixes the same blocks differently, so a difference pattern
 *   that cancels in one lane (e.g. the top bit, which a multiplication carries unchanged) does not
 *   cancel in the other.
 * Keys that share the full 64 bits behave like copies of one key (see the filter's notes on
 * copies): no key is lost, a crowded bucket pair spills into a small extra level, and a look-up
 * still reads two buckets per level.
 */
function hashKey(key: string, seedLo: number, seedHi: number): void {
  const n = key.length;
  let a = seedLo ^ n;
  let b = seedHi;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const k = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16);
    a = Math.imul(a ^ k, 0x9e3779b1);
    a = (a << 15) | (a >>> 17);
    b = Math.imul((b + k) | 0, 0x85ebca77);
    b ^= b >>> 13;
  }
  if (i < n) {
    const k = key.charCodeAt(i);
    a = Math.imul(a ^ k, 0x9e3779b1);
    a = (a << 15) | (a >>> 17);
    b = Math.imul((b + k) | 0, 0x85ebca77);
    b ^= b >>> 13;
  }
  hashLo = a;
  hashHi = b;
}

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
  readonly #hasHash: (handle: number, lo: number, hi: number) => number;
  /** Format 3: keys are hashed here (hashKey) with this seed. */
  readonly #hostHashed: boolean;
  readonly #seedLo: number;
  readonly #seedHi: number;
  #handle: number;

  /** @internal `seed`: the set's seed when it is host-hashed (format 3), else null. */
  constructor(exports: VigilExports, scratch: Scratch, handle: number, seed: readonly [number, number] | null) {
    this.#ex = exports;
    this.#scratch = scratch;
    this.#has = exports.cuckoo_has;
    this.#hasHash = exports.cuckoo_has_hash;
    this.#handle = handle;
    this.#hostHashed = seed !== null;
    this.#seedLo = seed ? seed[0] | 0 : 0;
    this.#seedHi = seed ? seed[1] | 0 : 0;
  }

  /**
   * The serialized format this set writes: 3 (new sets: keys hashed on the host with a random
   * seed), 2 (restored from format 2: keyed, hashed in the module) or 1 (restored from format 1:
   * seed 0).
   */
  get format(): 1 | 2 | 3 {
    return (this.#ex.cuckoo_format(this.#live()) >>> 0) as 1 | 2 | 3;
  }

  add(entries: readonly string[]): void {
    if (this.#hostHashed) this.#hashed(entries, Op.Add, null);
    else this.#batch(entries, Op.Add, null);
  }

  remove(entries: readonly string[]): number {
    return this.#hostHashed ? this.#hashed(entries, Op.Remove, null) : this.#batch(entries, Op.Remove, null);
  }

  has(entry: string): boolean {
    const handle = this.#live();
    if (this.#hostHashed) {
      hashKey(entry, this.#seedLo, this.#seedHi);
      return this.#hasHash(handle, hashLo, hashHi) !== 0;
    }
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
    const out = new Uint8Array(entries.length);
    if (this.#hostHashed) this.#hashed(entries, Op.Has, out);
    else this.#batch(entries, Op.Has, out);
    return out;
  }

  get count(): number {
    return this.#ex.cuckoo_count(this.#live()) >>> 0;
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

  // Format 3: one operation over all entries, chunk by chunk, as (lo, hi) hash pairs in the
  // scratch buffer (results after them); returns keys removed (Op.Remove).
  #hashed(entries: readonly string[], op: Op, out: Uint8Array | null): number {
    const handle = this.#live();
    const scratch = this.#scratch;
    const ex = this.#ex;
    const seedLo = this.#seedLo;
    const seedHi = this.#seedHi;
    const n = entries.length;
    let removed = 0;
    for (let i = 0; i < n; i += HASH_CHUNK_KEYS) {
      const k = Math.min(HASH_CHUNK_KEYS, n - i);
      scratch.reserve(k * 9);
      const base = scratch.ptr; // 8-aligned (heap allocation)
      const u32 = scratch.u32;
      let w = base >>> 2;
      for (let q = 0; q < k; q++) {
        hashKey(entries[i + q]!, seedLo, seedHi);
        u32[w++] = hashLo;
        u32[w++] = hashHi;
      }
      switch (op) {
        case Op.Add:
          ex.cuckoo_add_hashes(handle, base, k);
          break;
        case Op.Remove:
          removed += ex.cuckoo_remove_hashes(handle, base, k) >>> 0;
          break;
        case Op.Has:
          ex.cuckoo_has_many_hashes(handle, base, k, base + k * 8);
          break;
      }
      if (out !== null) {
        scratch.fresh();
        out.set(scratch.u8.subarray(base + k * 8, base + k * 9), i);
      }
    }
    scratch.fresh();
    return removed;
  }

  // Formats 1 and 2: one operation over all entries, chunk by chunk; returns keys removed (Op.Remove).
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
      let j = i;
      let units = 0;
      let joined = '';
      while (j < n && j - i < CHUNK_KEYS) {
        const key = entries[j]!;
        const len = key.length;
        if (j > i && (units + len) * 3 + (j - i + 1) * 5 > CHUNK_BYTES) break;
        units += len;
        joined += key;
        j++;
      }
      const k = j - i;
      // Layout: k u32 lengths | k result bytes | UTF-8 data.
      const lensPtr = 0;
      const outOff = k * 4;
      const dataOff = outOff + k;
      scratch.reserve(dataOff + units * 3);
      const base = scratch.ptr;
      const u32 = scratch.u32;
      const lensIndex = (base + lensPtr) >>> 2;
      for (let q = 0; q < k; q++) u32[lensIndex + q] = entries[i + q]!.length;
      const { read, written } = encoder.encodeInto(joined, scratch.u8.subarray(base + dataOff, base + dataOff + units * 3));
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
        out.set(scratch.u8.subarray(base + outOff, base + outOff + k), i);
      }
      i = j;
    }
    scratch.fresh();
    return removed;
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

  /**
   * `seed` (two u32 halves) makes the set's hashing reproducible, for tests; by default it is
   * random. `format` 2 makes a set that the module hashes (UTF-8, XXH64), as sets were before
   * format 3, for measuring; by default 2 (format 3 measured slower, see the commit).
   */
  create(options: IocSetOptions & { seed?: readonly [number, number]; format?: 2 | 3 } = {}): WasmIocSet {
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
    const hostHashed = options.format === 3;
    if (hostHashed) this.#ex.cuckoo_set_host_hashed(handle, seedLo >>> 0, seedHi >>> 0);
    else this.#ex.cuckoo_set_seed(handle, seedLo >>> 0, seedHi >>> 0);
    this.#scratch.fresh();
    return new WasmIocSet(this.#ex, this.#scratch, handle, hostHashed ? [seedLo, seedHi] : null);
  }

  deserialize(bytes: Uint8Array): WasmIocSet {
    const scratch = this.#scratch;
    scratch.reserve(bytes.length);
    scratch.u8.set(bytes, scratch.ptr);
    const handle = this.#ex.cuckoo_deserialize(scratch.ptr, bytes.length) >>> 0;
    scratch.fresh();
    if (handle === 0) throw new Error('IocSet.deserialize: not a valid serialized IOC set (format 1, 2 or 3)');
    // Format 3: the host hashes with the seed saved after the 36-byte header (the module checked the layout).
    let seed: [number, number] | null = null;
    if (this.#ex.cuckoo_format(handle) >>> 0 === 3) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      seed = [view.getUint32(36, true), view.getUint32(40, true)];
    }
    return new WasmIocSet(this.#ex, this.#scratch, handle, seed);
  }
}
