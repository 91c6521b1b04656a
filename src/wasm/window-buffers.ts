/**
 * Window buffers over WebAssembly (assembly/windows.ts): the pane and key bookkeeping of
 * event-time windows. Each event updates one (pane, key) slot — its count and the sum, min and
 * max of an optional numeric value — whatever the number of sliding windows it belongs to; the
 * module says which windows close as the watermark moves, which keys have data in them (in
 * arrival order) with their aggregates and slots, and which slots were freed. The events
 * themselves stay with the caller, in an array per slot id (see src/engine/window.ts).
 *
 * Keys cross as UTF-8 in the shared scratch buffer, a batch per call, and are interned in the
 * module (exact bytes, XXH64-indexed). Memory growth during a call detaches the host's views;
 * they are re-created after every call (see Scratch). Results of `advance`, `keySlots` and `dump`
 * are views of module memory, valid until the next call into the module.
 */
import type { VigilExports } from './exports.js';
import { Scratch } from './scratch.js';

import { LATE_SLOT, type DumpedPane, type FiredWindows as FiredWindowsPort, type WindowBufferFactory as WindowBufferFactoryPort, type WindowBuffers, type WindowBufferSpec } from '../engine/ports.js';

// The shapes are the engine's port (src/engine/ports.ts); re-exported for users of this module.
export { LATE_SLOT, type DumpedPane, type WindowBufferSpec };

/** Events per crossing of insertMany. */
const CHUNK_EVENTS = 4096;
const KEY_OUT = 40;
const WIN_HEADER = 24;
const OUT_HEADER = 24;

const encoder = new TextEncoder();

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * The windows fired by one `advance`, read in place from module memory: valid until the next
 * call into the module. Window w has `keys(w)` keys (ordinal 0 … in order of first arrival) and,
 * when asked for, `slots(w)` (slot, ordinal) pairs in pane order then arrival order.
 */
export class FiredWindows implements FiredWindowsPort {
  /** Earliest end above the watermark of a window holding data; Infinity when none. */
  readonly nextEnd: number;
  /** Earliest watermark at which a pane can be dropped; Infinity when none. */
  readonly nextPurge: number;
  /** Number of windows fired. */
  readonly length: number;
  /** Slots freed (their panes expired): the caller drops what it kept for them. */
  readonly freed: Uint32Array;
  readonly #u32: Uint32Array;
  readonly #f64: Float64Array;
  readonly #at: number[] = [];

  /** @internal */
  constructor(u32: Uint32Array, f64: Float64Array, out: number) {
    this.#u32 = u32;
    this.#f64 = f64;
    this.nextEnd = f64[out >>> 3]!;
    this.nextPurge = f64[(out >>> 3) + 1]!;
    this.length = u32[(out >>> 2) + 4]!;
    const nFreed = u32[(out >>> 2) + 5]!;
    let p = out + OUT_HEADER;
    for (let w = 0; w < this.length; w++) {
      this.#at.push(p);
      const keys = u32[(p >>> 2) + 4]!;
      const slots = u32[(p >>> 2) + 5]!;
      p += WIN_HEADER + 8 * slots + KEY_OUT * keys;
    }
    this.freed = u32.subarray(p >>> 2, (p >>> 2) + nFreed);
  }

  start(w: number): number {
    return this.#f64[this.#at[w]! >>> 3]!;
  }
  end(w: number): number {
    return this.#f64[(this.#at[w]! >>> 3) + 1]!;
  }
  /** Keys with data in window w. */
  keys(w: number): number {
    return this.#u32[(this.#at[w]! >>> 2) + 4]!;
  }
  /** (slot, ordinal) pairs of window w (0 unless advance was asked for slots). */
  slots(w: number): number {
    return this.#u32[(this.#at[w]! >>> 2) + 5]!;
  }
  /** The i-th slot of window w, in pane order then arrival order. */
  slot(w: number, i: number): number {
    return this.#u32[((this.#at[w]! + WIN_HEADER) >>> 2) + 2 * i]!;
  }
  /** The ordinal of the key of the i-th slot of window w. */
  slotKey(w: number, i: number): number {
    return this.#u32[((this.#at[w]! + WIN_HEADER) >>> 2) + 2 * i + 1]!;
  }
  #key(w: number, k: number): number {
    const at = this.#at[w]!;
    return at + WIN_HEADER + 8 * this.#u32[(at >>> 2) + 5]! + KEY_OUT * k;
  }
  /** Events of key k in window w. */
  count(w: number, k: number): number {
    return this.#u32[(this.#key(w, k) >>> 2) + 7]!;
  }
  /** Sum of the values of key k in window w (0 without values). */
  sum(w: number, k: number): number {
    return this.#f64[this.#key(w, k) >>> 3]!;
  }
  /** Smallest value of key k in window w (Infinity without values). */
  min(w: number, k: number): number {
    return this.#f64[(this.#key(w, k) >>> 3) + 1]!;
  }
  /** Largest value of key k in window w (−Infinity without values). */
  max(w: number, k: number): number {
    return this.#f64[(this.#key(w, k) >>> 3) + 2]!;
  }
  /** The key's first slot in window w (its oldest pane): identifies the key to the caller. */
  firstSlot(w: number, k: number): number {
    return this.#u32[(this.#key(w, k) >>> 2) + 6]!;
  }
}

