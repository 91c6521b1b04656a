import { beforeAll, describe, expect, it } from 'vitest';
import {
  INITIAL,
  NO_TRANSITION,
  StepFlags,
  TERM,
  type StateTableFactory,
  type StateKey,
  type TransitionProgram,
  type WasmStateTable,
} from '../../src/wasm/state-table.js';
import { freshHotPaths, rng } from './build-wasm.js';

let tables: StateTableFactory;

beforeAll(async () => {
  tables = (await freshHotPaths()).hot.stateTables;
});

interface Entry {
  state: number;
  time: number;
}

const T0 = 1_700_000_000_000; // an epoch-ms origin for test times

/** The reference: what stepMany promises, written plainly over a Map. */
function referenceStep(
  model: Map<unknown, Entry>,
  spec: { states: number; types: number; transitions: ArrayLike<number>; resetOnInvalid?: boolean },
  key: unknown,
  type: number,
  time: number,
  ttl: number,
): [number, number] {
  let entry = model.get(key);
  let from = INITIAL;
  let flags = 0;
  let expired = 0;
  if (entry) {
    from = entry.state;
    if (time - entry.time > ttl) {
      flags = StepFlags.Timeout | StepFlags.New;
      expired = from;
      from = INITIAL;
      model.delete(key);
      entry = undefined;
    }
  } else {
    flags = StepFlags.New;
  }
  const next = from < spec.states && type < spec.types ? spec.transitions[from * spec.types + type]! : NO_TRANSITION;
  let to: number;
  if (next === NO_TRANSITION) {
    flags |= StepFlags.Invalid;
    to = from;
    if (spec.resetOnInvalid && entry) {
      model.delete(key);
      flags |= StepFlags.Reset;
      to = INITIAL;
    }
  } else if (next === TERM) {
    flags |= StepFlags.Term;
    to = TERM;
    if (entry) model.delete(key);
  } else {
    to = next;
    if (entry) {
      entry.state = next;
      entry.time = Math.max(entry.time, Math.floor(time));
    } else {
      model.set(key, { state: next, time: Math.floor(time) });
    }
  }
  return [(from | (to << 16)) >>> 0, (flags | (expired << 16)) >>> 0];
}

function snapshot(table: WasmStateTable): Map<unknown, Entry> {
  const out = new Map<unknown, Entry>();
  for (const [key, state, time] of table.entries()) {
    expect(out.has(key)).toBe(false);
    out.set(key, { state, time });
  }
  return out;
}

function expectSameAsModel(table: WasmStateTable, model: Map<unknown, Entry>, toTableKey: (k: unknown) => unknown = (k) => k): void {
  expect(table.size).toBe(model.size);
  const snap = snapshot(table);
  expect(snap.size).toBe(model.size);
  for (const [k, e] of model) expect(snap.get(toTableKey(k))).toEqual(e);
}

