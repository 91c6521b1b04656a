/**
 * The raw exports of build/vigil.wasm, as seen from JavaScript (pointers and u32 arrive as
 * signed i32: read them with `>>> 0`). Each hot path adds its functions here.
 */
export interface VigilExports {
  readonly memory: WebAssembly.Memory;

  // Shared scratch buffer (assembly/scratch.ts)
  scratch_reserve(bytes: number): number;
  scratch_capacity(): number;

  // Sigma prefilter: Aho–Corasick over UTF-8 (assembly/aho-corasick.ts)
  ac_new(ptr: number, states: number, dense: number, classes: number, edges: number, outputs: number): number;
  ac_free(handle: number): void;
  ac_scan(handle: number, text: number, len: number, out: number, max: number): number;

  // Hashing (assembly/hash.ts)
  hash64(ptr: number, len: number): bigint;
  hash64_many(data: number, lens: number, n: number, units: number, out: number): number;

  // IOC sets (assembly/cuckoo.ts)
  cuckoo_new(capacity: number, fpp: number): number;
  cuckoo_free(handle: number): void;
  cuckoo_add(handle: number, data: number, lens: number, n: number, units: number): number;
  cuckoo_has(handle: number, ptr: number, len: number): number;
  cuckoo_has_many(handle: number, data: number, lens: number, n: number, units: number, out: number): number;
  cuckoo_remove(handle: number, data: number, lens: number, n: number, units: number): number;
  cuckoo_removed(): number;
  cuckoo_count(handle: number): number;
  cuckoo_byte_size(handle: number): number;
  cuckoo_levels(handle: number): number;
  cuckoo_fingerprint_bits(handle: number): number;
  cuckoo_serialized_size(handle: number): number;
  cuckoo_serialize(handle: number, out: number): number;
  cuckoo_deserialize(ptr: number, len: number): number;
  cuckoo_set_seed(handle: number, lo: number, hi: number): number;
  cuckoo_keyed(handle: number): number;


  // Per-key state tables (assembly/state-table.ts); keys cross as two u32 halves (lo, hi)
  st_new(keyBits: number, capacity: number, seedLo: number, seedHi: number): number;
  st_free(handle: number): void;
  st_size(handle: number): number;
  st_capacity(handle: number): number;
  st_byte_size(handle: number): number;
  st_key_bits(handle: number): number;
  st_get(handle: number, lo: number, hi: number): number;
  st_last_seen(handle: number, lo: number, hi: number): number;
  st_set(handle: number, lo: number, hi: number, state: number, time: number): void;
  st_delete(handle: number, lo: number, hi: number): number;
  st_evict_idle(handle: number, now: number, ttl: number, collect: number): number;
  st_out_ptr(): number;
  st_program_new(ptr: number, nStates: number, nTypes: number, flags: number): number;
  st_program_free(handle: number): void;
  st_step_many(handle: number, program: number, n: number, keys: number, types: number, times: number, ttl: number, out: number): number;
  st_serialized_size(handle: number): number;
  st_serialize(handle: number, out: number): number;
  st_deserialize(ptr: number, len: number): number;

  // Window buffers (assembly/windows.ts)
  wb_new(paneMs: number, lengthMs: number, slideMs: number, lateMs: number, seedLo: number, seedHi: number): number;
  wb_free(handle: number): void;
  wb_insert_many(handle: number, data: number, lens: number, times: number, values: number, n: number, out: number): number;
  wb_advance(handle: number, previous: number, watermark: number, withSlots: number): number;
  wb_set_watermark(handle: number, watermark: number): number;
  wb_key_slots(handle: number, ptr: number, len: number, start: number, end: number): number;
  wb_dump(handle: number): number;
  wb_out_ptr(): number;
  wb_slot_count(handle: number, slot: number): number;
  wb_pane_count(handle: number): number;
  wb_key_count(handle: number): number;
  wb_slots_live(handle: number): number;
  wb_byte_size(handle: number): number;
  wb_watermark(handle: number): number;
}

/** The instance's exports, typed. */
export function vigilExports(instance: WebAssembly.Instance): VigilExports {
  return instance.exports as unknown as VigilExports;
}