/** The window buffers of one windowed rule. Create them through the factory. */
export class WasmWindowBuffers implements WindowBuffers {
  readonly spec: WindowBufferSpec;
  /** gcd(length, slide): the width of a pane. */
  readonly paneMs: number;
  readonly #ex: VigilExports;
  readonly #scratch: Scratch;
  #handle: number;

  /** @internal */
  constructor(exports: VigilExports, scratch: Scratch, handle: number, spec: WindowBufferSpec, paneMs: number) {
    this.#ex = exports;
    this.#scratch = scratch;
    this.#handle = handle;
    this.spec = spec;
    this.paneMs = paneMs;
  }

  /** Open panes. */
  get paneCount(): number {
    return this.#ex.wb_pane_count(this.#live()) >>> 0;
  }
  /** Keys with data in some open pane. */
  get keyCount(): number {
    return this.#ex.wb_key_count(this.#live()) >>> 0;
  }
  /** Live (pane, key) slots. */
  get slotCount(): number {
    return this.#ex.wb_slots_live(this.#live()) >>> 0;
  }
  /** Bytes of module memory held. */
  get byteSize(): number {
    return this.#ex.wb_byte_size(this.#live()) >>> 0;
  }

  /**
   * Adds events i = from … from+count−1: key text keys[i], time times[i] (epoch ms), numeric
   * value values[i] (NaN or no `values`: counted without a value). Writes each event's slot id
   * to slotsOut[outAt + i − from] — LATE_SLOT for an event later than the allowed lateness.
   */
  insertMany(
    keys: readonly string[],
    times: ArrayLike<number>,
    values: ArrayLike<number> | null,
    slotsOut: Uint32Array,
    from = 0,
    count = keys.length - from,
    outAt = 0,
  ): void {
    const handle = this.#live();
    const scratch = this.#scratch;
    for (let i = from; i < from + count; i += CHUNK_EVENTS) {
      const k = Math.min(CHUNK_EVENTS, from + count - i);
      // Layout: times k×8 | values k×8 | out k×4 | lens k×4 | UTF-8 keys
      let units = 0;
      for (let q = 0; q < k; q++) units += keys[i + q]!.length;
      const valuesOff = 8 * k;
      const outOff = 16 * k;
      const lensOff = 20 * k;
      const dataOff = 24 * k;
      scratch.reserve(dataOff + 3 * units);
      const base = scratch.ptr;
      const u8 = scratch.u8;
      const u32 = scratch.u32;
      const f64 = scratch.f64;
      const t0 = base >>> 3;
      const v0 = (base + valuesOff) >>> 3;
      const l0 = (base + lensOff) >>> 2;
      for (let q = 0; q < k; q++) {
        f64[t0 + q] = times[i + q]!;
        f64[v0 + q] = values === null ? NaN : values[i + q]!;
      }
      let off = base + dataOff;
      const end = off + 3 * units;
      for (let q = 0; q < k; q++) {
        const s = keys[i + q]!;
        const n = s.length;
        let j = 0;
        // ASCII by a JS loop (cheaper than encodeInto for short keys); anything else by the encoder.
        for (; j < n; j++) {
          const c = s.charCodeAt(j);
          if (c >= 0x80) break;
          u8[off + j] = c;
        }
        const written = j === n ? n : encoder.encodeInto(s, u8.subarray(off, end)).written;
        u32[l0 + q] = written;
        off += written;
      }
      this.#ex.wb_insert_many(handle, base + dataOff, base + lensOff, base, base + valuesOff, k, base + outOff);
      scratch.fresh();
      const o0 = (scratch.ptr + outOff) >>> 2;
      slotsOut.set(scratch.u32.subarray(o0, o0 + k), outAt + (i - from));
    }
  }