describe('state table: against a Map model', () => {
  for (const keyBits of [32, 64] as const) {
    for (const seed of [1, 2, 3]) {
      it(`random get/set/delete/evictIdle sequences, ${keyBits}-bit keys, seed ${seed}`, () => {
        const next = rng(seed * 31 + keyBits);
        // Small tables so growth happens many times; a universe small enough for hits.
        const table = tables.create({ keyBits, capacity: 4, seed: seed * 977 });
        const universe: StateKey[] = Array.from({ length: 5000 }, (_, i) =>
          keyBits === 32 ? ((Math.floor(next() * 2 ** 32) ^ i) >>> 0) : i % 3 === 0 ? BigInt(i) * 0x9e3779b97f4a7c15n % (1n << 64n) : i % 3 === 1 ? Number.MAX_SAFE_INTEGER - i : 4 * i,
        );
        const norm = (k: StateKey): unknown => (keyBits === 64 && typeof k === 'number' ? BigInt(k) : k);
        const model = new Map<unknown, Entry>();
        let now = T0;
        let peak = 0;
        for (let step = 0; step < 30_000; step++) {
          const r = next();
          const key = universe[Math.floor(next() * universe.length)]!;
          now += Math.floor(next() * 50);
          if (r < 0.5) {
            const state = Math.floor(next() * 300);
            const time = now - Math.floor(next() * 100) + (next() < 0.1 ? 0.75 : 0);
            table.set(key, state, time);
            model.set(norm(key), { state, time: Math.floor(time) });
          } else if (r < 0.65) {
            expect(table.delete(key)).toBe(model.delete(norm(key)));
          } else if (r < 0.9) {
            const e = model.get(norm(key));
            expect(table.get(key)).toBe(e ? e.state : -1);
            const seen = table.lastSeen(key);
            if (e) expect(seen).toBe(e.time);
            else expect(seen).toBeNaN();
          } else if (r < 0.995) {
            expect(table.size).toBe(model.size);
          } else {
            const ttl = Math.floor(next() * 5000);
            const collect = next() < 0.5;
            const expected = [...model].filter(([, e]) => now - e.time > ttl);
            for (const [k] of expected) model.delete(k);
            if (collect) {
              const got = table.evictIdleCollect(now, ttl);
              expect(got.keys.length).toBe(expected.length);
              const byKey = new Map<unknown, Entry>(got.keys.map((k, i) => [k, { state: got.states[i]!, time: got.lastSeen[i]! }]));
              for (const [k, e] of expected) expect(byKey.get(k)).toEqual(e);
            } else {
              expect(table.evictIdle(now, ttl)).toBe(expected.length);
            }
          }
          peak = Math.max(peak, model.size);
        }
        expect(peak).toBeGreaterThan(300); // grew from 8 slots many times
        expectSameAsModel(table, model);
        table.dispose();
      });
    }
  }

  it('keys strings by their XXH64 (the same string is the same key everywhere)', () => {
    const table = tables.create({ keyBits: 64 });
    const keys = ['10.0.0.1', '', 'ü-straße', '😀', 'a\uD83D', 'x'.repeat(5000)];
    keys.forEach((k, i) => table.set(k, i + 1, T0 + i));
    keys.forEach((k, i) => expect(table.get(k)).toBe(i + 1));
    expect(table.get('10.0.0.2')).toBe(-1);
    // Lone surrogates are hashed as U+FFFD (TextEncoder): same key.
    expect(table.get('a\uFFFD')).toBe(5);
    const program = tables.program({ states: 10, types: 1, transitions: [1, 2, 3, 4, 5, 6, 7, 8, 9, TERM] });
    const out = table.stepMany(program, keys, [0, 0, 0, 0, 0, 0], new Float64Array(6).fill(T0 + 10));
    keys.forEach((k, i) => {
      expect(out.from(i)).toBe(i + 1);
      expect(table.get(k)).toBe(i + 2);
    });
    const entryKeys = [...table.entries()].map(([k]) => k);
    expect(entryKeys.every((k) => typeof k === 'bigint')).toBe(true);
    expect(entryKeys.length).toBe(keys.length);
  });

  it('rejects keys that do not fit the table', () => {
    const narrow = tables.create({ keyBits: 32 });
    expect(() => narrow.get(-1)).toThrow(RangeError);
    expect(() => narrow.get(2 ** 32)).toThrow(RangeError);
    expect(() => narrow.get(1.5)).toThrow(RangeError);
    expect(() => narrow.get('x')).toThrow(TypeError);
    expect(() => narrow.set(1, 0x10000, T0)).toThrow(RangeError);
    expect(() => narrow.set(1, 1, NaN)).toThrow(RangeError);
    expect(() => narrow.evictIdle(NaN, 1)).toThrow(RangeError);
    expect(() => narrow.evictIdle(T0, -1)).toThrow(RangeError);
    const wide = tables.create({ keyBits: 64 });
    expect(() => wide.get(2 ** 53)).toThrow(RangeError);
    expect(() => wide.get(1n << 64n)).toThrow(RangeError);
    wide.set((1n << 64n) - 1n, 3, T0);
    expect(wide.get((1n << 64n) - 1n)).toBe(3);
    wide.set(2 ** 40 + 5, 4, T0);
    expect(wide.get(BigInt(2 ** 40 + 5))).toBe(4);
    narrow.set(0, 0, T0); // key 0 and state 0 (INITIAL) are ordinary values
    expect(narrow.get(0)).toBe(0);
    narrow.set(0, TERM, T0); // TERM deletes
    expect(narrow.get(0)).toBe(-1);
  });
});

