// Per-key state tables for state-machine rules: key → (state id, last-seen time).
//
// Shape
// - Open addressing with linear probing over any slot count (fastrange of a mixed hash, so a
//   table is sized to its capacity hint instead of the next power of two); deletion by backward
//   shift, so there are no tombstones and a table that forgets keys at TERM stays fast. Grows ×2
//   when it would pass 3/4 load.
// - Keys are 32-bit (IPv4, ports, ids) or 64-bit (large numbers, or XXH64 of a string key),
//   fixed per table. A string key is kept only as its 64-bit hash: two distinct strings share a
//   state only on a 64-bit hash collision, ~n²/2^65 for n live keys (3·10⁻⁸ at 10⁶ keys), which
//   we accept as negligible — the same bet as the IOC filter's fingerprints, 2^48 times safer.
// - A slot is `stride = key bytes + 6` bytes, packed: key | u32 last seen | u16 state (10 bytes
//   for 32-bit keys, 14 for 64-bit; wasm loads need no alignment, and x86/ARM pay little for it).
//   State 0xFFFF marks an empty slot; state ids are 0 (INITIAL) … 0xFFFD; 0xFFFE is TERM, never
//   stored (reaching it forgets the key).
// - Time is kept as u32 milliseconds from a per-table origin (`base`), a rolling window of 2^32 ms
//   (49.7 days): the first time seen sets base = time − 2^31, a time past the window's end moves
//   base forward and clamps older entries to the new origin (they then look 24.8 days idle, so
//   TTLs below 2^31 ms ≈ 24.8 days stay exact), a time before it is clamped to the origin. Times
//   are floored to whole milliseconds. A u32 instead of an f64 saves 4 of 14 bytes per 32-bit
//   slot: memory per key is what a table of 10⁶ source addresses is about.
//
// Hashing mixes the key with a per-table seed (murmur3 fmix64), so an attacker who picks source
// addresses cannot build long probe runs without knowing the seed the host chose.

import { mix64 } from './hash';

// @ts-ignore: decorator
@inline const EMPTY: u32 = 0xFFFF;
// @ts-ignore: decorator
@inline const TERM: u32 = 0xFFFE;
// @ts-ignore: decorator
@inline const NONE: u32 = 0xFFFF; // "no transition" in a program
// @ts-ignore: decorator
@inline const INITIAL: u32 = 0;
// @ts-ignore: decorator
@inline const MAX_STATES: u32 = 0xFFFE; // ids 0 … 0xFFFD
// @ts-ignore: decorator
@inline const MIN_SLOTS: u32 = 8;
// @ts-ignore: decorator
@inline const TABLE_MAGIC: u32 = 0x5453_4756; // "VGST"
// @ts-ignore: decorator
@inline const PROGRAM_MAGIC: u32 = 0x5050_4756; // "VGPP"
// @ts-ignore: decorator
@inline const FORMAT_MAGIC: u32 = 0x3154_5356; // "VST1"
// @ts-ignore: decorator
@inline const FORMAT_VERSION: u32 = 1;
// @ts-ignore: decorator
@inline const HEADER_BYTES: u32 = 32;
// @ts-ignore: decorator
@inline const HALF_WINDOW: f64 = 2147483648.0;
// @ts-ignore: decorator
@inline const MAX_STORED: f64 = 4294967295.0;

// Outcome flags of one event in a batch (st_step_many); mirrored in src/wasm/state-table.ts.
// @ts-ignore: decorator
@inline const F_NEW: u32 = 1; // the key was absent (or had expired): the event applied to INITIAL
// @ts-ignore: decorator
@inline const F_INVALID: u32 = 2; // no transition for (state, event type)
// @ts-ignore: decorator
@inline const F_RESET: u32 = 4; // invalid and the program resets: the key was forgotten
// @ts-ignore: decorator
@inline const F_TERM: u32 = 8; // reached TERM: the key was forgotten
// @ts-ignore: decorator
@inline const F_TIMEOUT: u32 = 16; // the key had been idle longer than ttl; `expired` is its state

