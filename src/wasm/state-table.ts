/**
 * Per-key state tables over WebAssembly (assembly/state-table.ts): the storage of state-machine
 * rules. A table maps a key to a small state id and the key's last-seen time; a transition
 * program (one per rule) maps (state, event type) to the next state, and `stepMany` applies a
 * whole batch of events inside the module in one crossing.
 *
 * Keys: a table holds 32-bit keys (numbers 0 … 2^32−1, e.g. IPv4 addresses) or 64-bit keys
 * (safe non-negative integers, bigints, or strings). A string is kept only as its XXH64 hash of
 * its UTF-8: two strings share a state only on a 64-bit hash collision (~n²/2^65 for n live keys,
 * 3·10⁻⁸ at a million), which we accept. Such tables give keys back as bigints (the hashes).
 *
 * States: 0 is INITIAL (an absent key is in INITIAL); ids go up to 0xFFFD; TERM (0xFFFE) is never
 * stored — reaching it forgets the key. Times are epoch milliseconds (event time), floored to
 * whole ms and kept within a rolling 49.7-day window (see the header of assembly/state-table.ts).
 *
 * Memory growth (a table growing, the scratch buffer) detaches the host's views; they are
 * re-created after every call that may allocate (see Scratch).
 */
import type { VigilExports } from './exports.js';
import { Scratch } from './scratch.js';

import {
  INITIAL, MAX_STATE, NO_TRANSITION, StepFlags, TERM,
  type StateKey, type StateKeys, type StateTableOptions, type StepOptions, type TransitionSpec,
  type StateTable, type StateTableFactory as StateTableFactoryPort, type StepOutcomes as StepOutcomesPort, type TransitionProgram as TransitionProgramPort,
} from '../engine/ports.js';

// The constants and shapes are the engine's port (src/engine/ports.ts); re-exported for users of this module.
export { INITIAL, MAX_STATE, NO_TRANSITION, StepFlags, TERM, type StateKey, type StateTableOptions, type StepOptions, type TransitionSpec };

/** Keys forgotten by evictIdle with `collect`, in table order. */
export interface EvictedKeys {
  keys: (number | bigint)[];
  states: number[];
  lastSeen: number[];
}

/** A compiled transition table, owned by the module instance that made it. */
export class TransitionProgram implements TransitionProgramPort {
  readonly states: number;
  readonly types: number;
  readonly resetOnInvalid: boolean;
  readonly #ex: VigilExports;
  #handle: number;

  /** @internal */
  constructor(exports: VigilExports, handle: number, spec: TransitionSpec) {
    this.#ex = exports;
    this.#handle = handle;
    this.states = spec.states;
    this.types = spec.types;
    this.resetOnInvalid = spec.resetOnInvalid === true;
  }