describe('state table: time', () => {
  it('keeps last-seen times in a rolling window of ±24.8 days (rebasing), TTLs below it exact', () => {
    const table = tables.create({ capacity: 10 });
    const day = 86_400_000;
    const half = 2 ** 31;
    table.set(1, 1, T0);
    table.set(2, 2, T0 + 20 * day);
    expect(table.lastSeen(1)).toBe(T0);
    expect(table.lastSeen(2)).toBe(T0 + 20 * day);
    // Past the end of the first window the origin moves to (time − 2^31): keys idle longer than
    // that are clamped to the new origin — they still look idle for ≥ 24.8 days.
    table.set(3, 3, T0 + 60 * day);
    expect(table.lastSeen(3)).toBe(T0 + 60 * day);
    expect(table.lastSeen(1)).toBe(T0 + 60 * day - half);
    expect(table.lastSeen(2)).toBe(T0 + 60 * day - half);
    table.set(4, 4, T0 + 59 * day);
    expect(table.lastSeen(4)).toBe(T0 + 59 * day);
    expect(table.evictIdle(T0 + 60 * day, 20 * day)).toBe(2);
    expect(table.evictIdle(T0 + 60 * day, 0.5 * day)).toBe(1);
    expect(table.get(3)).toBe(3);
    // A time before the window is clamped to its origin.
    table.set(5, 5, T0);
    expect(table.lastSeen(5)).toBe(T0 + 60 * day - half);
  });

  it('evicts nothing for a ttl reaching before the first time, or an empty table', () => {
    const table = tables.create();
    expect(table.evictIdle(T0, 0)).toBe(0);
    table.set(7, 1, T0);
    expect(table.evictIdle(T0, 0)).toBe(0); // idle 0 ms is not longer than 0
    expect(table.evictIdle(T0 + 1, 0)).toBe(1);
  });
});

describe('state table: serialization', () => {
  it('round-trips after growth, deletes and eviction, and evolves identically afterwards', () => {
    for (const keyBits of [32, 64] as const) {
      const next = rng(keyBits);
      const table = tables.create({ keyBits, capacity: 16, seed: 42 });
      for (let i = 0; i < 20_000; i++) table.set(keyBits === 32 ? (i * 2654435761) >>> 0 : BigInt(i) << 20n, i % 500, T0 + i);
      for (let i = 0; i < 20_000; i += 3) table.delete(keyBits === 32 ? (i * 2654435761) >>> 0 : BigInt(i) << 20n);
      table.evictIdle(T0 + 20_000, 15_000);
      const bytes = table.serialize();
      const copy = tables.deserialize(bytes);
      expect(copy.keyBits).toBe(keyBits);
      expect(copy.size).toBe(table.size);
      expect(snapshot(copy)).toEqual(snapshot(table));
      const program = tables.program({ states: 500, types: 2, transitions: Array.from({ length: 1000 }, (_, i) => (i % 7 === 0 ? NO_TRANSITION : i % 11 === 0 ? TERM : (i * 13) % 500)) });
      const keys = Array.from({ length: 5000 }, () => (keyBits === 32 ? (Math.floor(next() * 20_000) * 2654435761) >>> 0 : BigInt(Math.floor(next() * 20_000)) << 20n));
      const types = Uint8Array.from(keys, () => (next() < 0.5 ? 0 : 1));
      const times = Float64Array.from(keys, (_, i) => T0 + 20_000 + i);
      const a = table.stepMany(program, keys as never, types, times, { ttlMs: 10_000 });
      const b = copy.stepMany(program, keys as never, types, times, { ttlMs: 10_000 });
      expect(b.words).toEqual(a.words);
      expect(snapshot(copy)).toEqual(snapshot(table));
    }
  });

  it('round-trips an empty table and rejects bytes that are not a table', () => {
    const empty = tables.create({ keyBits: 64 });
    const copy = tables.deserialize(empty.serialize());
    expect(copy.size).toBe(0);
    expect(copy.keyBits).toBe(64);
    const table = tables.create();
    table.set(1, 1, T0);
    table.set(2, 2, T0);
    const bytes = table.serialize();
    expect(() => tables.deserialize(new Uint8Array(0))).toThrow(/not a valid/);
    expect(() => tables.deserialize(bytes.subarray(0, bytes.length - 1))).toThrow(/not a valid/);
    const wrongMagic = bytes.slice();
    wrongMagic[0] ^= 0xff;
    expect(() => tables.deserialize(wrongMagic)).toThrow(/not a valid/);
    const duplicate = bytes.slice();
    duplicate.copyWithin(32 + 10, 32, 32 + 10); // second record := first record
    expect(() => tables.deserialize(duplicate)).toThrow(/not a valid/);
    const badState = bytes.slice();
    badState[32 + 8] = 0xfe;
    badState[32 + 9] = 0xff; // TERM is not storable
    expect(() => tables.deserialize(badState)).toThrow(/not a valid/);
  });
});

