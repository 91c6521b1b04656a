// The module's exports. This file only re-exports; each hot path lives in its own file.

// Shared scratch buffer (host ↔ module batches)
export { scratch_reserve, scratch_capacity } from './scratch';

// Hashing
export { hash64 } from './hash';

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