  /** @internal */
  get handle(): number {
    if (this.#handle === 0) throw new Error('TransitionProgram used after dispose()');
    return this.#handle;
  }

  dispose(): void {
    if (this.#handle === 0) return;
    this.#ex.st_program_free(this.#handle);
    this.#handle = 0;
  }
}

/**
 * Per-event results of stepMany, two u32 words per event:
 * word 0 = from | to << 16, word 1 = flags | expired << 16.
 */
export class StepOutcomes implements StepOutcomesPort {
  constructor(readonly words: Uint32Array) {}

  get length(): number {
    return this.words.length >>> 1;
  }
  /** The state the event applied to (INITIAL for a new or expired key). */
  from(i: number): number {
    return this.words[2 * i]! & 0xffff;
  }
  /** The state after the event (TERM when the key was forgotten by it). */
  to(i: number): number {
    return this.words[2 * i]! >>> 16;
  }
  /** StepFlags bits. */
  flags(i: number): number {
    return this.words[2 * i + 1]! & 0xffff;
  }
  /** With StepFlags.Timeout: the state the key had before it expired. */
  expired(i: number): number {
    return this.words[2 * i + 1]! >>> 16;
  }
}

/** Events per crossing: 4096 × 26 bytes of scratch. */
const CHUNK_EVENTS = 4096;
const TWO_32 = 4294967296;

const encoder = new TextEncoder();

type Keys = StateKeys;
type Types = Uint8Array | Uint16Array | readonly number[];
type Times = Float64Array | readonly number[];

/** A per-key state table in WebAssembly memory. Create it through the factory. */
export class WasmStateTable implements StateTable {
  /** Key width in bits. */
  readonly keyBits: 32 | 64;
  readonly #ex: VigilExports;
  readonly #scratch: Scratch;
  #handle: number;
  // The last key's halves, set by #key (avoids allocating a pair per call).
  #lo = 0;
  #hi = 0;

  /** @internal */
  constructor(exports: VigilExports, scratch: Scratch, handle: number) {
    this.#ex = exports;
    this.#scratch = scratch;
    this.#handle = handle;
    this.keyBits = exports.st_key_bits(handle) === 32 ? 32 : 64;
  }

  /** Keys held. */
  get size(): number {
    return this.#ex.st_size(this.#live()) >>> 0;
  }

  /** Slots; the table grows when keys would pass 3/4 of them. */
  get capacity(): number {
    return this.#ex.st_capacity(this.#live()) >>> 0;
  }

  /** Bytes of module memory the table holds. */
  get byteSize(): number {
    return this.#ex.st_byte_size(this.#live()) >>> 0;
  }

  /** The key's state, or -1 when absent. */
  get(key: StateKey): number {
    const handle = this.#live();
    this.#key(key);
    return this.#ex.st_get(handle, this.#lo, this.#hi);
  }

  /** The key's last-seen time (ms), or NaN when absent. */
  lastSeen(key: StateKey): number {
    const handle = this.#live();
    this.#key(key);
    return this.#ex.st_last_seen(handle, this.#lo, this.#hi);
  }

  /** Sets the key's state and last-seen time; state TERM deletes the key. */
  set(key: StateKey, state: number, time: number): void {
    const handle = this.#live();
    if (!(Number.isInteger(state) && state >= 0 && (state <= MAX_STATE || state === TERM))) {
      throw new RangeError(`state must be an integer in [0, ${MAX_STATE}] or TERM, got ${state}`);
    }
    if (!Number.isFinite(time)) throw new RangeError(`time must be finite epoch ms, got ${time}`);
    this.#key(key);
    this.#ex.st_set(handle, this.#lo, this.#hi, state, time);
    this.#scratch.fresh();
  }

  /** Deletes the key; true when it was present. */
  delete(key: StateKey): boolean {
    const handle = this.#live();
    this.#key(key);
    return this.#ex.st_delete(handle, this.#lo, this.#hi) !== 0;
  }

  /**
   * Forgets every key idle longer than `ttlMs` at `now` (now − last seen > ttlMs); returns how
   * many. One pass over the slots (≈ 10–14 bytes each): call it as the watermark advances, not per
   * event — stepMany already expires a key lazily at its next event. Exact for ttlMs < 2^31.
   */
  evictIdle(now: number, ttlMs: number): number {
    const handle = this.#live();
    checkEvict(now, ttlMs);
    return this.#ex.st_evict_idle(handle, now, ttlMs, 0) >>> 0;
  }

  /** evictIdle that also returns the forgotten keys, their states and last-seen times. */
  evictIdleCollect(now: number, ttlMs: number): EvictedKeys {
    const handle = this.#live();
    checkEvict(now, ttlMs);
    const n = this.#ex.st_evict_idle(handle, now, ttlMs, 1) >>> 0;
    const scratch = this.#scratch;
    scratch.fresh();
    const out: EvictedKeys = { keys: new Array(n), states: new Array(n), lastSeen: new Array(n) };
    const p = this.#ex.st_out_ptr() >>> 0;
    const u32 = scratch.u32;
    const f64 = scratch.f64;
    for (let i = 0; i < n; i++) {
      const r = p + 24 * i;
      out.keys[i] = this.#keyOut(u32[r >>> 2]!, u32[(r >>> 2) + 1]!);
      out.lastSeen[i] = f64[(r + 8) >>> 3]!;
      out.states[i] = u32[(r + 16) >>> 2]!;
    }
    return out;
  }

  /**
   * Applies events i = 0 … n−1 (key i, event type i, event time i) in order through `program`,
   * in the module; returns each event's outcome. See st_step_many in assembly/state-table.ts
   * for the exact rules (timeouts, invalid events, TERM). Times must be finite epoch ms (they are
   * not checked here: this is the hot path). Typed arrays are copied with one `set` per chunk;
   * plain arrays element by element.
   */
  stepMany(program: TransitionProgram, keys: Keys, types: Types, times: Times, options: StepOptions = {}): StepOutcomes {
    const handle = this.#live();
    const prog = program.handle;
    const n = keys.length;
    if (types.length !== n || times.length !== n) throw new RangeError('stepMany: keys, types and times must have the same length');
    const ttl = options.ttlMs ?? Infinity;
    if (!(ttl >= 0)) throw new RangeError(`ttlMs must be ≥ 0, got ${ttl}`);
    const words = new Uint32Array(2 * n);
    const scratch = this.#scratch;
    for (let i = 0; i < n; i += CHUNK_EVENTS) {
      const k = Math.min(CHUNK_EVENTS, n - i);
      // Layout (8-aligned): keys k×8 | times k×8 | out k×8 | types k×2 | (strings: lens k×4 | UTF-8)
      const timesOff = 8 * k;
      const outOff = 16 * k;
      const typesOff = 24 * k;
      const lensOff = (typesOff + 2 * k + 3) & ~3; // u32-aligned (k×2 may be ≡ 2 mod 4)
      scratch.reserve(lensOff + 4 * k);
      this.#writeKeys(keys, i, k, lensOff);
      const base = scratch.ptr;
      copyInto(scratch.f64, (base + timesOff) >>> 3, times, i, k);
      copyInto(scratch.u16, (base + typesOff) >>> 1, types, i, k);
      this.#ex.st_step_many(handle, prog, k, base, base + typesOff, base + timesOff, ttl, base + outOff);
      scratch.fresh();
      words.set(scratch.u32.subarray((base + outOff) >>> 2, ((base + outOff) >>> 2) + 2 * k), 2 * i);
    }
    return new StepOutcomes(words);
  }

  /** The table as bytes (format VST1), for checkpoints. */
  serialize(): Uint8Array {
    const handle = this.#live();
    const size = this.#ex.st_serialized_size(handle) >>> 0;
    const scratch = this.#scratch;
    scratch.reserve(size);
    const written = this.#ex.st_serialize(handle, scratch.ptr) >>> 0;
    scratch.fresh();
    return scratch.u8.slice(scratch.ptr, scratch.ptr + written);
  }

  /** Every key with its state and last-seen time (a snapshot, in table order). */
  *entries(): IterableIterator<[key: number | bigint, state: number, lastSeen: number]> {
    const bytes = this.serialize();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const keyBytes = view.getUint32(8, true);
    const count = view.getUint32(12, true);
    const base = view.getFloat64(16, true);
    const stride = keyBytes + 6;
    for (let r = 0, p = 32; r < count; r++, p += stride) {
      const lo = view.getUint32(p, true);
      const hi = keyBytes === 8 ? view.getUint32(p + 4, true) : 0;
      yield [this.#keyOut(lo, hi), view.getUint16(p + keyBytes + 4, true), base + view.getUint32(p + keyBytes, true)];
    }
  }

  dispose(): void {
    if (this.#handle === 0) return;
    this.#ex.st_free(this.#handle);
    this.#handle = 0;
  }

  #live(): number {
    if (this.#handle === 0) throw new Error('StateTable used after dispose()');
    return this.#handle;
  }

  #keyOut(lo: number, hi: number): number | bigint {
    return this.keyBits === 32 ? lo : (BigInt(hi) << 32n) | BigInt(lo);
  }

  // Splits a key into #lo/#hi, validating it against the table's width.
  #key(key: StateKey): void {
    if (typeof key === 'number') {
      if (this.keyBits === 32) {
        if (key >>> 0 !== key) throw new RangeError(`32-bit state table key must be an integer in [0, 2^32), got ${key}`);
        this.#lo = key;
        this.#hi = 0;
        return;
      }
      if (!(Number.isSafeInteger(key) && key >= 0)) throw new RangeError(`64-bit state table number key must be a safe integer ≥ 0, got ${key}`);
      this.#lo = key >>> 0;
      this.#hi = Math.floor(key / TWO_32);
      return;
    }
    if (this.keyBits === 32) throw new TypeError(`32-bit state tables take number keys, got ${typeof key}`);
    if (typeof key === 'bigint') {
      if (key < 0n || key >= 1n << 64n) throw new RangeError(`64-bit state table key out of range: ${key}`);
      this.#lo = Number(key & 0xffffffffn);
      this.#hi = Number(key >> 32n);
      return;
    }
    // A string: XXH64 of its UTF-8, computed in the module (hash64_many of one key).
    const scratch = this.#scratch;
    scratch.reserve(16 + key.length * 3);
    const base = scratch.ptr;
    const { written } = encoder.encodeInto(key, scratch.u8.subarray(base + 16, base + 16 + key.length * 3));
    scratch.u32[(base + 8) >>> 2] = written;
    this.#ex.hash64_many(base + 16, base + 8, 1, 0, base);
    this.#lo = scratch.u32[base >>> 2]!;
    this.#hi = scratch.u32[(base >>> 2) + 1]!;
  }

  // Writes keys [i, i + k) at the scratch buffer's start, as u32 or u64 per the table's width.
  #writeKeys(keys: Keys, i: number, k: number, lensOff: number): void {
    const scratch = this.#scratch;
    const base = scratch.ptr;
    if (this.keyBits === 32) {
      if (keys instanceof Uint32Array) {
        scratch.u32.set(keys.subarray(i, i + k), base >>> 2);
        return;
      }
      const u32 = scratch.u32;
      for (let q = 0; q < k; q++) {
        const key = keys[i + q];
        if (typeof key !== 'number' || key >>> 0 !== key) throw new RangeError(`32-bit state table key must be an integer in [0, 2^32), got ${String(key)}`);
        u32[(base >>> 2) + q] = key;
      }
      return;
    }
    if (keys instanceof BigUint64Array) {
      scratch.u64.set(keys.subarray(i, i + k), base >>> 3);
      return;
    }
    if (keys instanceof Uint32Array) {
      const u32 = scratch.u32;
      for (let q = 0; q < k; q++) {
        u32[(base >>> 2) + 2 * q] = keys[i + q]!;
        u32[(base >>> 2) + 2 * q + 1] = 0;
      }
      return;
    }
    const first = keys[i];
    if (typeof first === 'string') {
      // Strings: UTF-8 one after another plus their byte lengths, hashed in the module into the
      // key area. Encoded key by key (byte mode), so no surrogate pair can straddle two keys.
      const strings = keys as readonly string[];
      let units = 0;
      for (let q = 0; q < k; q++) {
        const s = strings[i + q];
        if (typeof s !== 'string') throw new TypeError('stepMany: mixed key types');
        units += s.length;
      }
      const dataOff = lensOff + 4 * k;
      scratch.reserve(dataOff + 3 * units);
      const b = scratch.ptr;
      const u8 = scratch.u8;
      const u32 = scratch.u32;
      let off = b + dataOff;
      const end = b + dataOff + 3 * units;
      for (let q = 0; q < k; q++) {
        const { written } = encoder.encodeInto(strings[i + q]!, u8.subarray(off, end));
        u32[((b + lensOff) >>> 2) + q] = written;
        off += written;
      }
      this.#ex.hash64_many(b + dataOff, b + lensOff, k, 0, b);
      return;
    }
    for (let q = 0; q < k; q++) {
      this.#key(keys[i + q] as StateKey);
      const u32 = scratch.u32;
      u32[(base >>> 2) + 2 * q] = this.#lo;
      u32[(base >>> 2) + 2 * q + 1] = this.#hi;
    }
  }
}

function checkEvict(now: number, ttlMs: number): void {
  if (!Number.isFinite(now)) throw new RangeError(`now must be finite epoch ms, got ${now}`);
  if (!(ttlMs >= 0)) throw new RangeError(`ttlMs must be ≥ 0, got ${ttlMs}`);
}

function copyInto(view: Float64Array | Uint16Array, index: number, src: ArrayLike<number>, from: number, count: number): void {
  if (src instanceof Float64Array || src instanceof Uint16Array || src instanceof Uint8Array) {
    view.set(src.subarray(from, from + count), index);
    return;
  }
  for (let q = 0; q < count; q++) view[index + q] = src[from + q]!;
}

/** Creates state tables and transition programs in one module instance. */
export class WasmStateTableFactory implements StateTableFactoryPort {
  readonly #ex: VigilExports;
  readonly #scratch: Scratch;