// Program flags.
// @ts-ignore: decorator
@inline const P_RESET_ON_INVALID: u32 = 1;

@unmanaged class Table {
  magic: u32;
  keyBytes: u32; // 4 or 8
  cap: u32; // slots
  size: u32;
  growAt: u32; // grow before size would exceed this (3/4 of cap)
  seed: u64;
  slots: usize;
  base: f64; // time origin in ms; NaN until the first time is stored
}

@unmanaged class Program {
  magic: u32;
  nStates: u32;
  nTypes: u32;
  flags: u32;
  table: usize; // u16 next state per (state, type): a state id, TERM or NONE
}

// ---------------------------------------------------------------- slots

// @ts-ignore: decorator
@inline function stride<K>(): usize {
  return sizeof<K>() + 6;
}

// @ts-ignore: decorator
@inline function homeOf(t: Table, key: u64): u32 {
  const h = mix64(key ^ t.seed);
  return <u32>(((h >> 32) * <u64>t.cap) >> 32);
}

// @ts-ignore: decorator
@inline function stateAt<K>(p: usize): u32 {
  return load<u16>(p + sizeof<K>() + 4);
}

// @ts-ignore: decorator
@inline function timeAt<K>(p: usize): u32 {
  return load<u32>(p + sizeof<K>());
}

// @ts-ignore: decorator
@inline function keyAt<K>(p: usize): u64 {
  return <u64>load<K>(p);
}

function slotsBytes(cap: u32, keyBytes: u32): usize {
  return <usize>cap * <usize>(keyBytes + 6);
}

function allocSlots(cap: u32, keyBytes: u32): usize {
  const bytes = slotsBytes(cap, keyBytes);
  const p = heap.alloc(bytes);
  // 0xFF everywhere: every state is EMPTY (keys and times of empty slots are never read).
  memory.fill(p, 0xFF, bytes);
  return p;
}

function slotsFor(capacity: u32): u32 {
  // Enough slots to hold `capacity` keys below 3/4 load.
  const want = <u64>capacity * 4 / 3 + 1;
  return want < MIN_SLOTS ? MIN_SLOTS : want > 0xFFFF_FFF0 ? 0xFFFF_FFF0 : <u32>want;
}

// Address of the key's slot, or 0.
function find<K>(t: Table, key: u64): usize {
  const s = stride<K>();
  const start = t.slots;
  const end = start + <usize>t.cap * s;
  let p = start + <usize>homeOf(t, key) * s;
  // Never endless: the load stays below 3/4, so every run ends at an empty slot.
  while (stateAt<K>(p) != EMPTY) {
    if (keyAt<K>(p) == key) return p;
    p += s;
    if (p == end) p = start;
  }
  return 0;
}

// The key's slot, or the empty slot where its probe run ends (state EMPTY) when absent.
function probe<K>(t: Table, key: u64): usize {
  const s = stride<K>();
  const start = t.slots;
  const end = start + <usize>t.cap * s;
  let p = start + <usize>homeOf(t, key) * s;
  while (stateAt<K>(p) != EMPTY) {
    if (keyAt<K>(p) == key) return p;
    p += s;
    if (p == end) p = start;
  }
  return p;
}

// @ts-ignore: decorator
@inline function fill<K>(t: Table, p: usize, key: u64, state: u32, stored: u32): void {
  store<K>(p, <K>key);
  store<u32>(p + sizeof<K>(), stored);
  store<u16>(p + sizeof<K>() + 4, <u16>state);
  t.size++;
}

// Puts an absent key in a table with room for it.
function place<K>(t: Table, key: u64, state: u32, stored: u32): void {
  const s = stride<K>();
  const start = t.slots;
  const end = start + <usize>t.cap * s;
  let p = start + <usize>homeOf(t, key) * s;
  while (stateAt<K>(p) != EMPTY) {
    p += s;
    if (p == end) p = start;
  }
  fill<K>(t, p, key, state, stored);
}