  /**
   * Moves the watermark from `previous` to `watermark` and fires every window holding data whose
   * end is in (previous, watermark], in order of end; then frees the panes past the allowed
   * lateness. `withSlots` also lists each window's slots (to gather the caller's events).
   */
  advance(previous: number, watermark: number, withSlots: boolean): FiredWindows {
    const handle = this.#live();
    this.#ex.wb_advance(handle, previous, watermark, withSlots ? 1 : 0);
    return this.#fired();
  }

  /** Sets the watermark without firing (after restoring) and frees expired panes. */
  setWatermark(watermark: number): FiredWindows {
    const handle = this.#live();
    this.#ex.wb_set_watermark(handle, watermark);
    return this.#fired();
  }

  /** The slots of one key in the panes of window [start, end), oldest first (a view: copy to keep). */
  keySlots(keyText: string, start: number, end: number): Uint32Array {
    const handle = this.#live();
    const scratch = this.#scratch;
    scratch.reserve(keyText.length * 3);
    const { written } = encoder.encodeInto(keyText, scratch.u8.subarray(scratch.ptr, scratch.ptr + keyText.length * 3));
    const n = this.#ex.wb_key_slots(handle, scratch.ptr, written, start, end) >>> 0;
    scratch.fresh();
    const p = this.#ex.wb_out_ptr() >>> 2;
    return scratch.u32.subarray(p, p + n);
  }

  /** Every open pane, oldest first, with its slots in arrival order. */
  dump(): DumpedPane[] {
    const handle = this.#live();
    const n = this.#ex.wb_dump(handle) >>> 0;
    const scratch = this.#scratch;
    scratch.fresh();
    let p = this.#ex.wb_out_ptr() >>> 0;
    const panes: DumpedPane[] = [];
    for (let i = 0; i < n; i++) {
      const start = scratch.f64[p >>> 3]!;
      const count = scratch.u32[(p >>> 2) + 2]!;
      panes.push({ start, slots: scratch.u32.slice((p >>> 2) + 4, (p >>> 2) + 4 + count) });
      p = (p + 16 + 4 * count + 7) & ~7;
    }
    return panes;
  }

  dispose(): void {
    if (this.#handle === 0) return;
    registry?.unregister(this);
    this.#ex.wb_free(this.#handle);
    this.#handle = 0;
  }

  #fired(): FiredWindows {
    const scratch = this.#scratch;
    scratch.fresh();
    return new FiredWindows(scratch.u32, scratch.f64, this.#ex.wb_out_ptr() >>> 0);
  }

  #live(): number {
    if (this.#handle === 0) throw new Error('WindowBuffers used after dispose()');
    return this.#handle;
  }
}

// Buffers a rule dropped without dispose() (a replaced or removed rule) are freed when collected.
const registry =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<{ ex: VigilExports; handle: number }>(({ ex, handle }) => ex.wb_free(handle))
    : undefined;

/** Creates window buffers in one module instance. */
export class WasmWindowBufferFactory implements WindowBufferFactoryPort {
  readonly #ex: VigilExports;
  readonly #scratch: Scratch;
  #seed = 0x9e3779b9;

  constructor(exports: VigilExports, scratch: Scratch = new Scratch(exports)) {
    this.#ex = exports;
    this.#scratch = scratch;
  }

  create(spec: WindowBufferSpec): WasmWindowBuffers {
    const { lengthMs, slideMs, allowedLatenessMs } = spec;
    if (!(lengthMs > 0) || !(slideMs > 0) || slideMs > lengthMs) {
      throw new RangeError(`invalid window: length ${lengthMs} ms, slide ${slideMs} ms`);
    }
    if (!(allowedLatenessMs >= 0)) throw new RangeError(`allowed lateness must be ≥ 0, got ${allowedLatenessMs}`);
    const paneMs = gcd(lengthMs, slideMs);
    // A different hash seed per buffer (a Weyl sequence): probe runs cannot be planned across rules.
    this.#seed = (this.#seed + 0x6d2b79f5) >>> 0;
    const handle = this.#ex.wb_new(paneMs, lengthMs, slideMs, allowedLatenessMs, this.#seed, 0x2545f491) >>> 0;
    this.#scratch.fresh();
    const buffers = new WasmWindowBuffers(this.#ex, this.#scratch, handle, spec, paneMs);
    registry?.register(buffers, { ex: this.#ex, handle }, buffers);
    return buffers;
  }
}

/** What createHotPaths hands the engine for aggregation rules. */
export type WindowBufferFactory = Pick<WasmWindowBufferFactory, 'create'>;
