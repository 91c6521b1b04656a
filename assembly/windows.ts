// Window buffers: the bookkeeping of event-time windows kept in panes, per key.
//
// Windows are aligned to the epoch: one starts at every multiple of the slide and lasts the
// length; a pane is gcd(length, slide) wide, so every window is a whole number of panes. An event
// updates exactly one (pane, key) *slot* — count, and sum/min/max of an optional numeric value —
// however many sliding windows overlap it. The events themselves stay in the host (an array per
// slot id); this module decides which slot an event goes to, which windows close when the
// watermark moves, which keys have data in them (in arrival order) and what their aggregates are,
// and when a pane can be forgotten.
//
// Shape
// - Keys are interned: the UTF-8 bytes of the host's key text → a u32 key id, through an open
//   addressing index (XXH64 with a per-buffer seed, linear probing, backward-shift deletion) with
//   an exact byte comparison, so two keys never merge. A key lives while some slot holds it.
// - Slots are records in one array, recycled through a free list. A slot sits on two lists: its
//   pane's (arrival order: the order keys appear in a fired window) and its key's (panes newest
//   first, doubly linked: an in-order event finds its slot at the head, an out-of-order one a few
//   steps down, and expiry unlinks the oldest).
// - Panes are kept sorted by start in one array. A pane expires when its last window is past the
//   allowed lateness: since that time grows with the pane's start, expired panes are a prefix.
// - Output (fired windows, freed slots, dumps) goes to one module-wide buffer (`wb_out_ptr`),
//   valid until the next call; it grows as needed (the host re-creates its views).
//
// Times are f64 epoch milliseconds; pane and window starts are floor(t / step) · step as in the
// host, so both sides compute the same numbers.

import { xxh64 } from './hash';

// @ts-ignore: decorator
@inline const NONE: u32 = 0xFFFFFFFF;
// @ts-ignore: decorator
@inline const MAGIC: u32 = 0x4257_4756; // "VGWB"

// Key record (32 bytes): hash u64 | bytes ptr u32 | len u32 | slots u32 | head u32 | stamp u32 | ord u32
// (a free record keeps the next free id in `head`).
// @ts-ignore: decorator
@inline const KEY_BYTES: usize = 32;
// Slot record (56 bytes): pane f64 | sum f64 | min f64 | max f64 | key u32 | count u32 |
// nextInPane u32 | older u32 | newer u32 | pad (a free record keeps the next free id in nextInPane).
// @ts-ignore: decorator
@inline const SLOT_BYTES: usize = 56;
// Pane record (24 bytes): start f64 | first slot u32 | last slot u32 | slots u32 | pad.
// @ts-ignore: decorator
@inline const PANE_BYTES: usize = 24;
// Output: a fired window's header (start f64 | end f64 | keys u32 | slots u32), its (slot u32, ord
// u32) pairs, then its keys (sum f64 | min f64 | max f64 | first slot u32 | count u32).
// @ts-ignore: decorator
@inline const WIN_HEADER: usize = 24;
// @ts-ignore: decorator
@inline const KEY_OUT: usize = 40;
// Output header of advance/set_watermark: next end f64 | next purge f64 | windows u32 | freed u32.
// @ts-ignore: decorator
@inline const OUT_HEADER: usize = 24;

@unmanaged class Buffers {
  magic: u32;
  paneMs: f64;
  lengthMs: f64;
  slideMs: f64;
  lateMs: f64;
  watermark: f64;
  seed: u64;
  // keys
  keys: usize;
  keyCap: u32;
  keyNext: u32;
  keyFree: u32;
  keyLive: u32;
  index: usize; // u32 per entry: key id + 1, 0 when empty
  indexMask: u32;
  // slots
  slots: usize;
  slotCap: u32;
  slotNext: u32;
  slotFree: u32;
  slotLive: u32;
  // panes, sorted by start
  panes: usize;
  paneCount: u32;
  paneCap: u32;
  stamp: u32;
}

// ---------------------------------------------------------------- output buffer