function grow<K>(t: Table): void {
  const oldSlots = t.slots;
  const oldCap = t.cap;
  const cap = oldCap >= 0x7FFF_FFF8 ? 0xFFFF_FFF0 : oldCap << 1;
  t.slots = allocSlots(cap, t.keyBytes);
  t.cap = cap;
  t.growAt = <u32>(<u64>cap * 3 / 4);
  t.size = 0;
  const s = stride<K>();
  let p = oldSlots;
  const end = oldSlots + <usize>oldCap * s;
  for (; p < end; p += s) {
    const st = stateAt<K>(p);
    if (st != EMPTY) place<K>(t, keyAt<K>(p), st, timeAt<K>(p));
  }
  heap.free(oldSlots);
}

// Inserts an absent key, growing first when the table is at its load limit.
// @ts-ignore: decorator
@inline function insert<K>(t: Table, key: u64, state: u32, stored: u32): void {
  if (t.size >= t.growAt) grow<K>(t);
  place<K>(t, key, state, stored);
}

// Empties the slot at `p` and shifts the rest of its probe run back (no tombstones).
function removeAt<K>(t: Table, p: usize): void {
  const s = stride<K>();
  const start = t.slots;
  const cap = t.cap;
  let i = <u32>((p - start) / s);
  let j = i;
  for (;;) {
    j = j + 1 == cap ? 0 : j + 1;
    const q = start + <usize>j * s;
    if (stateAt<K>(q) == EMPTY) break;
    const h = homeOf(t, keyAt<K>(q));
    // The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
    const stays = i <= j ? h > i && h <= j : h > i || h <= j;
    if (!stays) {
      const dst = start + <usize>i * s;
      store<K>(dst, load<K>(q));
      store<u32>(dst + sizeof<K>(), load<u32>(q + sizeof<K>()));
      store<u16>(dst + sizeof<K>() + 4, load<u16>(q + sizeof<K>() + 4));
      i = j;
    }
  }
  store<u16>(start + <usize>i * s + sizeof<K>() + 4, <u16>EMPTY);
  t.size--;
}

// ---------------------------------------------------------------- time

function rebase<K>(t: Table, newBase: f64): void {
  const shift = newBase - t.base;
  t.base = newBase;
  const s = stride<K>();
  const end = t.slots + <usize>t.cap * s;
  for (let p = t.slots; p < end; p += s) {
    if (stateAt<K>(p) == EMPTY) continue;
    const old = <f64>timeAt<K>(p);
    store<u32>(p + sizeof<K>(), old > shift ? <u32>(old - shift) : 0);
  }
}

// Milliseconds since the table's origin, clamped into u32 (see the header).
function encodeTime<K>(t: Table, time: f64): u32 {
  if (!isFinite<f64>(time)) return 0;
  const ms = Math.floor(time);
  if (isNaN<f64>(t.base)) t.base = ms - HALF_WINDOW;
  let d = ms - t.base;
  if (d > MAX_STORED) {
    rebase<K>(t, ms - HALF_WINDOW);
    d = ms - t.base;
  }
  return d > 0 ? <u32>d : 0;
}

// @ts-ignore: decorator
@inline function decodeTime(t: Table, stored: u32): f64 {
  return t.base + <f64>stored;
}

// ---------------------------------------------------------------- output buffer
//
// Module-owned, reused by calls that return variable-length results (evicted keys). Valid until
// the next such call.

let outPtr: usize = 0;
let outCap: usize = 0;

function ensureOut(bytes: usize): void {
  if (bytes <= outCap) return;
  let cap: usize = outCap == 0 ? 4096 : outCap;
  while (cap < bytes) cap <<= 1;
  outPtr = outPtr == 0 ? heap.alloc(cap) : heap.realloc(outPtr, cap);
  outCap = cap;
}