describe('state table: batch transitions', () => {
  function randomSpec(next: () => number, states: number, types: number, resetOnInvalid: boolean) {
    const transitions = Array.from({ length: states * types }, () => {
      const r = next();
      return r < 0.25 ? NO_TRANSITION : r < 0.35 ? TERM : Math.floor(next() * states);
    });
    return { states, types, transitions, resetOnInvalid };
  }

  for (const keyBits of [32, 64] as const) {
    for (const resetOnInvalid of [false, true]) {
      it(`match a JS reference of the same transition table (${keyBits}-bit, reset ${resetOnInvalid})`, () => {
        const next = rng(keyBits + (resetOnInvalid ? 1 : 0));
        const spec = randomSpec(next, 6, 5, resetOnInvalid);
        const program = tables.program(spec);
        const table = tables.create({ keyBits, capacity: 8 });
        const model = new Map<unknown, Entry>();
        const universe = Array.from({ length: 3000 }, (_, i) => (keyBits === 32 ? (i * 0x9e3779b1) >>> 0 : `src-${i}`));
        let now = T0;
        for (let batch = 0; batch < 40; batch++) {
          const n = 1 + Math.floor(next() * 9000); // crosses the 4096-event chunking
          const keys = Array.from({ length: n }, () => universe[Math.floor(next() * universe.length)]!);
          // Types include codes outside the program (invalid events).
          const types = Array.from({ length: n }, () => Math.floor(next() * 6));
          const times = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            now += next() < 0.001 ? 20_000 : Math.floor(next() * 3);
            times[i] = next() < 0.05 ? now - 500 : now; // some events out of order
          }
          const ttlMs = batch % 3 === 0 ? undefined : 5_000;
          const out = table.stepMany(program, keys as never, types, times, ttlMs === undefined ? {} : { ttlMs });
          expect(out.length).toBe(n);
          for (let i = 0; i < n; i++) {
            const [w0, w1] = referenceStep(model, spec, keys[i], types[i]!, times[i]!, ttlMs ?? Infinity);
            if (out.words[2 * i] !== w0 || out.words[2 * i + 1] !== w1) {
              throw new Error(`batch ${batch} event ${i}: got ${out.words[2 * i]}/${out.words[2 * i + 1]}, reference ${w0}/${w1}`);
            }
          }
          expect(table.size).toBe(model.size);
        }
        if (keyBits === 32) expectSameAsModel(table, model);
        else for (const [k, e] of model) expect([table.get(k as string), table.lastSeen(k as string)]).toEqual([e.state, e.time]);
        program.dispose();
        table.dispose();
      });
    }
  }

  it('runs the network state machine: outcomes, TERM forgets, invalid events change nothing', () => {
    // INITIAL: a→W, c→X; W: b→Y; X: b→Y, d→Z; Y: e→Z; Z: g→TERM
    const [I, W, X, Y, Z] = [0, 1, 2, 3, 4];
    const [a, b, c, d, e, g] = [0, 1, 2, 3, 4, 5];
    const t = Array<number>(5 * 6).fill(NO_TRANSITION);
    const on = (s: number, ty: number, to: number) => (t[s * 6 + ty] = to);
    on(I, a, W);
    on(I, c, X);
    on(W, b, Y);
    on(X, b, Y);
    on(X, d, Z);
    on(Y, e, Z);
    on(Z, g, TERM);
    const program: TransitionProgram = tables.program({ states: 5, types: 6, transitions: t });
    const table = tables.create();
    const ip = 0xc0a80001;
    const out = table.stepMany(program, new Uint32Array([ip, ip, ip, ip, ip, ip, ip]), new Uint8Array([a, e, b, e, g, g, b]), Float64Array.from([0, 1, 2, 3, 4, 5, 6], (x) => T0 + x));
    const rows = Array.from({ length: out.length }, (_, i) => [out.from(i), out.to(i), out.flags(i)]);
    expect(rows).toEqual([
      [I, W, StepFlags.New],
      [W, W, StepFlags.Invalid], // no e from W: unchanged
      [W, Y, 0],
      [Y, Z, 0],
      [Z, TERM, StepFlags.Term],
      [I, I, StepFlags.New | StepFlags.Invalid], // forgotten: g from INITIAL is invalid, creates nothing
      [I, I, StepFlags.New | StepFlags.Invalid],
    ]);
    expect(table.get(ip)).toBe(-1);
    expect(table.size).toBe(0);
    // Timeout: idle longer than ttl at the event's time.
    const o2 = table.stepMany(program, [1, 1, 1], [c, d, g], [T0, T0 + 100, T0 + 10_000], { ttlMs: 1000 });
    expect([o2.from(2), o2.to(2), o2.flags(2), o2.expired(2)]).toEqual([I, I, StepFlags.Timeout | StepFlags.New | StepFlags.Invalid, Z]);
    expect(table.get(1)).toBe(-1);
  });

  it('validates programs and batch shapes', () => {
    expect(() => tables.program({ states: 2, types: 2, transitions: [0, 1, 2, 0] })).toThrow(RangeError);
    expect(() => tables.program({ states: 2, types: 2, transitions: [0, 1] })).toThrow(RangeError);
    expect(() => tables.program({ states: 0, types: 2, transitions: [] })).toThrow(RangeError);
    const program = tables.program({ states: 2, types: 1, transitions: [1, TERM] });
    const table = tables.create();
    expect(() => table.stepMany(program, [1, 2], [0], [T0, T0])).toThrow(RangeError);
    expect(() => table.stepMany(program, [1], [0], [T0], { ttlMs: -1 })).toThrow(RangeError);
    program.dispose();
    expect(() => table.stepMany(program, [1], [0], [T0])).toThrow(/dispose/);
    table.dispose();
    expect(() => table.get(1)).toThrow(/dispose/);
  });
});