let outPtr: usize = 0;
let outCap: usize = 0;
let outLen: usize = 0;

function outEnsure(bytes: usize): void {
  if (bytes <= outCap) return;
  let cap: usize = outCap < 65536 ? 65536 : outCap;
  while (cap < bytes) cap <<= 1;
  outPtr = outPtr == 0 ? heap.alloc(cap) : heap.realloc(outPtr, cap);
  outCap = cap;
}

/** Address of the output of the last call (valid until the next call into the module). */
export function wb_out_ptr(): usize {
  return outPtr;
}

// ---------------------------------------------------------------- records

// @ts-ignore: decorator
@inline function keyAt(b: Buffers, id: u32): usize {
  return b.keys + <usize>id * KEY_BYTES;
}
// @ts-ignore: decorator
@inline function slotAt(b: Buffers, id: u32): usize {
  return b.slots + <usize>id * SLOT_BYTES;
}
// @ts-ignore: decorator
@inline function paneAt(b: Buffers, i: u32): usize {
  return b.panes + <usize>i * PANE_BYTES;
}

// @ts-ignore: decorator
@inline function floorTo(t: f64, step: f64): f64 {
  return Math.floor(t / step) * step;
}

function live(handle: usize): Buffers {
  const b = changetype<Buffers>(handle);
  assert(handle != 0 && b.magic == MAGIC, 'not a window buffer');
  return b;
}

/** Creates the buffers of one windowed rule; times in ms. Returns a handle. */
export function wb_new(paneMs: f64, lengthMs: f64, slideMs: f64, lateMs: f64, seedLo: u32, seedHi: u32): usize {
  const b = changetype<Buffers>(heap.alloc(offsetof<Buffers>()));
  b.magic = MAGIC;
  b.paneMs = paneMs;
  b.lengthMs = lengthMs;
  b.slideMs = slideMs;
  b.lateMs = lateMs;
  b.watermark = -Infinity;
  b.seed = (<u64>seedHi << 32) | <u64>seedLo;
  b.keyCap = 64;
  b.keys = heap.alloc(<usize>b.keyCap * KEY_BYTES);
  b.keyNext = 0;
  b.keyFree = NONE;
  b.keyLive = 0;
  b.indexMask = 127;
  b.index = heap.alloc(128 << 2);
  memory.fill(b.index, 0, 128 << 2);
  b.slotCap = 256;
  b.slots = heap.alloc(<usize>b.slotCap * SLOT_BYTES);
  b.slotNext = 0;
  b.slotFree = NONE;
  b.slotLive = 0;
  b.paneCap = 16;
  b.panes = heap.alloc(<usize>b.paneCap * PANE_BYTES);
  b.paneCount = 0;
  b.stamp = 0;
  return changetype<usize>(b);
}

export function wb_free(handle: usize): void {
  const b = live(handle);
  for (let id: u32 = 0; id < b.keyNext; id++) {
    const k = keyAt(b, id);
    if (load<u32>(k, 16) != 0) heap.free(<usize>load<u32>(k, 8));
  }
  heap.free(b.keys);
  heap.free(b.index);
  heap.free(b.slots);
  heap.free(b.panes);
  b.magic = 0;
  heap.free(handle);
}

// ---------------------------------------------------------------- keys

function indexRebuild(b: Buffers, entries: u32): void {
  heap.free(b.index);
  b.index = heap.alloc(<usize>entries << 2);
  memory.fill(b.index, 0, <usize>entries << 2);
  b.indexMask = entries - 1;
  for (let id: u32 = 0; id < b.keyNext; id++) {
    const k = keyAt(b, id);
    if (load<u32>(k, 16) == 0) continue;
    let i = <u32>load<u64>(k) & b.indexMask;
    while (load<u32>(b.index + (<usize>i << 2)) != 0) i = (i + 1) & b.indexMask;
    store<u32>(b.index + (<usize>i << 2), id + 1);
  }
}