  constructor(exports: VigilExports, scratch: Scratch = new Scratch(exports)) {
    this.#ex = exports;
    this.#scratch = scratch;
  }

  create(options: StateTableOptions = {}): WasmStateTable {
    const keyBits = options.keyBits ?? 32;
    const capacity = options.capacity ?? 1024;
    const seed = options.seed ?? 0x2545f491;
    if (keyBits !== 32 && keyBits !== 64) throw new RangeError(`keyBits must be 32 or 64, got ${String(keyBits)}`);
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > 1 << 28) {
      throw new RangeError(`StateTable capacity must be an integer in [0, 2^28], got ${capacity}`);
    }
    if (seed >>> 0 !== seed) throw new RangeError(`seed must be a u32, got ${seed}`);
    const handle = this.#ex.st_new(keyBits, capacity, seed, 0) >>> 0;
    this.#scratch.fresh();
    return new WasmStateTable(this.#ex, this.#scratch, handle);
  }

  deserialize(bytes: Uint8Array): WasmStateTable {
    const scratch = this.#scratch;
    scratch.reserve(bytes.length);
    scratch.u8.set(bytes, scratch.ptr);
    const handle = this.#ex.st_deserialize(scratch.ptr, bytes.length) >>> 0;
    scratch.fresh();
    if (handle === 0) throw new Error('StateTable.deserialize: not a valid serialized state table (format VST1)');
    return new WasmStateTable(this.#ex, this.#scratch, handle);
  }

  /** Compiles a transition table (once per rule). */
  program(spec: TransitionSpec): TransitionProgram {
    const { states, types, transitions } = spec;
    if (!Number.isInteger(states) || states < 1 || states > MAX_STATE + 1) throw new RangeError(`states must be in [1, ${MAX_STATE + 1}], got ${states}`);
    if (!Number.isInteger(types) || types < 1 || types > 0x10000) throw new RangeError(`types must be in [1, 65536], got ${types}`);
    const count = states * types;
    if (transitions.length !== count) throw new RangeError(`transitions must have states × types = ${count} entries, got ${transitions.length}`);
    const scratch = this.#scratch;
    scratch.reserve(4 * count);
    const u32 = scratch.u32;
    const at = scratch.ptr >>> 2;
    for (let i = 0; i < count; i++) {
      const v = transitions[i]!;
      if (!(v === NO_TRANSITION || v === TERM || (Number.isInteger(v) && v >= 0 && v < states))) {
        throw new RangeError(`transitions[${i}] must be a state in [0, ${states}), TERM or NO_TRANSITION, got ${v}`);
      }
      u32[at + i] = v >>> 0;
    }
    const handle = this.#ex.st_program_new(scratch.ptr, states, types, spec.resetOnInvalid ? 1 : 0) >>> 0;
    scratch.fresh();
    if (handle === 0) throw new Error('StateTable.program: the module rejected the transition table');
    return new TransitionProgram(this.#ex, handle, spec);
  }
}

/** What createHotPaths hands the engine for state-machine rules. */
export type StateTableFactory = Pick<WasmStateTableFactory, 'create' | 'deserialize' | 'program'>;