// @ts-ignore: decorator
@inline const EVICTED_BYTES: usize = 24; // u64 key | f64 last seen | u32 state | u32 reserved

// ---------------------------------------------------------------- typed cores

function evictIdle<K>(t: Table, now: f64, ttl: f64, collect: bool): u32 {
  if (t.size == 0 || isNaN<f64>(t.base)) return 0;
  // now − lastSeen > ttl  ⇔  stored < now − ttl − base (lastSeen = base + stored).
  const threshold = now - ttl - t.base;
  if (!(threshold > 0.0)) return 0;
  const s = stride<K>();
  const cap = t.cap;
  let evicted: u32 = 0;
  let i: u32 = 0;
  // Backward shift may move a later (unvisited) entry into slot i: re-examine i after a removal.
  // It may also move an entry from the wrapped start of the table to the end; that entry is then
  // examined twice, which is harmless.
  while (i < cap) {
    const p = t.slots + <usize>i * s;
    const st = stateAt<K>(p);
    if (st != EMPTY && <f64>timeAt<K>(p) < threshold) {
      if (collect) {
        ensureOut(<usize>(evicted + 1) * EVICTED_BYTES);
        const o = outPtr + <usize>evicted * EVICTED_BYTES;
        store<u64>(o, keyAt<K>(p));
        store<f64>(o, decodeTime(t, timeAt<K>(p)), 8);
        store<u32>(o, st, 16);
        store<u32>(o, 0, 20);
      }
      removeAt<K>(t, p);
      evicted++;
    } else {
      i++;
    }
  }
  return evicted;
}

function stepMany<K>(t: Table, prog: Program, n: u32, keys: usize, types: usize, times: usize, ttl: f64, out: usize): void {
  const nStates = prog.nStates;
  const nTypes = prog.nTypes;
  const transitions = prog.table;
  const reset = (prog.flags & P_RESET_ON_INVALID) != 0;
  for (let k: u32 = 0; k < n; k++) {
    const key = <u64>load<K>(keys + (<usize>k << alignof<K>()));
    const type = <u32>load<u16>(types + (<usize>k << 1));
    const time = load<f64>(times + (<usize>k << 3));
    const slot = probe<K>(t, key);
    // `slot` is where an absent key would go, as long as nothing moves before the insert.
    let empty: usize = 0;
    let p: usize = 0;
    if (stateAt<K>(slot) == EMPTY) empty = slot;
    else p = slot;
    let from = INITIAL;
    let flags: u32 = 0;
    let expired: u32 = 0;
    if (p != 0) {
      from = stateAt<K>(p);
      if (time - decodeTime(t, timeAt<K>(p)) > ttl) {
        flags = F_TIMEOUT | F_NEW;
        expired = from;
        from = INITIAL;
        removeAt<K>(t, p);
        p = 0;
      }
    } else {
      flags = F_NEW;
    }
    const next = from < nStates && type < nTypes ? <u32>load<u16>(transitions + ((<usize>from * nTypes + type) << 1)) : NONE;
    let to = next;
    if (next == NONE) {
      flags |= F_INVALID;
      to = from;
      if (reset && p != 0) {
        removeAt<K>(t, p);
        flags |= F_RESET;
        to = INITIAL;
      }
    } else if (next == TERM) {
      flags |= F_TERM;
      if (p != 0) removeAt<K>(t, p);
    } else if (p != 0) {
      store<u16>(p + sizeof<K>() + 4, <u16>next);
      const stored = encodeTime<K>(t, time);
      // Last seen is the latest event time: an out-of-order event does not make a key younger.
      if (stored > timeAt<K>(p)) store<u32>(p + sizeof<K>(), stored);
    } else {
      const stored = encodeTime<K>(t, time);
      if (empty != 0 && t.size < t.growAt) fill<K>(t, empty, key, next, stored);
      else insert<K>(t, key, next, stored); // after a timeout removal or when growing: probe again
    }
    const o = out + (<usize>k << 3);
    store<u32>(o, from | (to << 16));
    store<u32>(o, flags | (expired << 16), 4);
  }
}