// The id of the key with these bytes; a new key (with no slot yet) when absent.
function intern(b: Buffers, ptr: usize, len: u32): u32 {
  const h = xxh64(ptr, len, b.seed);
  let i = <u32>h & b.indexMask;
  for (;;) {
    const e = load<u32>(b.index + (<usize>i << 2));
    if (e == 0) break;
    const k = keyAt(b, e - 1);
    if (load<u64>(k) == h && load<u32>(k, 12) == len && memory.compare(<usize>load<u32>(k, 8), ptr, len) == 0) return e - 1;
    i = (i + 1) & b.indexMask;
  }
  let id: u32;
  if (b.keyFree != NONE) {
    id = b.keyFree;
    b.keyFree = load<u32>(keyAt(b, id), 20);
  } else {
    if (b.keyNext == b.keyCap) {
      b.keyCap <<= 1;
      b.keys = heap.realloc(b.keys, <usize>b.keyCap * KEY_BYTES);
    }
    id = b.keyNext++;
  }
  const bytes = heap.alloc(len);
  memory.copy(bytes, ptr, len);
  const k = keyAt(b, id);
  store<u64>(k, h);
  store<u32>(k, <u32>bytes, 8);
  store<u32>(k, len, 12);
  store<u32>(k, 1, 16); // provisional: the caller gives it its first slot at once
  store<u32>(k, NONE, 20);
  store<u32>(k, 0, 24);
  store<u32>(k, 0, 28);
  b.keyLive++;
  if (<u64>b.keyLive * 2 > <u64>b.indexMask + 1) indexRebuild(b, (b.indexMask + 1) << 1);
  else store<u32>(b.index + (<usize>i << 2), id + 1);
  store<u32>(k, 0, 16);
  return id;
}

// Looks a key up without interning it; NONE when absent.
function findKey(b: Buffers, ptr: usize, len: u32): u32 {
  const h = xxh64(ptr, len, b.seed);
  let i = <u32>h & b.indexMask;
  let e = load<u32>(b.index + (<usize>i << 2));
  while (e != 0) {
    const k = keyAt(b, e - 1);
    if (load<u64>(k) == h && load<u32>(k, 12) == len && memory.compare(<usize>load<u32>(k, 8), ptr, len) == 0) return e - 1;
    i = (i + 1) & b.indexMask;
    e = load<u32>(b.index + (<usize>i << 2));
  }
  return NONE;
}

// Forgets a key that holds no slot any more.
function dropKey(b: Buffers, id: u32): void {
  const k = keyAt(b, id);
  const mask = b.indexMask;
  let i = <u32>load<u64>(k) & mask;
  while (load<u32>(b.index + (<usize>i << 2)) != id + 1) i = (i + 1) & mask;
  // Backward shift: move later entries of the run into the hole unless their home lies in (i, j].
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const e = load<u32>(b.index + (<usize>j << 2));
    if (e == 0) break;
    const home = <u32>load<u64>(keyAt(b, e - 1)) & mask;
    const stays = i <= j ? home > i && home <= j : home > i || home <= j;
    if (!stays) {
      store<u32>(b.index + (<usize>i << 2), e);
      i = j;
    }
  }
  store<u32>(b.index + (<usize>i << 2), 0);
  heap.free(<usize>load<u32>(k, 8));
  store<u32>(k, 0, 16);
  store<u32>(k, b.keyFree, 20);
  b.keyFree = id;
  b.keyLive--;
}

// ---------------------------------------------------------------- panes and slots

