// Cuckoo filter for IOC sets (Fan et al., "Cuckoo Filter: Practically Better Than Bloom", 2014).
//
// Shape
// - Buckets of 4 slots; a slot holds an f-bit fingerprint, f ∈ {8, 12, 16}; 0 marks an empty slot.
//   f = 8 → a bucket is one u32, f = 16 → one u64, f = 12 → 6 bytes read as an unaligned u64.
//   Membership in a bucket is one load plus a SWAR "has zero lane" test.
// - Partial-key cuckoo hashing over any bucket count m (not only powers of two):
//     i1 = fastrange(lo32(h), m),  i2 = (H(fp) − i1) mod m,  with H(fp) = fastrange(fp·c, m),
//   an involution (alt(alt(i)) = i), so a fingerprint's other bucket is known from (bucket, fp).
//   Sizing m freely keeps the load — and so the FPP ≈ 8·load/(2^f − 1) — where we want it.
// - Fingerprint size and maximum load come from the target FPP: for each f, the load allowed is
//   min(0.95, target·(2^f − 1)/8); we take the f with the fewest bits per item (f / load).
//
// Growth: a chain of levels (a "scalable cuckoo filter"). A level accepts inserts while its count
// is below its load limit. An insert that cannot find room after MAX_KICKS evictions is rolled
// back exactly (every displaced fingerprint goes back where it was), the level is marked full and
// the key goes to the next level, created on demand with twice the previous capacity. No
// fingerprint is ever homeless, so no insert is ever lost. Rebuilding one bigger table is
// impossible without the keys: a fingerprint and its bucket do not determine the key's bucket in a
// table of another size. Lookups probe every level (stopping at the first hit); each level hashes
// the key with its own derivation, so their false positives are independent and the total FPP is
// the sum over levels — growth past the declared capacity costs FPP and lookup time, sizing well
// avoids it. A level created because kicks failed far below its load limit (a crowded bucket pair)
// is small, so pathological collisions do not double memory.
//
// Multiset semantics: adding a key twice holds two copies, and remove takes one away. A filter
// cannot deduplicate safely: "already present" may be a false positive of another key. Copies are
// held exactly without a slot each (see "Repeated fingerprints" below): an insert whose fingerprint
// a level already holds in the key's bucket pair counts one more copy there in a side table, so a
// key added 1,000 times costs one slot and one counter, no level, and look-ups are unchanged.
// Removing a key never added may remove a colliding fingerprint of another key (the standard
// cuckoo caveat); the engine only removes keys it added. Across levels the same collision would
// hurt keys that were added, so a remove that more than one level claims removes nothing (see
// filterRemove). Copies of one key stay in one level (the counter), so this happens on a
// cross-level collision (≈ the FPP) or past REPS_MAX counted copies (the counter is full; the
// further copies take slots as every copy did before, and once the key's two buckets are full, a
// spill level).

import { xxh64, mix64 } from './hash';
import { keyBytes } from './keys';

// @ts-ignore: decorator
@inline const MAX_KICKS: i32 = 500;
// @ts-ignore: decorator
@inline const MAX_LOAD: f64 = 0.95;
// @ts-ignore: decorator
@inline const FILTER_MAGIC: u32 = 0x4643_4756; // "VGCF" little-endian
// @ts-ignore: decorator
@inline const FORMAT_MAGIC: u32 = 0x3146_4356; // "VCF1"
// @ts-ignore: decorator
@inline const FORMAT_VERSION: u32 = 1;
// Format 2: format 1 plus the key-hash seeds (a keyed filter).
// @ts-ignore: decorator
@inline const FORMAT_VERSION_KEYED: u32 = 2;
// Format 3: keyed or not, plus each level's counted repeats (see "serialization").
// @ts-ignore: decorator
@inline const FORMAT_VERSION_REPEATS: u32 = 3;
// @ts-ignore: decorator
@inline const SPILL_CAPACITY: u32 = 256;

// A level's table: m buckets of 4 fingerprints.
@unmanaged class Level {
  table: usize;
  m: u32;
  fpBits: u32;
  count: u32;
  limit: u32;
  capacity: u32;
  tableBytes: u32;
  // Counted repeats (see "Repeated fingerprints"): a table of 2^repsBits u64 entries, or none (0).
  reps: usize;
  repsBits: u32;
  repsUsed: u32;
  extra: u64; // copies counted there, beyond one per slot
}

// A filter: its levels and the parameters new levels are made with. The handle is its address.
@unmanaged class Filter {
  magic: u32;
  nLevels: u32;
  levelCap: u32;
  levels: usize; // array of Level addresses
  fpBits: u32;
  maxLoad: f64;
  targetFpp: f64;
  rng: u32;
  // Keyed filters (format 2) hash keys with XXH64 seeded by a random 64-bit seed the host draws per
  // filter; format 1 filters (older checkpoints) with seed 0.
  keyed: u32;
  seedLo: u32;
  seedHi: u32;
  seed: u64;
}

// The undo log of one insert's evictions: (bucket, slot, previous fingerprint) triples.
const kickLog = memory.data(MAX_KICKS * 12, 4);

// ---------------------------------------------------------------- parameters

function chooseFpBits(fpp: f64): u32 {
  let best: u32 = 16;
  let bestBits = f64.MAX_VALUE;
  for (let f: u32 = 8; f <= 16; f += 4) {
    const load = loadFor(f, fpp);
    const bits = <f64>f / load;
    if (bits < bestBits) {
      bestBits = bits;
      best = f;
    }
  }
  return best;
}

function loadFor(fpBits: u32, fpp: f64): f64 {
  const load = fpp * <f64>((1 << fpBits) - 1) / 8.0;
  // Below 0.25 load the target is out of reach of 16-bit fingerprints (fpp < ~3e-5): clamp.
  return load > MAX_LOAD ? MAX_LOAD : load < 0.25 ? 0.25 : load;
}

// @ts-ignore: decorator
@inline function bucketBytes(fpBits: u32): u32 {
  return fpBits == 8 ? 4 : fpBits == 12 ? 6 : 8;
}

// ---------------------------------------------------------------- levels