describe('state table: memory growth', () => {
  it('grows many times inside one stepMany and keeps every key; views follow the memory', async () => {
    const { hot, memory } = await freshHotPaths();
    const program = hot.stateTables.program({ states: 2, types: 1, transitions: [1, 1] });
    const table = hot.stateTables.create({ capacity: 8 });
    const n = 300_000;
    const keys = Uint32Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 0);
    const before = memory.buffer;
    const out = table.stepMany(program, keys, new Uint8Array(n), new Float64Array(n).fill(T0));
    expect(before.byteLength).toBe(0); // detached: memory grew during the call
    expect(table.size).toBe(n);
    expect(table.capacity).toBeGreaterThan(n);
    for (let i = 0; i < n; i += 997) expect([out.from(i), out.to(i), out.flags(i)]).toEqual([0, 1, StepFlags.New]);
    memory.grow(2); // the host grows it too
    expect(table.get(keys[12_345]!)).toBe(1);
    const again = table.stepMany(program, keys.subarray(0, 10), new Uint8Array(10), new Float64Array(10).fill(T0 + 1));
    expect(again.flags(0)).toBe(0);
    const bytes = table.serialize();
    memory.grow(1);
    const copy = hot.stateTables.deserialize(bytes);
    expect(copy.size).toBe(n);
    const evicted = copy.evictIdleCollect(T0 + 10, 9.5); // the 10 keys stepped at T0 + 1 stay
    expect(evicted.keys.length).toBe(n - 10);
    expect(copy.size).toBe(10);
  });

  it('uses 10 bytes per slot for 32-bit keys and 14 for 64-bit keys', () => {
    const narrow = tables.create({ keyBits: 32, capacity: 1_000_000 });
    const wide = tables.create({ keyBits: 64, capacity: 1_000_000 });
    expect(narrow.byteSize / narrow.capacity).toBeCloseTo(10, 2);
    expect(wide.byteSize / wide.capacity).toBeCloseTo(14, 2);
    expect(narrow.capacity).toBeLessThan(1_400_000); // sized to the hint, not the next power of two
    narrow.dispose();
    wide.dispose();
  });
});