function setKey<K>(t: Table, key: u64, state: u32, time: f64): void {
  const p = find<K>(t, key);
  if (state == TERM) {
    if (p != 0) removeAt<K>(t, p);
    return;
  }
  const stored = encodeTime<K>(t, time);
  if (p != 0) {
    store<u16>(p + sizeof<K>() + 4, <u16>state);
    store<u32>(p + sizeof<K>(), stored);
  } else {
    insert<K>(t, key, state, stored);
  }
}

function serializeInto<K>(t: Table, out: usize): usize {
  const s = stride<K>();
  let o = out;
  const end = t.slots + <usize>t.cap * s;
  for (let p = t.slots; p < end; p += s) {
    if (stateAt<K>(p) == EMPTY) continue;
    memory.copy(o, p, s);
    o += s;
  }
  return o - out;
}

// Inserts serialized records; false on a bad state or a duplicate key.
function loadRecords<K>(t: Table, p: usize, count: u32): bool {
  const s = stride<K>();
  for (let r: u32 = 0; r < count; r++, p += s) {
    const state = stateAt<K>(p);
    if (state >= MAX_STATES) return false;
    const key = keyAt<K>(p);
    if (find<K>(t, key) != 0) return false;
    insert<K>(t, key, state, timeAt<K>(p));
  }
  return true;
}

// ---------------------------------------------------------------- exports: tables

function newTable(keyBits: u32, capacity: u32, seed: u64): Table {
  const t = changetype<Table>(heap.alloc(offsetof<Table>()));
  t.magic = TABLE_MAGIC;
  t.keyBytes = keyBits == 32 ? 4 : 8;
  const cap = slotsFor(capacity);
  t.cap = cap;
  t.growAt = <u32>(<u64>cap * 3 / 4);
  t.size = 0;
  t.seed = seed;
  t.slots = allocSlots(cap, t.keyBytes);
  t.base = NaN;
  return t;
}

// @ts-ignore: decorator
@inline function tableOf(handle: usize): Table {
  const t = changetype<Table>(handle);
  assert(t.magic == TABLE_MAGIC, 'not a state table');
  return t;
}

/**
 * Creates a table for 32- or 64-bit keys (`keyBits`), sized to hold `capacity` keys without
 * growing; `seed` (two u32 halves) keys the hash. Returns its handle.
 */
export function st_new(keyBits: u32, capacity: u32, seedLo: u32, seedHi: u32): usize {
  return changetype<usize>(newTable(keyBits, capacity, (<u64>seedHi << 32) | <u64>seedLo));
}

/** Frees a table. */
export function st_free(handle: usize): void {
  const t = tableOf(handle);
  heap.free(t.slots);
  t.magic = 0;
  heap.free(handle);
}

/** Number of keys held. */
export function st_size(handle: usize): u32 {
  return tableOf(handle).size;
}

/** Number of slots (keys fit up to 3/4 of it before the table grows). */
export function st_capacity(handle: usize): u32 {
  return tableOf(handle).cap;
}

/** Bytes of linear memory the table holds. */
export function st_byte_size(handle: usize): u32 {
  const t = tableOf(handle);
  return <u32>offsetof<Table>() + <u32>slotsBytes(t.cap, t.keyBytes);
}

/** Key width in bits (32 or 64). */
export function st_key_bits(handle: usize): u32 {
  return tableOf(handle).keyBytes << 3;
}

/** State of key (lo | hi << 32), or -1 when absent. */
export function st_get(handle: usize, lo: u32, hi: u32): i32 {
  const t = tableOf(handle);
  const key = (<u64>hi << 32) | <u64>lo;
  const p = t.keyBytes == 4 ? find<u32>(t, key) : find<u64>(t, key);
  if (p == 0) return -1;
  return t.keyBytes == 4 ? <i32>stateAt<u32>(p) : <i32>stateAt<u64>(p);
}