function newLevel(capacity: u32, fpBits: u32, maxLoad: f64): Level {
  let m = <u32>Math.ceil(<f64>capacity / (4.0 * maxLoad));
  if (m < 1) m = 1;
  let limit = <u32>Math.floor(<f64>m * 4.0 * maxLoad);
  if (limit < 1) limit = 1;
  const tableBytes = m * bucketBytes(fpBits) + 8; // +8: unaligned u64 reads of the last bucket
  const level = changetype<Level>(heap.alloc(offsetof<Level>()));
  level.table = heap.alloc(tableBytes);
  memory.fill(level.table, 0, tableBytes);
  level.m = m;
  level.fpBits = fpBits;
  level.count = 0;
  level.limit = limit;
  level.capacity = capacity;
  level.tableBytes = tableBytes;
  noReps(level);
  return level;
}

// @ts-ignore: decorator
@inline function noReps(level: Level): void {
  level.reps = 0;
  level.repsBits = 0;
  level.repsUsed = 0;
  level.extra = 0;
}

function freeLevel(level: Level): void {
  heap.free(level.table);
  if (level.reps != 0) heap.free(level.reps);
  heap.free(changetype<usize>(level));
}

// @ts-ignore: decorator
@inline function levelAt(filter: Filter, j: u32): Level {
  return changetype<Level>(load<usize>(filter.levels + (<usize>j << alignof<usize>())));
}

function pushLevel(filter: Filter, level: Level): void {
  if (filter.nLevels == filter.levelCap) {
    const cap = filter.levelCap << 1;
    filter.levels = heap.realloc(filter.levels, <usize>cap << alignof<usize>());
    filter.levelCap = cap;
  }
  store<usize>(filter.levels + (<usize>filter.nLevels << alignof<usize>()), changetype<usize>(level));
  filter.nLevels++;
}

// ---------------------------------------------------------------- hashing to (bucket, fingerprint)

// Level j hashes with its own derivation so false positives of different levels are independent.
// @ts-ignore: decorator
@inline function levelHash(h: u64, j: u32): u64 {
  return j == 0 ? h : mix64(h + <u64>j * 0x9E3779B97F4A7C15);
}

// @ts-ignore: decorator
@inline function fastrange(x: u32, m: u32): u32 {
  return <u32>((<u64>x * <u64>m) >> 32);
}

// @ts-ignore: decorator
@inline function fingerprint(h: u64, fpBits: u32): u32 {
  const fp = <u32>(h >> 32) & ((1 << fpBits) - 1);
  return fp == 0 ? 1 : fp;
}

// (H(fp) − i) mod m: its own inverse, so it maps either bucket of a fingerprint to the other.
// @ts-ignore: decorator
@inline function altIndex(i: u32, fp: u32, m: u32): u32 {
  const hh = fastrange(fp * 0x5BD1E995, m);
  return hh >= i ? hh - i : hh + m - i;
}

// ---------------------------------------------------------------- buckets

// A bucket's fingerprints as one word (the low 32, 48 or 64 bits hold the 4 slots).
// @ts-ignore: decorator
@inline function bucketWord(t: usize, i: u32, fpBits: u32): u64 {
  if (fpBits == 8) return <u64>load<u32>(t + (<usize>i << 2));
  if (fpBits == 16) return load<u64>(t + (<usize>i << 3));
  return load<u64>(t + <usize>i * 6) & 0xFFFFFFFFFFFF;
}

// SWAR "has a zero lane" test of word ^ (fp in every lane): does any slot hold fp?
// @ts-ignore: decorator
@inline function wordHas(word: u64, fp: u32, fpBits: u32): bool {
  if (fpBits == 8) {
    const v = <u32>word ^ (fp * 0x01010101);
    return ((v - 0x01010101) & ~v & 0x80808080) != 0;
  } else if (fpBits == 16) {
    const v = word ^ (<u64>fp * 0x0001000100010001);
    return ((v - 0x0001000100010001) & ~v & 0x8000800080008000) != 0;
  } else {
    const v = word ^ (<u64>fp * 0x001001001001);
    return ((v - 0x001001001001) & ~v & 0x800800800800) != 0;
  }
}

// @ts-ignore: decorator
@inline function bucketHas(t: usize, i: u32, fp: u32, fpBits: u32): bool {
  return wordHas(bucketWord(t, i, fpBits), fp, fpBits);
}

// @ts-ignore: decorator
@inline function getSlot(t: usize, i: u32, s: u32, fpBits: u32): u32 {
  if (fpBits == 8) return load<u8>(t + (<usize>i << 2) + s);
  if (fpBits == 16) return load<u16>(t + (<usize>i << 3) + (<usize>s << 1));
  return <u32>(load<u64>(t + <usize>i * 6) >> (12 * <u64>s)) & 0xFFF;
}

// @ts-ignore: decorator
@inline function setSlot(t: usize, i: u32, s: u32, fpBits: u32, fp: u32): void {
  if (fpBits == 8) {
    store<u8>(t + (<usize>i << 2) + s, <u8>fp);
  } else if (fpBits == 16) {
    store<u16>(t + (<usize>i << 3) + (<usize>s << 1), <u16>fp);
  } else {
    // Read-modify-write of 8 bytes: the 2 bytes past this bucket are written back unchanged.
    const p = t + <usize>i * 6;
    const shift = 12 * <u64>s;
    store<u64>(p, (load<u64>(p) & ~(<u64>0xFFF << shift)) | (<u64>fp << shift));
  }
}

function putInBucket(t: usize, i: u32, fp: u32, fpBits: u32): bool {
  for (let s: u32 = 0; s < 4; s++) {
    if (getSlot(t, i, s, fpBits) == 0) {
      setSlot(t, i, s, fpBits, fp);
      return true;
    }
  }
  return false;
}

