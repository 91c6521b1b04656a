import type { VigilExports } from './exports.js';

/**
 * The host side of the module's shared scratch buffer (assembly/scratch.ts): where batches of
 * input are written and results read back.
 *
 * Growing linear memory (any call that allocates may do it) detaches every ArrayBuffer view of
 * the old memory. Views are therefore never cached across a call into the module without
 * `fresh()`: it re-creates them when the memory's buffer changed.
 */
export class Scratch {
  /** Address of the scratch buffer. */
  ptr = 0;
  /** Its capacity in bytes. */
  capacity = 0;
  /** The whole linear memory as bytes (valid until the memory grows; see `fresh`). */
  u8: Uint8Array;
  /** The whole linear memory as u32 (same caveat). */
  u32: Uint32Array;
  /** The whole linear memory as u16 (same caveat). */
  u16: Uint16Array;
  /** The whole linear memory as f64 (same caveat). */
  f64: Float64Array;
  /** The whole linear memory as u64 (same caveat). */
  u64: BigUint64Array;
  /** The scratch buffer alone, as bytes (same caveat). */
  view: Uint8Array;

  readonly #exports: VigilExports;

  constructor(exports: VigilExports, initialBytes = 1 << 16) {
    this.#exports = exports;
    this.u8 = new Uint8Array(exports.memory.buffer);
    this.u32 = new Uint32Array(exports.memory.buffer);
    this.u16 = new Uint16Array(exports.memory.buffer);
    this.f64 = new Float64Array(exports.memory.buffer);
    this.u64 = new BigUint64Array(exports.memory.buffer);
    this.view = this.u8;
    this.reserve(initialBytes);
  }

  /** Makes the buffer hold at least `bytes` bytes (may grow memory; views are refreshed). */
  reserve(bytes: number): void {
    if (bytes > this.capacity) {
      this.ptr = this.#exports.scratch_reserve(bytes) >>> 0;
      this.capacity = this.#exports.scratch_capacity() >>> 0;
      this.#rebuild();
    } else {
      this.fresh();
    }
  }

  /** Re-creates the views if the memory grew since they were made. Cheap when it did not. */
  fresh(): void {
    // Growth detaches the old buffer, and a detached view has length 0. Checking that is much
    // cheaper than the `memory.buffer` getter (a call into the engine) on every lookup.
    if (this.u8.byteLength === 0) this.#rebuild();
  }

  #rebuild(): void {
    const buffer = this.#exports.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.u64 = new BigUint64Array(buffer);
    this.view = this.u8.subarray(this.ptr, this.ptr + this.capacity);
  }
}