/** Last-seen time (ms) of the key, or NaN when absent. */
export function st_last_seen(handle: usize, lo: u32, hi: u32): f64 {
  const t = tableOf(handle);
  const key = (<u64>hi << 32) | <u64>lo;
  if (t.keyBytes == 4) {
    const p = find<u32>(t, key);
    return p == 0 ? NaN : decodeTime(t, timeAt<u32>(p));
  }
  const p = find<u64>(t, key);
  return p == 0 ? NaN : decodeTime(t, timeAt<u64>(p));
}

/** Sets the key's state and last-seen time (state TERM deletes it). May grow memory. */
export function st_set(handle: usize, lo: u32, hi: u32, state: u32, time: f64): void {
  const t = tableOf(handle);
  assert(state < MAX_STATES || state == TERM, 'state id out of range');
  const key = (<u64>hi << 32) | <u64>lo;
  if (t.keyBytes == 4) setKey<u32>(t, key, state, time);
  else setKey<u64>(t, key, state, time);
}

/** Deletes the key; true when it was present. */
export function st_delete(handle: usize, lo: u32, hi: u32): bool {
  const t = tableOf(handle);
  const key = (<u64>hi << 32) | <u64>lo;
  if (t.keyBytes == 4) {
    const p = find<u32>(t, key);
    if (p != 0) removeAt<u32>(t, p);
    return p != 0;
  }
  const p = find<u64>(t, key);
  if (p != 0) removeAt<u64>(t, p);
  return p != 0;
}

/**
 * Forgets every key idle longer than `ttl` ms at time `now` (now − last seen > ttl) and returns
 * how many. With `collect`, each forgotten key is also written to the output buffer (st_out_ptr):
 * 24-byte records u64 key | f64 last seen | u32 state | u32 0. May grow memory.
 */
export function st_evict_idle(handle: usize, now: f64, ttl: f64, collect: bool): u32 {
  const t = tableOf(handle);
  return t.keyBytes == 4 ? evictIdle<u32>(t, now, ttl, collect) : evictIdle<u64>(t, now, ttl, collect);
}

/** Address of the output buffer written by the last st_evict_idle with `collect`. */
export function st_out_ptr(): usize {
  return outPtr;
}

// ---------------------------------------------------------------- exports: transition programs

/**
 * Compiles a transition table: `nStates × nTypes` i32 at `ptr`, entry [state·nTypes + type] the
 * next state (0 … nStates−1), TERM (0xFFFE) or −1 (no transition). `flags` bit 0: an invalid
 * event resets the key (forgets it) instead of leaving its state unchanged. Returns the program's
 * handle, or 0 when an entry is out of range.
 */
export function st_program_new(ptr: usize, nStates: u32, nTypes: u32, flags: u32): usize {
  if (nStates < 1 || nStates > MAX_STATES || nTypes < 1 || nTypes > 0x10000) return 0;
  const count = <usize>nStates * nTypes;
  for (let i: usize = 0; i < count; i++) {
    const v = load<i32>(ptr + (i << 2));
    if (!(v == -1 || v == <i32>TERM || (v >= 0 && <u32>v < nStates))) return 0;
  }
  const table = heap.alloc(count << 1);
  for (let i: usize = 0; i < count; i++) {
    const v = load<i32>(ptr + (i << 2));
    store<u16>(table + (i << 1), v < 0 ? <u16>NONE : <u16>v);
  }
  const prog = changetype<Program>(heap.alloc(offsetof<Program>()));
  prog.magic = PROGRAM_MAGIC;
  prog.nStates = nStates;
  prog.nTypes = nTypes;
  prog.flags = flags;
  prog.table = table;
  return changetype<usize>(prog);
}

/** Frees a program. */
export function st_program_free(handle: usize): void {
  const prog = changetype<Program>(handle);
  assert(prog.magic == PROGRAM_MAGIC, 'not a transition program');
  heap.free(prog.table);
  prog.magic = 0;
  heap.free(handle);
}

