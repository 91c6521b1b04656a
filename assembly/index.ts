// The module's exports. This file only re-exports; each hot path lives in its own file.

// Shared scratch buffer (host ↔ module batches)
export { scratch_reserve, scratch_capacity } from './scratch';

// Hashing
export { hash64, hash64_many } from './hash';

// IOC sets: cuckoo filters
export {
  cuckoo_new,
  cuckoo_free,
  cuckoo_add,
  cuckoo_has,
  cuckoo_has_many,
  cuckoo_remove,
  cuckoo_removed,
  cuckoo_count,
  cuckoo_byte_size,
  cuckoo_levels,
  cuckoo_fingerprint_bits,
  cuckoo_serialized_size,
  cuckoo_serialize,
  cuckoo_deserialize,
  cuckoo_set_seed,
  cuckoo_keyed,
} from './cuckoo';

// Per-key state tables and transition programs (state-machine rules)
export {
  st_new,
  st_free,
  st_size,
  st_capacity,
  st_byte_size,
  st_key_bits,
  st_get,
  st_last_seen,
  st_set,
  st_delete,
  st_evict_idle,
  st_out_ptr,
  st_program_new,
  st_program_free,
  st_step_many,
  st_serialized_size,
  st_serialize,
  st_deserialize,
} from './state-table';

// Window buffers: panes, per-key slots and their aggregates (aggregation rules)
export {
  wb_new,
  wb_free,
  wb_insert_many,
  wb_advance,
  wb_set_watermark,
  wb_key_slots,
  wb_dump,
  wb_out_ptr,
  wb_slot_count,
  wb_pane_count,
  wb_key_count,
  wb_slots_live,
  wb_byte_size,
  wb_watermark,
} from './windows';

// Sigma prefilter: Aho–Corasick scanning over UTF-8 (measured against the JavaScript automaton)
export { ac_new, ac_free, ac_scan } from './aho-corasick';
