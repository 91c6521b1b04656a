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