/**
 * Applies `n` events to the table through a program, in order. Inputs: keys (u32 or u64 per
 * the table's width), types (u16), times (f64 ms). Per event, two u32 at `out`:
 *   word 0 = from | to << 16   (from: the state the event applied to, INITIAL for a new key;
 *                               to: the state after it, TERM when the key was forgotten)
 *   word 1 = flags | expired << 16   (flags F_*; expired: the state that timed out, F_TIMEOUT)
 * A key idle longer than `ttl` ms at the event's time (event time − last seen > ttl) is forgotten
 * first (F_TIMEOUT) and the event applies to INITIAL. An event with no transition leaves the key
 * untouched (state and last seen), or with the program's reset flag forgets it; an invalid event
 * never creates a key. May grow memory (tables grow); all pointers stay valid.
 */
export function st_step_many(handle: usize, program: usize, n: u32, keys: usize, types: usize, times: usize, ttl: f64, out: usize): u32 {
  const t = tableOf(handle);
  const prog = changetype<Program>(program);
  assert(prog.magic == PROGRAM_MAGIC, 'not a transition program');
  if (t.keyBytes == 4) stepMany<u32>(t, prog, n, keys, types, times, ttl, out);
  else stepMany<u64>(t, prog, n, keys, types, times, ttl, out);
  return n;
}

// ---------------------------------------------------------------- exports: serialization
//
// Format 1, little-endian: a 32-byte header
//   u32 "VST1" | u32 version | u32 key bytes (4|8) | u32 count | f64 time origin (NaN: none)
//   | u32 seed lo | u32 seed hi
// then `count` records of key bytes + 6: key | u32 ms since origin | u16 state.

/** Bytes st_serialize writes. */
export function st_serialized_size(handle: usize): u32 {
  const t = tableOf(handle);
  return HEADER_BYTES + t.size * (t.keyBytes + 6);
}

/** Writes the table at `out` (st_serialized_size bytes); returns the bytes written. */
export function st_serialize(handle: usize, out: usize): u32 {
  const t = tableOf(handle);
  store<u32>(out, FORMAT_MAGIC);
  store<u32>(out, FORMAT_VERSION, 4);
  store<u32>(out, t.keyBytes, 8);
  store<u32>(out, t.size, 12);
  store<f64>(out, t.base, 16);
  store<u32>(out, <u32>t.seed, 24);
  store<u32>(out, <u32>(t.seed >> 32), 28);
  const body = t.keyBytes == 4 ? serializeInto<u32>(t, out + HEADER_BYTES) : serializeInto<u64>(t, out + HEADER_BYTES);
  return HEADER_BYTES + <u32>body;
}

/** Rebuilds a table from `len` bytes at `ptr`; returns its handle, or 0 when the bytes are invalid. */
export function st_deserialize(ptr: usize, len: u32): usize {
  if (len < HEADER_BYTES) return 0;
  if (load<u32>(ptr) != FORMAT_MAGIC || load<u32>(ptr, 4) != FORMAT_VERSION) return 0;
  const keyBytes = load<u32>(ptr, 8);
  const count = load<u32>(ptr, 12);
  if (keyBytes != 4 && keyBytes != 8) return 0;
  if (<u64>HEADER_BYTES + <u64>count * (keyBytes + 6) != <u64>len) return 0;
  const base = load<f64>(ptr, 16);
  if (count > 0 && !isFinite<f64>(base)) return 0; // records are relative to the origin
  const seed = (<u64>load<u32>(ptr, 28) << 32) | <u64>load<u32>(ptr, 24);
  const t = newTable(keyBytes << 3, count, seed);
  t.base = base;
  const ok = keyBytes == 4 ? loadRecords<u32>(t, ptr + HEADER_BYTES, count) : loadRecords<u64>(t, ptr + HEADER_BYTES, count);
  if (!ok) {
    st_free(changetype<usize>(t));
    return 0;
  }
  return changetype<usize>(t);
}