// Index of the first pane whose start is ≥ t.
function paneLowerBound(b: Buffers, t: f64): u32 {
  let lo: u32 = 0;
  let hi = b.paneCount;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<f64>(paneAt(b, mid)) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// The pane starting at `start`, created (empty) when absent.
function paneFor(b: Buffers, start: f64): usize {
  const n = b.paneCount;
  if (n > 0) {
    const last = paneAt(b, n - 1);
    if (load<f64>(last) == start) return last;
  }
  const i = n > 0 && load<f64>(paneAt(b, n - 1)) < start ? n : paneLowerBound(b, start);
  if (i < n && load<f64>(paneAt(b, i)) == start) return paneAt(b, i);
  if (n == b.paneCap) {
    b.paneCap <<= 1;
    b.panes = heap.realloc(b.panes, <usize>b.paneCap * PANE_BYTES);
  }
  const p = paneAt(b, i);
  if (i < n) memory.copy(p + PANE_BYTES, p, <usize>(n - i) * PANE_BYTES);
  store<f64>(p, start);
  store<u32>(p, NONE, 8);
  store<u32>(p, NONE, 12);
  store<u32>(p, 0, 16);
  b.paneCount = n + 1;
  return p;
}

function newSlot(b: Buffers): u32 {
  let id: u32;
  if (b.slotFree != NONE) {
    id = b.slotFree;
    b.slotFree = load<u32>(slotAt(b, id), 40);
  } else {
    if (b.slotNext == b.slotCap) {
      b.slotCap <<= 1;
      b.slots = heap.realloc(b.slots, <usize>b.slotCap * SLOT_BYTES);
    }
    id = b.slotNext++;
  }
  b.slotLive++;
  return id;
}

// The event's slot (created when the key has none in the pane), with its aggregates updated.
function place(b: Buffers, key: u32, t: f64, value: f64): u32 {
  const ps = floorTo(t, b.paneMs);
  const k = keyAt(b, key);
  let newer = NONE;
  let cur = load<u32>(k, 20);
  while (cur != NONE && load<f64>(slotAt(b, cur)) > ps) {
    newer = cur;
    cur = load<u32>(slotAt(b, cur), 44);
  }
  let id: u32;
  let s: usize;
  if (cur != NONE && load<f64>(slotAt(b, cur)) == ps) {
    id = cur;
    s = slotAt(b, id);
  } else {
    id = newSlot(b);
    s = slotAt(b, id);
    store<f64>(s, ps);
    store<f64>(s, 0, 8);
    store<f64>(s, Infinity, 16);
    store<f64>(s, -Infinity, 24);
    store<u32>(s, key, 32);
    store<u32>(s, 0, 36);
    store<u32>(s, NONE, 40);
    store<u32>(s, cur, 44);
    store<u32>(s, newer, 48);
    if (newer == NONE) store<u32>(k, id, 20);
    else store<u32>(slotAt(b, newer), id, 44);
    if (cur != NONE) store<u32>(slotAt(b, cur), id, 48);
    store<u32>(k, load<u32>(k, 16) + 1, 16);
    const p = paneFor(b, ps);
    const last = load<u32>(p, 12);
    if (last == NONE) store<u32>(p, id, 8);
    else store<u32>(slotAt(b, last), id, 40);
    store<u32>(p, id, 12);
    store<u32>(p, load<u32>(p, 16) + 1, 16);
  }
  store<u32>(s, load<u32>(s, 36) + 1, 36);
  if (value == value) {
    store<f64>(s, load<f64>(s, 8) + value, 8);
    if (value < load<f64>(s, 16)) store<f64>(s, value, 16);
    if (value > load<f64>(s, 24)) store<f64>(s, value, 24);
  }
  return id;
}

// @ts-ignore: decorator
@inline function isLate(b: Buffers, t: f64): bool {
  // The latest window holding t starts at floor(t / slide) · slide; once it is past the allowed
  // lateness, every window of t is.
  return !(floorTo(t, b.slideMs) + b.lengthMs + b.lateMs > b.watermark);
}

/**
 * Adds n events: key k's UTF-8 is the next lens[k] bytes at `data`; times and values are f64
 * arrays (a NaN value counts the event without a value). Writes each event's slot id (u32) at
 * `out`, or 0xFFFFFFFF for a late event (every window of its time past the allowed lateness),
 * which is not stored. Returns n.
 */
export function wb_insert_many(handle: usize, data: usize, lens: usize, times: usize, values: usize, n: u32, out: usize): u32 {
  const b = live(handle);
  let p = data;
  for (let i: u32 = 0; i < n; i++) {
    const len = load<u32>(lens + (<usize>i << 2));
    const t = load<f64>(times + (<usize>i << 3));
    let slot = NONE;
    if (!isLate(b, t)) slot = place(b, intern(b, p, len), t, load<f64>(values + (<usize>i << 3)));
    store<u32>(out + (<usize>i << 2), slot);
    p += len;
  }
  return n;
}

// ---------------------------------------------------------------- firing

// Appends window [s, e) to the output: keys in order of their first pane, then of arrival in it.
function fire(b: Buffers, s: f64, e: f64, withSlots: bool): void {
  let stamp = b.stamp + 1;
  if (stamp == 0) {
    for (let id: u32 = 0; id < b.keyNext; id++) store<u32>(keyAt(b, id), 0, 24);
    stamp = 1;
  }
  b.stamp = stamp;
  const first = paneLowerBound(b, s);
  let last = first;
  let nSlots: u32 = 0;
  while (last < b.paneCount && load<f64>(paneAt(b, last)) < e) {
    nSlots += load<u32>(paneAt(b, last), 16);
    last++;
  }
  const header = outLen;
  const pairs = header + WIN_HEADER;
  const keysAt = pairs + (withSlots ? <usize>nSlots << 3 : 0);
  outEnsure(keysAt + 64 * KEY_OUT);
  let nKeys: u32 = 0;
  let q: u32 = 0;
  for (let pi = first; pi < last; pi++) {
    let id = load<u32>(paneAt(b, pi), 8);
    while (id != NONE) {
      const sl = slotAt(b, id);
      const k = keyAt(b, load<u32>(sl, 32));
      let ord: u32;
      let r: usize;
      if (load<u32>(k, 24) != stamp) {
        ord = nKeys++;
        store<u32>(k, stamp, 24);
        store<u32>(k, ord, 28);
        outEnsure(keysAt + <usize>nKeys * KEY_OUT);
        r = outPtr + keysAt + <usize>ord * KEY_OUT;
        store<f64>(r, load<f64>(sl, 8));
        store<f64>(r, load<f64>(sl, 16), 8);
        store<f64>(r, load<f64>(sl, 24), 16);
        store<u32>(r, id, 24);
        store<u32>(r, load<u32>(sl, 36), 28);
      } else {
        ord = load<u32>(k, 28);
        r = outPtr + keysAt + <usize>ord * KEY_OUT;
        store<f64>(r, load<f64>(r) + load<f64>(sl, 8));
        const mn = load<f64>(sl, 16);
        if (mn < load<f64>(r, 8)) store<f64>(r, mn, 8);
        const mx = load<f64>(sl, 24);
        if (mx > load<f64>(r, 16)) store<f64>(r, mx, 16);
        store<u32>(r, load<u32>(r, 28) + load<u32>(sl, 36), 28);
      }
      if (withSlots) {
        const w = outPtr + pairs + (<usize>q << 3);
        store<u32>(w, id);
        store<u32>(w, ord, 4);
      }
      q++;
      id = load<u32>(sl, 40);
    }
  }
  const h = outPtr + header;
  store<f64>(h, s);
  store<f64>(h, e, 8);
  store<u32>(h, nKeys, 16);
  store<u32>(h, withSlots ? nSlots : 0, 20);
  outLen = keysAt + <usize>nKeys * KEY_OUT;
}

// Forgets the panes whose last window is past the allowed lateness at the watermark; appends the
// freed slot ids (u32) to the output and returns how many.
function purge(b: Buffers): u32 {
  const wm = b.watermark;
  let dropped: u32 = 0;
  let freed: u32 = 0;
  while (dropped < b.paneCount) {
    const p = paneAt(b, dropped);
    const start = load<f64>(p);
    if (floorTo(start, b.slideMs) + b.lengthMs + b.lateMs > wm) break;
    outEnsure(outLen + (<usize>load<u32>(p, 16) << 2) + 8);
    let id = load<u32>(p, 8);
    while (id != NONE) {
      const s = slotAt(b, id);
      const next = load<u32>(s, 40);
      const key = load<u32>(s, 32);
      const k = keyAt(b, key);
      const older = load<u32>(s, 44);
      const newer = load<u32>(s, 48);
      if (newer == NONE) store<u32>(k, older, 20);
      else store<u32>(slotAt(b, newer), older, 44);
      if (older != NONE) store<u32>(slotAt(b, older), newer, 48);
      const refs = load<u32>(k, 16) - 1;
      store<u32>(k, refs, 16);
      if (refs == 0) dropKey(b, key);
      store<u32>(s, b.slotFree, 40);
      b.slotFree = id;
      b.slotLive--;
      store<u32>(outPtr + outLen, id);
      outLen += 4;
      freed++;
      id = next;
    }
    dropped++;
  }
  if (dropped > 0) {
    memory.copy(b.panes, paneAt(b, dropped), <usize>(b.paneCount - dropped) * PANE_BYTES);
    b.paneCount -= dropped;
  }
  return freed;
}

// The earliest end above the watermark of a window holding a pane (Infinity when none), and the
// earliest time a pane can be dropped: written to the output header.
function finishHeader(b: Buffers, windows: u32, freed: u32): void {
  const wm = b.watermark;
  const L = b.lengthMs;
  const S = b.slideMs;
  let nextEnd = Infinity;
  for (let i: u32 = 0; i < b.paneCount; i++) {
    const p = load<f64>(paneAt(b, i));
    const hi = floorTo(p, S);
    if (hi + L <= wm) continue;
    // The first window of the pane (start > p − L) whose end passes the watermark.
    let s = floorTo(p - L, S) + S;
    if (s + L <= wm) s = floorTo(wm - L, S) + S;
    nextEnd = s + L;
    break; // later panes' windows end no earlier
  }
  const nextPurge = b.paneCount > 0 ? floorTo(load<f64>(b.panes), S) + L + b.lateMs : Infinity;
  store<f64>(outPtr, nextEnd);
  store<f64>(outPtr, nextPurge, 8);
  store<u32>(outPtr, windows, 16);
  store<u32>(outPtr, freed, 20);
}

/**
 * Moves the watermark to `wm` (it never moves back) and fires every window that holds a pane and
 * ends in (prev, wm], in order of end (`prev` is the host's previous watermark: the host may move
 * it without a call while no window is due); then drops expired panes. Output: a header
 * (next end f64, next purge f64, windows u32, freed u32), the windows (see `fire`; the (slot, ord)
 * pairs only `withSlots`), then the freed slot ids. Returns the number of windows.
 */
export function wb_advance(handle: usize, prev: f64, wm: f64, withSlots: bool): u32 {
  const b = live(handle);
  outLen = OUT_HEADER;
  outEnsure(OUT_HEADER + 64);
  let windows: u32 = 0;
  if (wm > b.watermark) b.watermark = wm;
  if (wm > prev) {
    const L = b.lengthMs;
    const S = b.slideMs;
    // Window starts whose end lies in (prev, wm]: s in (prev − L, wm − L].
    const lowest = prev == -Infinity ? -Infinity : floorTo(prev - L, S) + S;
    let next = -Infinity; // starts below this were emitted already
    // Panes before `lowest` only belong to windows that ended by prev.
    for (let i: u32 = lowest == -Infinity ? 0 : paneLowerBound(b, lowest); i < b.paneCount; i++) {
      const p = load<f64>(paneAt(b, i));
      const hi = floorTo(p, S);
      if (hi < next) continue;
      let s = floorTo(p - L, S) + S;
      if (s < next) s = next;
      if (s < lowest) s = lowest;
      for (; s <= hi && s + L <= wm; s += S) {
        fire(b, s, s + L, withSlots);
        windows++;
      }
      next = hi + S;
      // Later panes only add starts ≥ s, whose windows end after wm.
      if (s + L > wm) break;
    }
  }
  const freed = purge(b);
  finishHeader(b, windows, freed);
  return windows;
}

/** Sets the watermark without firing (restoring a checkpoint) and drops expired panes; output as wb_advance. */
export function wb_set_watermark(handle: usize, wm: f64): u32 {
  const b = live(handle);
  outLen = OUT_HEADER;
  outEnsure(OUT_HEADER + 64);
  b.watermark = wm;
  finishHeader(b, 0, purge(b));
  return 0;
}

/**
 * The slots of one key (UTF-8 at ptr, len bytes) in the panes of window [s, e), oldest pane first,
 * as u32 at the output. Returns how many.
 */
export function wb_key_slots(handle: usize, ptr: usize, len: u32, s: f64, e: f64): u32 {
  const b = live(handle);
  outLen = 0;
  const key = findKey(b, ptr, len);
  if (key == NONE) return 0;
  let n: u32 = 0;
  let id = load<u32>(keyAt(b, key), 20);
  while (id != NONE) {
    const pane = load<f64>(slotAt(b, id));
    if (pane < s) break;
    if (pane < e) {
      outEnsure((<usize>n + 1) << 2);
      store<u32>(outPtr + (<usize>n << 2), id);
      n++;
    }
    id = load<u32>(slotAt(b, id), 44);
  }
  // Newest first so far: reverse.
  for (let i: u32 = 0, j = n - 1; n > 0 && i < j; i++, j--) {
    const a = load<u32>(outPtr + (<usize>i << 2));
    store<u32>(outPtr + (<usize>i << 2), load<u32>(outPtr + (<usize>j << 2)));
    store<u32>(outPtr + (<usize>j << 2), a);
  }
  return n;
}

/**
 * Every open pane, oldest first: start f64 | slots u32 | pad u32, then its slot ids (u32) in
 * arrival order, padded to 8 bytes. Returns the number of panes.
 */
export function wb_dump(handle: usize): u32 {
  const b = live(handle);
  outLen = 0;
  for (let i: u32 = 0; i < b.paneCount; i++) {
    const p = paneAt(b, i);
    const n = load<u32>(p, 16);
    outEnsure(outLen + 16 + (<usize>n << 2) + 8);
    store<f64>(outPtr + outLen, load<f64>(p));
    store<u32>(outPtr + outLen, n, 8);
    store<u32>(outPtr + outLen, 0, 12);
    outLen += 16;
    let id = load<u32>(p, 8);
    while (id != NONE) {
      store<u32>(outPtr + outLen, id);
      outLen += 4;
      id = load<u32>(slotAt(b, id), 40);
    }
    outLen = (outLen + 7) & ~7;
  }
  return b.paneCount;
}

/** Slot aggregates for the host: count of slot `id`. */
export function wb_slot_count(handle: usize, id: u32): u32 {
  return load<u32>(slotAt(live(handle), id), 36);
}

export function wb_pane_count(handle: usize): u32 {
  return live(handle).paneCount;
}

export function wb_key_count(handle: usize): u32 {
  return live(handle).keyLive;
}

export function wb_slots_live(handle: usize): u32 {
  return live(handle).slotLive;
}

/** Bytes of module memory the buffers hold (records and key bytes; not the shared output). */
export function wb_byte_size(handle: usize): usize {
  const b = live(handle);
  let bytes: usize = offsetof<Buffers>() + <usize>b.keyCap * KEY_BYTES + ((<usize>b.indexMask + 1) << 2);
  bytes += <usize>b.slotCap * SLOT_BYTES + <usize>b.paneCap * PANE_BYTES;
  for (let id: u32 = 0; id < b.keyNext; id++) {
    const k = keyAt(b, id);
    if (load<u32>(k, 16) != 0) bytes += load<u32>(k, 12);
  }
  return bytes;
}

export function wb_watermark(handle: usize): f64 {
  return live(handle).watermark;
}