function removeFromBucket(t: usize, i: u32, fp: u32, fpBits: u32): bool {
  for (let s: u32 = 0; s < 4; s++) {
    if (getSlot(t, i, s, fpBits) == fp) {
      setSlot(t, i, s, fpBits, 0);
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------- repeated fingerprints
//
// A level counts copies beyond the first of a fingerprint in a bucket pair instead of storing a
// slot for each: an insert whose fingerprint the level already holds in either of the key's two
// buckets adds one to the counter of (pair, fingerprint), and a remove takes from that counter
// before it clears the slot. The pair {i, alt(i, fp)} is the same from either bucket and kicks
// only move a fingerprint inside its pair, so the counter is keyed by the pair's lower bucket and
// never has to follow a kick.
//
// Why this is exact: a level is a multiset of (pair, fingerprint) items; membership asks whether
// one matches, remove takes one matching item. n copies held as one slot and a counter of n − 1
// are the same multiset as n slots, so every answer (has, remove, what removes leave behind) is the
// one the filter gave with n slots, in the level where those n slots would have been. Two different
// keys with one fingerprint in one pair are counted together, and that is no new loss: as two slots
// they were already indistinguishable (which key a slot "belongs to" cannot be told), and the
// removes of both keys take both copies either way. Slots are fewer, never more, so the load and
// with it the false-positive rate are at most what they were, and keys never repeated cost no
// more bits than before (no counter, nothing per slot).
//
// The counters of a level: open addressing over 2^repsBits u64 entries, linear probing, backward-
// shift deletion (no tombstones), as assembly/state-table.ts does (its slots carry a u32 time and a
// u16 state; an entry here is 8 bytes). An entry is pair (bits 0–31) | fingerprint (32–47) | extra
// copies (48–63, 1 … REPS_MAX); 0 is an empty entry (a fingerprint is never 0). The table grows ×2
// past 3/4 load and halves below 1/8 (at least 16 entries; freed when empty), so it takes 8–64
// bytes per counted pair. The home of an entry mixes the filter's seed in, so which keys cluster in
// it is unknown outside the process (as for the key hashes). A counter at REPS_MAX takes no more:
// the next copy takes a slot as every copy did before counters (still exact: a pair's copies are
// its slots of the fingerprint plus its counter), so a key repeated more than 65,536 times per
// level goes back to the old cost.
// @ts-ignore: decorator
@inline const REPS_MAX: u64 = 0xFFFF;
// @ts-ignore: decorator
@inline const REPS_ONE: u64 = 1 << 48;
// @ts-ignore: decorator
@inline const REPS_KEY: u64 = 0xFFFF_FFFF_FFFF;
// @ts-ignore: decorator
@inline const REPS_MIN_BITS: u32 = 4;

// @ts-ignore: decorator
@inline function repsKey(i1: u32, i2: u32, fp: u32): u64 {
  return (<u64>fp << 32) | <u64>(i1 < i2 ? i1 : i2);
}

// @ts-ignore: decorator
@inline function repsHome(key: u64, bits: u32, seed: u64): u32 {
  return <u32>(mix64(key ^ seed) >> (64 - <u64>bits));
}

// Address of the entry of `key`, or 0.
function repsFind(level: Level, key: u64, seed: u64): usize {
  const bits = level.repsBits;
  if (bits == 0) return 0;
  const mask = (<u32>1 << bits) - 1;
  let i = repsHome(key, bits, seed);
  // Never endless: the load stays at or below 3/4, so every run ends at an empty entry.
  let p = level.reps + (<usize>i << 3);
  for (let e = load<u64>(p); e != 0; e = load<u64>(p)) {
    if ((e & REPS_KEY) == key) return p;
    i = (i + 1) & mask;
    p = level.reps + (<usize>i << 3);
  }
  return 0;
}

// Puts an entry whose key is absent in a table with room for it.
function repsPlace(table: usize, bits: u32, e: u64, seed: u64): void {
  const mask = (<u32>1 << bits) - 1;
  let i = repsHome(e & REPS_KEY, bits, seed);
  while (load<u64>(table + (<usize>i << 3)) != 0) i = (i + 1) & mask;
  store<u64>(table + (<usize>i << 3), e);
}

function repsResize(level: Level, bits: u32, seed: u64): void {
  const old = level.reps;
  const oldCap: u32 = old == 0 ? 0 : <u32>1 << level.repsBits;
  const bytes = <usize>8 << bits;
  const table = heap.alloc(bytes);
  memory.fill(table, 0, bytes);
  for (let i: u32 = 0; i < oldCap; i++) {
    const e = load<u64>(old + (<usize>i << 3));
    if (e != 0) repsPlace(table, bits, e, seed);
  }
  if (old != 0) heap.free(old);
  level.reps = table;
  level.repsBits = bits;
}

// Counts one more copy of (pair, fp); false when its counter is full.
function repsAdd(level: Level, key: u64, seed: u64): bool {
  const p = repsFind(level, key, seed);
  if (p != 0) {
    const e = load<u64>(p);
    if ((e >> 48) == REPS_MAX) return false;
    store<u64>(p, e + REPS_ONE);
  } else {
    if (level.repsBits == 0) repsResize(level, REPS_MIN_BITS, seed);
    else if ((<u64>level.repsUsed + 1) * 4 > (<u64>3 << level.repsBits)) repsResize(level, level.repsBits + 1, seed);
    repsPlace(level.reps, level.repsBits, key | REPS_ONE, seed);
    level.repsUsed++;
  }
  level.extra++;
  return true;
}

// Takes one counted copy of (pair, fp); false when none is counted.
function repsTake(level: Level, key: u64, seed: u64): bool {
  const p = repsFind(level, key, seed);
  if (p == 0) return false;
  const e = load<u64>(p);
  level.extra--;
  if ((e >> 48) > 1) {
    store<u64>(p, e - REPS_ONE);
    return true;
  }
  repsRemoveAt(level, p, seed);
  level.repsUsed--;
  if (level.repsUsed == 0) {
    heap.free(level.reps);
    level.reps = 0;
    level.repsBits = 0;
  } else if (level.repsBits > REPS_MIN_BITS && <u64>level.repsUsed * 8 < (<u64>1 << level.repsBits)) {
    repsResize(level, level.repsBits - 1, seed);
  }
  return true;
}

// Empties the entry at `p` and shifts the rest of its probe run back (no tombstones).
function repsRemoveAt(level: Level, p: usize, seed: u64): void {
  const t = level.reps;
  const bits = level.repsBits;
  const mask = (<u32>1 << bits) - 1;
  let i = <u32>((p - t) >> 3);
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const e = load<u64>(t + (<usize>j << 3));
    if (e == 0) break;
    const h = repsHome(e & REPS_KEY, bits, seed);
    // The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
    if (((j - h) & mask) >= ((j - i) & mask)) {
      store<u64>(t + (<usize>i << 3), e);
      i = j;
    }
  }
  store<u64>(t + (<usize>i << 3), 0);
}

// The table sizes a level's counters may have (repsResize's growth and shrinking keep them there):
// none when empty, else 16 entries or more, at most 3/4 full, and at least 1/8 full unless 16.
function repsSizeValid(bits: u32, used: u32): bool {
  if (used == 0) return bits == 0;
  if (bits < REPS_MIN_BITS || bits > 31) return false;
  const cap = <u64>1 << bits;
  return <u64>used * 4 <= cap * 3 && (bits == REPS_MIN_BITS || <u64>used * 8 >= cap);
}

// ---------------------------------------------------------------- level operations

// @ts-ignore: decorator
@inline function levelContains(level: Level, h: u64): bool {
  const m = level.m;
  const fpBits = level.fpBits;
  const t = level.table;
  const i1 = fastrange(<u32>h, m);
  const fp = fingerprint(h, fpBits);
  if (bucketHas(t, i1, fp, fpBits)) return true;
  return bucketHas(t, altIndex(i1, fp, m), fp, fpBits);
}

function nextRandom(filter: Filter): u32 {
  let x = filter.rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  filter.rng = x;
  return x;
}

// Inserts into one level, or leaves it exactly as it was and returns false.
function levelInsert(filter: Filter, level: Level, h: u64): bool {
  const m = level.m;
  const fpBits = level.fpBits;
  const t = level.table;
  const i1 = fastrange(<u32>h, m);
  const fp = fingerprint(h, fpBits);
  const i2 = altIndex(i1, fp, m);
  if (putInBucket(t, i1, fp, fpBits) || putInBucket(t, i2, fp, fpBits)) {
    level.count++;
    return true;
  }
  let r = nextRandom(filter);
  let i = (r & 4) != 0 ? i1 : i2;
  let cur = fp;
  let n: i32 = 0;
  for (; n < MAX_KICKS; n++) {
    r = nextRandom(filter);
    const s = r & 3;
    const old = getSlot(t, i, s, fpBits);
    setSlot(t, i, s, fpBits, cur);
    const log = kickLog + <usize>n * 12;
    store<u32>(log, i);
    store<u32>(log, s, 4);
    store<u32>(log, old, 8);
    cur = old;
    i = altIndex(i, cur, m);
    if (putInBucket(t, i, cur, fpBits)) {
      level.count++;
      return true;
    }
  }
  // Undo in reverse order: the level is bit-for-bit what it was before this insert.
  while (n > 0) {
    n--;
    const log = kickLog + <usize>n * 12;
    setSlot(t, load<u32>(log), load<u32>(log, 4), fpBits, load<u32>(log, 8));
  }
  return false;
}

// Takes one copy of the key from the level: a counted one first, the slot with the last.
function levelRemove(filter: Filter, level: Level, h: u64): bool {
  const m = level.m;
  const fpBits = level.fpBits;
  const t = level.table;
  const i1 = fastrange(<u32>h, m);
  const fp = fingerprint(h, fpBits);
  const i2 = altIndex(i1, fp, m);
  if (level.repsUsed != 0 && repsTake(level, repsKey(i1, i2, fp), filter.seed)) return true;
  if (removeFromBucket(t, i1, fp, fpBits) || removeFromBucket(t, i2, fp, fpBits)) {
    level.count--;
    return true;
  }
  return false;
}

// When the level holds the key's fingerprint in its bucket pair, counts one more copy there.
// 0: the level does not hold it; 1: counted; 2: held, but the pair's counter is full.
function levelCount(filter: Filter, level: Level, h: u64): u32 {
  const m = level.m;
  const fpBits = level.fpBits;
  const t = level.table;
  const i1 = fastrange(<u32>h, m);
  const fp = fingerprint(h, fpBits);
  const i2 = altIndex(i1, fp, m);
  if (!bucketHas(t, i1, fp, fpBits) && !bucketHas(t, i2, fp, fpBits)) return 0;
  return repsAdd(level, repsKey(i1, i2, fp), filter.seed) ? 1 : 2;
}

// ---------------------------------------------------------------- filter operations

function filterInsert(filter: Filter, h: u64): void {
  const n = filter.nLevels;
  // A copy of a key a level already holds (or a collision there: see "Repeated fingerprints") is
  // counted in the first such level: no slot, no kicks, and the copies stay together, so they can
  // be removed one by one (see filterRemove); copies spread over levels cannot.
  let claims: u32 = 0;
  let claimed: u32 = 0;
  for (let j: u32 = 0; j < n; j++) {
    const held = levelCount(filter, levelAt(filter, j), levelHash(h, j));
    if (held == 1) return;
    if (held == 2) {
      claims++;
      claimed = j;
    }
  }
  // Only full counters claim it: one more slot in the one level that holds it, past its load
  // limit if kicks allow, keeps the copies together there.
  if (claims == 1 && levelInsert(filter, levelAt(filter, claimed), levelHash(h, claimed))) return;
  let spill = false;
  for (let j: u32 = 0; j < n; j++) {
    const level = levelAt(filter, j);
    if (level.count >= level.limit) continue;
    if (levelInsert(filter, level, levelHash(h, j))) return;
    // Kicks failed. Near the load limit the level is full; far below it, the key's buckets are
    // crowded (keys chosen to share a bucket pair, or the slots of a full counter's copies): keep
    // the level open and spill into a small level.
    if (<f64>level.count >= 0.9 * <f64>level.limit) level.limit = level.count;
    else spill = true;
  }
  for (;;) {
    const last = levelAt(filter, filter.nLevels - 1);
    // Doubling stops at 2^30 keys per level (the table of one level must fit a wasm32 memory).
    const capacity = spill ? SPILL_CAPACITY : last.capacity >= (1 << 29) ? <u32>(1 << 30) : last.capacity << 1;
    const j = filter.nLevels;
    const level = newLevel(capacity, growthFpBits(filter), filter.maxLoad);
    pushLevel(filter, level);
    if (levelInsert(filter, level, levelHash(h, j))) return;
    spill = true; // a key's bucket pair full of its own fingerprint even in a fresh level
  }
}

// Levels after the first keep the first level's fingerprint size; the summed FPP is documented.
// @ts-ignore: decorator
@inline function growthFpBits(filter: Filter): u32 {
  return filter.fpBits;
}

// Levels hash independently, so a key's fingerprint at one level can be a colliding copy of
// another key's (probability ≈ that level's FPP). Removing that copy would make the other key a
// false negative, so a remove takes a copy only from the one level that claims the key: a key that
// was added holds its own copy in a level that claims it, so when one level claims it, its copy is
// there, and taking one matching fingerprint from its bucket pair leaves every other key whose
// fingerprint and buckets match there as many copies as it owns.
// When two or more levels claim the key, nothing is removed: the key stays a possible match — a
// false positive, which the filter allows — and the count keeps it. This includes copies of one key
// past a full counter that spilled over several levels. Taking a copy from a level that holds two or
// more of the key's fingerprint is not safe either: both may belong to other keys (this key a false
// positive there, its own copy elsewhere), and a later remove of one of them would then take the
// last copy the other one needs.
function filterRemove(filter: Filter, h: u64): bool {
  const n = filter.nLevels;
  let claims: u32 = 0;
  let claimed: u32 = 0;
  for (let j: u32 = 0; j < n; j++) {
    if (!levelContains(levelAt(filter, j), levelHash(h, j))) continue;
    claims++;
    claimed = j;
  }
  if (claims != 1) return false;
  return levelRemove(filter, levelAt(filter, claimed), levelHash(h, claimed));
}

function allocFilter(fpBits: u32, maxLoad: f64, fpp: f64): Filter {
  const filter = changetype<Filter>(heap.alloc(offsetof<Filter>()));
  filter.magic = FILTER_MAGIC;
  filter.nLevels = 0;
  filter.levelCap = 4;
  filter.levels = heap.alloc(4 << alignof<usize>());
  filter.fpBits = fpBits;
  filter.maxLoad = maxLoad;
  filter.targetFpp = fpp;
  filter.rng = 0x9E3779B9;
  filter.keyed = 0;
  filter.seedLo = 0;
  filter.seedHi = 0;
  filter.seed = 0;
  return filter;
}

// ---------------------------------------------------------------- batches of keys
// Layout and unit mode: see keys.ts.

let lastRemoved: u32 = 0;

/** Creates a filter sized for `capacity` keys at false-positive rate `fpp`; returns its handle. */
export function cuckoo_new(capacity: u32, fpp: f64): usize {
  if (!(fpp > 0.0 && fpp < 1.0)) fpp = 0.001;
  if (capacity < 1) capacity = 1;
  const fpBits = chooseFpBits(fpp);
  const maxLoad = loadFor(fpBits, fpp);
  const filter = allocFilter(fpBits, maxLoad, fpp);
  pushLevel(filter, newLevel(capacity, fpBits, maxLoad));
  return changetype<usize>(filter);
}

/** Frees a filter and all its levels. */
export function cuckoo_free(handle: usize): void {
  const filter = changetype<Filter>(handle);
  assert(filter.magic == FILTER_MAGIC, 'not a cuckoo filter');
  for (let j: u32 = 0; j < filter.nLevels; j++) freeLevel(levelAt(filter, j));
  heap.free(filter.levels);
  filter.magic = 0;
  heap.free(handle);
}

/** Adds a batch of keys; returns how many were processed (see the batch layout above). */
export function cuckoo_add(handle: usize, data: usize, lens: usize, n: u32, units: bool): u32 {
  const filter = changetype<Filter>(handle);
  let p = data;
  for (let k: u32 = 0; k < n; k++) {
    const len = keyBytes(p, load<u32>(lens + (<usize>k << 2)), units);
    if (len < 0) return k;
    filterInsert(filter, xxh64(p, <usize>len, filter.seed));
    p += <usize>len;
  }
  return n;
}

// hasMany works in batches of BATCH keys, in passes, so that the cache misses of many keys are in
// flight at once (the table of 3M keys is 4.5–7 MB: nearly every bucket read is a miss):
//   1. hash every key of the batch (compute only);
//   2. per level, compute both bucket indices of every key, then read both buckets of every key in
//      a loop that does nothing else — lean enough that the CPU's reorder window holds the loads
//      of dozens of keys (a loop that also hashes and compares holds a few);
//   3. compare the fingerprints with the words read (cached by now), OR-ing across levels.
// No early exit: a data-dependent branch would mispredict on half the keys and flush the loads in
// flight. Measured at 3M keys (wasm only, keys already in memory): 50–70 → 34–41 ns per key against
// the previous hash-16-then-probe-16 loop. Reading bucket 2 only for keys bucket 1 does not hold (a
// compacted second round) measured the same, so the simpler form stays. A single has() keeps its
// early exit: alone, both loads already overlap under speculation (branch-free measured no faster,
// again for this change).
// @ts-ignore: decorator
@inline const BATCH: u32 = 64;
const batchHash = memory.data(BATCH * 8, 8);
const batchI1 = memory.data(BATCH * 4, 4);
const batchI2 = memory.data(BATCH * 4, 4);
const batchW1 = memory.data(BATCH * 8, 8);
const batchW2 = memory.data(BATCH * 8, 8);

// Passes 2 and 3 at one level over the batch's g hashes; `first` writes the results, later levels OR.
function probeLevelBatch(level: Level, j: u32, g: u32, out: usize, first: bool): void {
  const m = level.m;
  const fpBits = level.fpBits;
  const t = level.table;
  for (let q: u32 = 0; q < g; q++) {
    const h = levelHash(load<u64>(batchHash + (<usize>q << 3)), j);
    const i1 = fastrange(<u32>h, m);
    store<u32>(batchI1 + (<usize>q << 2), i1);
    store<u32>(batchI2 + (<usize>q << 2), altIndex(i1, fingerprint(h, fpBits), m));
  }
  for (let q: u32 = 0; q < g; q++) {
    store<u64>(batchW1 + (<usize>q << 3), bucketWord(t, load<u32>(batchI1 + (<usize>q << 2)), fpBits));
    store<u64>(batchW2 + (<usize>q << 3), bucketWord(t, load<u32>(batchI2 + (<usize>q << 2)), fpBits));
  }
  for (let q: u32 = 0; q < g; q++) {
    const fp = fingerprint(levelHash(load<u64>(batchHash + (<usize>q << 3)), j), fpBits);
    const hit = <u32>wordHas(load<u64>(batchW1 + (<usize>q << 3)), fp, fpBits) | <u32>wordHas(load<u64>(batchW2 + (<usize>q << 3)), fp, fpBits);
    store<u8>(out + q, first ? <u8>hit : load<u8>(out + q) | <u8>hit);
  }
}

/** Tests a batch of keys, writing one byte per key (1 maybe present, 0 absent) at `out`. */
export function cuckoo_has_many(handle: usize, data: usize, lens: usize, n: u32, units: bool, out: usize): u32 {
  const filter = changetype<Filter>(handle);
  const nLevels = filter.nLevels;
  const seed = filter.seed;
  let p = data;
  let k: u32 = 0;
  while (k < n) {
    let g: u32 = 0;
    let straddles = false;
    for (; g < BATCH && k + g < n; g++) {
      const len = keyBytes(p, load<u32>(lens + (<usize>(k + g) << 2)), units);
      if (len < 0) {
        straddles = true;
        break;
      }
      store<u64>(batchHash + (<usize>g << 3), xxh64(p, <usize>len, seed));
      p += <usize>len;
    }
    for (let j: u32 = 0; j < nLevels; j++) probeLevelBatch(levelAt(filter, j), j, g, out + k, j == 0);
    k += g;
    if (straddles) return k;
  }
  return n;
}

/** Removes a batch of keys (one copy each); returns how many were processed. */
export function cuckoo_remove(handle: usize, data: usize, lens: usize, n: u32, units: bool): u32 {
  const filter = changetype<Filter>(handle);
  let p = data;
  let removed: u32 = 0;
  let k: u32 = 0;
  for (; k < n; k++) {
    const len = keyBytes(p, load<u32>(lens + (<usize>k << 2)), units);
    if (len < 0) break;
    if (filterRemove(filter, xxh64(p, <usize>len, filter.seed))) removed++;
    p += <usize>len;
  }
  lastRemoved = removed;
  return k;
}

/** How many keys the last cuckoo_remove call removed. */
export function cuckoo_removed(): u32 {
  return lastRemoved;
}

/**
 * Tests one key of `len` UTF-8 bytes at `ptr`. Branch-free: both buckets of every level are read
 * before any is tested. With an early exit after bucket 1 (as levelContains has) the CPU predicts the
 * exit about as often as not, and when it predicts "found" the second bucket's read waits for the
 * first's cache miss: at 3M keys that cost 91–118 ns per look-up against 47–76 ns branch-free (the
 * module alone, CPU time, 3 runs; reading bucket 1 only, the bound of a one-line table: 53–67 ns).
 */
export function cuckoo_has(handle: usize, ptr: usize, len: usize): bool {
  const filter = changetype<Filter>(handle);
  const h = xxh64(ptr, len, filter.seed);
  let hit = levelHolds(levelAt(filter, 0), h);
  const n = filter.nLevels;
  for (let j: u32 = 1; j < n; j++) hit |= levelHolds(levelAt(filter, j), levelHash(h, j));
  return hit != 0;
}

// levelContains without its early exit: both words read, then both tested (1 maybe present, 0 absent).
// @ts-ignore: decorator
@inline function levelHolds(level: Level, h: u64): u32 {
  const m = level.m;
  const fpBits = level.fpBits;
  const t = level.table;
  const i1 = fastrange(<u32>h, m);
  const fp = fingerprint(h, fpBits);
  const w1 = bucketWord(t, i1, fpBits);
  const w2 = bucketWord(t, altIndex(i1, fp, m), fpBits);
  return <u32>wordHas(w1, fp, fpBits) | <u32>wordHas(w2, fp, fpBits);
}

// ---------------------------------------------------------------- keyed filters
//
// A seed nobody outside the process knows, so no one can compute offline which keys share buckets
// and fingerprints (to crowd a bucket pair, or to hit a chosen IOC with a false positive). XXH64
// with a secret seed is not a MAC; it protects the table's balance, and the filter never loses a
// key whatever the collisions (crowded buckets spill into a new level).

/** Makes an empty filter keyed with the host's seed; returns false when it already holds keys. */
export function cuckoo_set_seed(handle: usize, lo: u32, hi: u32): bool {
  const filter = changetype<Filter>(handle);
  for (let j: u32 = 0; j < filter.nLevels; j++) if (levelAt(filter, j).count != 0) return false;
  keyFilter(filter, lo, hi);
  return true;
}

function keyFilter(filter: Filter, lo: u32, hi: u32): void {
  filter.keyed = 1;
  filter.seedLo = lo;
  filter.seedHi = hi;
  filter.seed = (<u64>hi << 32) | <u64>lo;
}

/** 1 when the filter is keyed (format 2), 0 for format 1 (seed 0). */
export function cuckoo_keyed(handle: usize): u32 {
  return changetype<Filter>(handle).keyed;
}

/** Number of keys held (copies counted); an f64, since counted copies can pass 2^32. */
export function cuckoo_count(handle: usize): f64 {
  const filter = changetype<Filter>(handle);
  let c: u64 = 0;
  for (let j: u32 = 0; j < filter.nLevels; j++) {
    const level = levelAt(filter, j);
    c += <u64>level.count + level.extra;
  }
  return <f64>c;
}

/** Bytes of linear memory the filter holds. */
export function cuckoo_byte_size(handle: usize): u32 {
  const filter = changetype<Filter>(handle);
  let b: u32 = <u32>offsetof<Filter>() + (filter.levelCap << alignof<usize>());
  for (let j: u32 = 0; j < filter.nLevels; j++) {
    const level = levelAt(filter, j);
    b += <u32>offsetof<Level>() + level.tableBytes + (level.reps != 0 ? <u32>8 << level.repsBits : 0);
  }
  return b;
}

/** Number of levels (1 until the filter had to grow). */
export function cuckoo_levels(handle: usize): u32 {
  return changetype<Filter>(handle).nLevels;
}

/** Fingerprint size in bits chosen for the filter. */
export function cuckoo_fingerprint_bits(handle: usize): u32 {
  return changetype<Filter>(handle).fpBits;
}

// ---------------------------------------------------------------- serialization
//
// Format 1, little-endian:
//   u32 "VCF1" | u32 version | f64 target fpp | f64 max load | u32 fp bits | u32 rng | u32 levels
//   per level: u32 m | u32 fp bits | u32 count | u32 limit | u32 capacity | m·bucketBytes table bytes
// Format 2 (keyed filters): version 2, and after `levels` u32 seed lo | u32 seed hi, then the levels.
// Format 3 (a filter holding counted repeats, keyed or not): version 3, and after `levels`
//   u32 keyed (0 or 1) | u32 seed lo | u32 seed hi, then per level: the five u32 of format 1 (count
//   is the level's slots in use) | u32 counter table bits | u32 counted pairs | the table bytes |
//   one u64 per counted pair: pair (bits 0–31) | fingerprint (32–47) | extra copies (48–63), in
//   ascending order of pair | fingerprint << 32, so equal filters write equal bytes whatever order
//   their counter tables hold entries in (a blob is stored by its content).
// A filter without counted repeats is written as format 1 or 2, byte for byte as before format 3:
// lists without repeats keep their bytes (and their blobs' names), and a build before format 3
// still reads them. Distinct keys are counted together when they share a fingerprint and a pair
// (a key's chance is about the level's FPP when it is added), so large lists of distinct keys hold
// a few counters and write format 3 too.
// @ts-ignore: decorator
@inline const HEADER_BYTES: u32 = 36;
// @ts-ignore: decorator
@inline const SEED_BYTES: u32 = 8;
// @ts-ignore: decorator
@inline const REPEATS_HEADER_BYTES: u32 = 12;
// @ts-ignore: decorator
@inline const LEVEL_HEADER_BYTES: u32 = 20;
// @ts-ignore: decorator
@inline const REPEATS_LEVEL_HEADER_BYTES: u32 = 28;

function hasRepeats(filter: Filter): bool {
  for (let j: u32 = 0; j < filter.nLevels; j++) if (levelAt(filter, j).repsUsed != 0) return true;
  return false;
}

/** Bytes cuckoo_serialize writes. */
export function cuckoo_serialized_size(handle: usize): u32 {
  const filter = changetype<Filter>(handle);
  const repeats = hasRepeats(filter);
  let size = HEADER_BYTES + (repeats ? REPEATS_HEADER_BYTES : filter.keyed ? SEED_BYTES : 0);
  for (let j: u32 = 0; j < filter.nLevels; j++) {
    const level = levelAt(filter, j);
    size += level.m * bucketBytes(level.fpBits);
    size += repeats ? REPEATS_LEVEL_HEADER_BYTES + (level.repsUsed << 3) : LEVEL_HEADER_BYTES;
  }
  return size;
}

/** Writes the filter at `out` (cuckoo_serialized_size bytes); returns the bytes written. */
export function cuckoo_serialize(handle: usize, out: usize): u32 {
  const filter = changetype<Filter>(handle);
  const repeats = hasRepeats(filter);
  let p = out;
  store<u32>(p, FORMAT_MAGIC);
  store<u32>(p, repeats ? FORMAT_VERSION_REPEATS : filter.keyed ? FORMAT_VERSION_KEYED : FORMAT_VERSION, 4);
  store<f64>(p, filter.targetFpp, 8);
  store<f64>(p, filter.maxLoad, 16);
  store<u32>(p, filter.fpBits, 24);
  store<u32>(p, filter.rng, 28);
  store<u32>(p, filter.nLevels, 32);
  p += HEADER_BYTES;
  if (repeats) {
    store<u32>(p, filter.keyed);
    store<u32>(p, filter.seedLo, 4);
    store<u32>(p, filter.seedHi, 8);
    p += REPEATS_HEADER_BYTES;
  } else if (filter.keyed) {
    store<u32>(p, filter.seedLo);
    store<u32>(p, filter.seedHi, 4);
    p += SEED_BYTES;
  }
  for (let j: u32 = 0; j < filter.nLevels; j++) {
    const level = levelAt(filter, j);
    store<u32>(p, level.m);
    store<u32>(p, level.fpBits, 4);
    store<u32>(p, level.count, 8);
    store<u32>(p, level.limit, 12);
    store<u32>(p, level.capacity, 16);
    if (repeats) {
      store<u32>(p, level.repsBits, 20);
      store<u32>(p, level.repsUsed, 24);
      p += REPEATS_LEVEL_HEADER_BYTES;
    } else {
      p += LEVEL_HEADER_BYTES;
    }
    const bytes = level.m * bucketBytes(level.fpBits);
    memory.copy(p, level.table, bytes);
    p += bytes;
    if (repeats && level.repsUsed != 0) {
      let q = p;
      const cap: u32 = <u32>1 << level.repsBits;
      for (let i: u32 = 0; i < cap; i++) {
        const e = load<u64>(level.reps + (<usize>i << 3));
        if (e == 0) continue;
        store<u64>(q, e);
        q += 8;
      }
      sortEntries(p, level.repsUsed);
      p += <usize>level.repsUsed << 3;
    }
  }
  return <u32>(p - out);
}

// Heapsort of n u64 entries at `a` by their key (REPS_KEY bits), in place: no memory to allocate
// while writing, O(n log n) for any input.
function sortEntries(a: usize, n: u32): void {
  for (let start = n >> 1; start > 0; ) {
    start--;
    siftDown(a, start, n);
  }
  for (let end = n; end > 1; ) {
    end--;
    const top = load<u64>(a);
    store<u64>(a, load<u64>(a + (<usize>end << 3)));
    store<u64>(a + (<usize>end << 3), top);
    siftDown(a, 0, end);
  }
}

function siftDown(a: usize, root: u32, n: u32): void {
  const e = load<u64>(a + (<usize>root << 3));
  const key = e & REPS_KEY;
  for (;;) {
    let child = root * 2 + 1;
    if (child >= n) break;
    let c = load<u64>(a + (<usize>child << 3));
    if (child + 1 < n) {
      const d = load<u64>(a + (<usize>(child + 1) << 3));
      if ((d & REPS_KEY) > (c & REPS_KEY)) {
        child++;
        c = d;
      }
    }
    if (key >= (c & REPS_KEY)) break;
    store<u64>(a + (<usize>root << 3), c);
    root = child;
  }
  store<u64>(a + (<usize>root << 3), e);
}

function validFpBits(f: u32): bool {
  return f == 8 || f == 12 || f == 16;
}

/** Rebuilds a filter from `len` bytes at `ptr`; returns its handle, or 0 when the bytes are invalid. */
export function cuckoo_deserialize(ptr: usize, len: u32): usize {
  if (len < HEADER_BYTES) return 0;
  const version = load<u32>(ptr, 4);
  if (load<u32>(ptr) != FORMAT_MAGIC || version < FORMAT_VERSION || version > FORMAT_VERSION_REPEATS) return 0;
  const repeats = version == FORMAT_VERSION_REPEATS;
  const levelsAt: u32 = HEADER_BYTES + (repeats ? REPEATS_HEADER_BYTES : version == FORMAT_VERSION_KEYED ? SEED_BYTES : 0);
  if (len < levelsAt) return 0;
  const keyed = repeats ? load<u32>(ptr, HEADER_BYTES) : version == FORMAT_VERSION_KEYED ? 1 : 0;
  // Format 3 writes an unkeyed filter's seed as 0: anything else is not what it wrote.
  if (keyed > 1 || (repeats && keyed == 0 && (load<u32>(ptr, HEADER_BYTES + 4) | load<u32>(ptr, HEADER_BYTES + 8)) != 0)) return 0;
  const fpp = load<f64>(ptr, 8);
  const maxLoad = load<f64>(ptr, 16);
  const fpBits = load<u32>(ptr, 24);
  const nLevels = load<u32>(ptr, 32);
  if (!(fpp > 0.0 && fpp < 1.0) || !(maxLoad > 0.0 && maxLoad <= 1.0) || !validFpBits(fpBits) || nLevels < 1) return 0;
  const levelHeader: u32 = repeats ? REPEATS_LEVEL_HEADER_BYTES : LEVEL_HEADER_BYTES;
  // Validate every level header before allocating anything.
  let p: usize = ptr + levelsAt;
  const end: usize = ptr + len;
  for (let j: u32 = 0; j < nLevels; j++) {
    if (p + levelHeader > end) return 0;
    const m = load<u32>(p);
    const f = load<u32>(p, 4);
    const count = load<u32>(p, 8);
    const used: u32 = repeats ? load<u32>(p, 24) : 0;
    if (m < 1 || !validFpBits(f) || <u64>count > <u64>m * 4) return 0;
    // A counted pair has a slot of its own, and its table's size follows from how many there are.
    if (repeats && (<u64>used > <u64>count || !repsSizeValid(load<u32>(p, 20), used))) return 0;
    const bytes = <u64>m * bucketBytes(f) + (<u64>used << 3);
    if (<u64>(p + levelHeader) + bytes > <u64>end) return 0;
    p += <usize>levelHeader + <usize>bytes;
  }
  if (p != end) return 0;
  const filter = allocFilter(fpBits, maxLoad, fpp);
  const rng = load<u32>(ptr, 28);
  if (rng != 0) filter.rng = rng; // xorshift state must not be 0
  if (keyed) {
    const seedAt: usize = ptr + HEADER_BYTES + (repeats ? 4 : 0);
    keyFilter(filter, load<u32>(seedAt), load<u32>(seedAt, 4));
  }
  p = ptr + levelsAt;
  for (let j: u32 = 0; j < nLevels; j++) {
    const m = load<u32>(p);
    const f = load<u32>(p, 4);
    const bytes = m * bucketBytes(f);
    const tableBytes = bytes + 8;
    const level = changetype<Level>(heap.alloc(offsetof<Level>()));
    level.table = heap.alloc(tableBytes);
    memory.copy(level.table, p + levelHeader, bytes);
    memory.fill(level.table + bytes, 0, 8);
    level.m = m;
    level.fpBits = f;
    level.count = load<u32>(p, 8);
    level.limit = load<u32>(p, 12);
    level.capacity = load<u32>(p, 16);
    level.tableBytes = tableBytes;
    noReps(level);
    pushLevel(filter, level);
    const bits: u32 = repeats ? load<u32>(p, 20) : 0;
    const used: u32 = repeats ? load<u32>(p, 24) : 0;
    p += levelHeader + bytes;
    if (used != 0 && !loadRepeats(filter, level, bits, p, used)) {
      cuckoo_free(changetype<usize>(filter));
      return 0;
    }
    p += <usize>used << 3;
  }
  return changetype<usize>(filter);
}

// Fills a level's counters from `used` serialized entries at `p`; false unless each names a pair of
// the level that holds a slot of its fingerprint, with 1 … REPS_MAX extra copies, in strictly
// ascending order (so no pair twice).
function loadRepeats(filter: Filter, level: Level, bits: u32, p: usize, used: u32): bool {
  const m = level.m;
  const fpBits = level.fpBits;
  const t = level.table;
  const bytes = <usize>8 << bits;
  level.reps = heap.alloc(bytes);
  memory.fill(level.reps, 0, bytes);
  level.repsBits = bits;
  let previous: u64 = 0;
  for (let k: u32 = 0; k < used; k++) {
    const e = load<u64>(p + (<usize>k << 3));
    const key = e & REPS_KEY;
    const pair = <u32>key;
    const fp = <u32>(key >> 32);
    if (e >> 48 == 0 || (k > 0 && key <= previous)) return false;
    if (fp >= (<u32>1 << fpBits) || fp == 0 || pair >= m) return false;
    const other = altIndex(pair, fp, m);
    if (other < pair || (!bucketHas(t, pair, fp, fpBits) && !bucketHas(t, other, fp, fpBits))) return false;
    repsPlace(level.reps, bits, e, filter.seed);
    level.repsUsed++;
    level.extra += e >> 48;
    previous = key;
  }
  return true;
}
