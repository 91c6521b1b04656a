/**
 * IOC sets hold repeated keys exactly (assembly/cuckoo.ts, "Repeated fingerprints"): a copy of a
 * fingerprint a level already holds in the key's bucket pair is a counter, not another slot, so
 * copies cost no level and no look-up time, and each remove takes one. Checked against a
 * Map<string, count> multiset; the serialized format 3 that carries the counters; and the sets
 * written by the build before it (test/fixtures/iocs, formats 1 and 2), which keep loading.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WasmIocSet, WasmIocSetFactory } from '../../src/wasm/cuckoo.js';
import { freshHotPaths, hexKeys, rng } from './build-wasm.js';

let sets: WasmIocSetFactory;

beforeAll(async () => {
  sets = (await freshHotPaths()).hot.iocSets;
});

const create = (capacity: number, falsePositiveRate = 0.001, seed?: readonly [number, number]) => sets.create({ capacity, falsePositiveRate, seed });
const versionOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
const countTrue = (bits: Uint8Array) => bits.reduce((n, b) => n + b, 0);

describe('exact repeats: random sequences against a multiset model', () => {
  // Heavy repetition: a third of the picks are 5 hot keys, a part is sent again as it was (a client
  // retrying), and every remove of a held key must take exactly one copy (the set stays one level).
  // Mid-sequence the set is serialized and the sequence continues on the restored copy.
  const runs = [1, 2, 3, 4, 5, 6].map((seed) => ({ seed, fpp: [0.01, 0.001, 0.0001][seed % 3]!, hashSeed: seed % 2 ? ([seed, seed * 31] as const) : undefined }));
  for (const { seed, fpp, hashSeed } of runs) {
    it(`seed ${seed}, FPP ${fpp}${hashSeed ? '' : ', random hash seed'}`, () => {
      const next = rng(seed);
      const universe = hexKeys(600, 4000 + seed).map((k, i) => (i % 7 === 0 ? `ü-${k}-😀` : k));
      const hot = universe.slice(0, 5);
      const pick = () => (next() < 0.3 ? hot[Math.floor(next() * hot.length)]! : universe[Math.floor(next() * universe.length)]!);
      let set = create(2000, fpp, hashSeed);
      const model = new Map<string, number>();
      let total = 0;
      let lastPart: string[] = [];
      let restored = 0;
      const addToModel = (batch: readonly string[]) => {
        for (const k of batch) model.set(k, (model.get(k) ?? 0) + 1);
        total += batch.length;
      };
      for (let step = 0; step < 3000; step++) {
        const r = next();
        if (r < 0.35) {
          lastPart = Array.from({ length: 1 + Math.floor(next() * 16) }, pick);
          set.add(lastPart);
          addToModel(lastPart);
        } else if (r < 0.5) {
          set.add(lastPart); // the same part again
          addToModel(lastPart);
        } else if (r < 0.75) {
          const held = [...new Set(Array.from({ length: 1 + Math.floor(next() * 6) }, pick))].filter((k) => (model.get(k) ?? 0) > 0);
          for (const k of held) {
            expect(set.remove([k]), `remove ${k} held ${model.get(k)} times`).toBe(1);
            model.set(k, model.get(k)! - 1);
            total--;
          }
        } else if (r < 0.9) {
          for (let q = 0; q < 8; q++) {
            const k = pick();
            if ((model.get(k) ?? 0) > 0) expect(set.has(k)).toBe(true);
          }
        } else if (r < 0.91) {
          const bytes = set.serialize();
          const copy = sets.deserialize(bytes);
          expect(copy.serialize()).toEqual(bytes);
          expect(copy.count).toBe(set.count);
          expect(copy.byteSize).toBe(set.byteSize);
          set.dispose();
          set = copy;
          restored++;
        } else {
          const batch = Array.from({ length: 1 + Math.floor(next() * 70) }, pick);
          const got = set.hasMany(batch);
          batch.forEach((k, i) => {
            if ((model.get(k) ?? 0) > 0) expect(got[i]).toBe(1);
            expect(got[i]).toBe(set.has(k) ? 1 : 0);
          });
        }
        expect(set.count).toBe(total);
        expect(set.levels).toBe(1);
      }
      expect(restored).toBeGreaterThan(10);
      const held = [...model].filter(([, c]) => c > 0).map(([k]) => k);
      const gone = [...model].filter(([, c]) => c === 0).map(([k]) => k);
      expect(countTrue(set.hasMany(held))).toBe(held.length);
      // Keys whose every copy was removed, and keys never added, are false positives only, at the
      // filter's rate (it is about a third full here, so its rate is below the target).
      expect(countTrue(set.hasMany(gone))).toBeLessThanOrEqual(Math.max(3, 3 * fpp * gone.length));
      const fresh = hexKeys(100_000, 5000 + seed);
      expect(countTrue(set.hasMany(fresh))).toBeLessThanOrEqual(fpp * fresh.length);
      set.dispose();
    });
  }
});

describe('exact repeats: heavy repetition', () => {
  it('1,000 copies of one key: one level, one counter, 1,000 removes', () => {
    const set = create(10_000, 0.001, [11, 12]);
    const members = hexKeys(5000, 61);
    set.add(members);
    const before = set.byteSize;
    for (let i = 0; i < 500; i++) set.add(['one']);
    set.add(Array.from({ length: 500 }, () => 'one')); // copies within one batch count the same
    expect(set.count).toBe(6000);
    expect(set.levels).toBe(1);
    expect(set.byteSize - before).toBeLessThanOrEqual(16 * 8);
    for (let i = 0; i < 999; i++) expect(set.remove(['one'])).toBe(1);
    expect(set.has('one')).toBe(true);
    expect(set.remove(['one'])).toBe(1);
    expect(set.has('one')).toBe(false);
    expect(set.remove(['one'])).toBe(0);
    expect(set.count).toBe(5000);
    expect(set.byteSize).toBe(before);
    expect(countTrue(set.hasMany(members))).toBe(members.length);
    set.dispose();
  });

  it('20,000 keys each sent 20 times at the declared capacity: one level, the same answers as the keys sent once', () => {
    const part = hexKeys(20_000, 62);
    const once = create(20_000, 0.001, [13, 14]);
    const twenty = create(20_000, 0.001, [13, 14]);
    once.add(part);
    for (let r = 0; r < 20; r++) twenty.add(part);
    expect(twenty.count).toBe(400_000);
    expect(twenty.levels).toBe(1);
    // The slots are the same as with the part sent once (the first part placed them; the others
    // only counted), so every look-up answers the same: no new false positives, no slower look-up.
    const probes = [...part, ...hexKeys(200_000, 63)];
    expect(twenty.hasMany(probes)).toEqual(once.hasMany(probes));
    expect(countTrue(twenty.hasMany(probes.slice(part.length))) / 200_000).toBeLessThanOrEqual(1.2 * 0.001);
    // The counters: under 16 bytes per repeated key (8-byte entries, a table ≤ 3/4 full).
    expect(twenty.byteSize - once.byteSize).toBeLessThan(16 * part.length);
    for (let r = 0; r < 19; r++) expect(twenty.remove(part)).toBe(part.length);
    expect(twenty.byteSize).toBe(once.byteSize);
    expect(twenty.serialize()).toEqual(once.serialize());
    expect(twenty.remove(part)).toBe(part.length);
    expect(twenty.count).toBe(0);
    expect(countTrue(twenty.hasMany(probes))).toBe(0);
    once.dispose();
    twenty.dispose();
  });

  it('counts 65,535 extra copies per level; past that copies take slots, then a spill level (the documented limit)', () => {
    const set = create(1000, 0.001, [15, 16]);
    set.add(Array.from({ length: 65_536 }, () => 'k'));
    expect(set.levels).toBe(1);
    // The key's two buckets hold 8 slots: the full counter's copies take the 7 left.
    set.add(Array.from({ length: 7 }, () => 'k'));
    expect(set.levels).toBe(1);
    expect(set.count).toBe(65_543);
    for (let i = 0; i < 10; i++) expect(set.remove(['k'])).toBe(1);
    set.add(Array.from({ length: 10 }, () => 'k'));
    expect(set.count).toBe(65_543);
    set.add(['k']);
    expect(set.levels).toBe(2);
    // Two levels claim the key now: a remove takes nothing (filterRemove), and it stays a match.
    expect(set.remove(['k'])).toBe(0);
    expect(set.has('k')).toBe(true);
    expect(set.count).toBe(65_544);
    set.dispose();
  });
});

describe('exact repeats: format 3', () => {
  it('round-trips counters on a grown set, and both copies evolve identically', () => {
    const set = create(500, 0.001, [21, 22]);
    const keys = hexKeys(5000, 71);
    for (let r = 0; r < 3; r++) set.add(keys);
    set.add(Array.from({ length: 300 }, () => 'hot'));
    expect(set.levels).toBeGreaterThan(1);
    const bytes = set.serialize();
    expect(versionOf(bytes)).toBe(3);
    const copy = sets.deserialize(bytes);
    expect(copy.count).toBe(15_300);
    expect(copy.levels).toBe(set.levels);
    expect(copy.byteSize).toBe(set.byteSize);
    expect(copy.serialize()).toEqual(bytes);
    const probes = [...keys, ...hexKeys(50_000, 72)];
    expect(copy.hasMany(probes)).toEqual(set.hasMany(probes));
    for (const s of [set, copy]) {
      s.add(hexKeys(2000, 73));
      expect(s.remove(keys.slice(0, 1000))).toBeGreaterThan(990);
      for (let i = 0; i < 300; i++) s.remove(['hot']);
    }
    expect(copy.serialize()).toEqual(set.serialize());
    expect(copy.count).toBe(set.count);
    set.dispose();
    copy.dispose();
  });

  it('rejects format-3 bytes it did not write', () => {
    const set = create(100, 0.01, [5, 6]);
    set.add(['a', 'a', 'b', 'b', 'b', 'c']);
    const bytes = set.serialize();
    expect(versionOf(bytes)).toBe(3);
    // Layout (assembly/cuckoo.ts): 36-byte header, keyed | seed lo | seed hi, one level: m | fp bits |
    // count | limit | capacity | table bits | counted pairs, the table, then the counted pairs.
    const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    expect(view(bytes).getUint32(72, true)).toBe(2);
    const entries = bytes.length - 16;
    const m = view(bytes).getUint32(48, true);
    const bad = (what: string, change: (b: Uint8Array, v: DataView) => void) => {
      const b = bytes.slice();
      change(b, view(b));
      expect(() => sets.deserialize(b), what).toThrow(/not a valid/);
    };
    expect(sets.deserialize(bytes).count).toBe(6);
    bad('entries out of order', (b) => {
      b.set(bytes.subarray(entries + 8, entries + 16), entries);
      b.set(bytes.subarray(entries, entries + 8), entries + 8);
    });
    bad('the same pair twice', (b) => b.set(bytes.subarray(entries, entries + 8), entries + 8));
    bad('a counter of 0', (_, v) => v.setUint16(entries + 6, 0, true));
    bad('a pair past the table', (_, v) => v.setUint32(entries, m, true));
    bad('a fingerprint with no slot', (_, v) => v.setUint16(entries + 4, v.getUint16(entries + 4, true) ^ 0x5a, true));
    bad('no counter table', (_, v) => v.setUint32(68, 0, true));
    bad('a counter table far too large', (_, v) => v.setUint32(68, 30, true));
    bad('more counted pairs than slots', (_, v) => v.setUint32(72, 7, true));
    bad('keyed neither 0 nor 1', (_, v) => v.setUint32(36, 2, true));
    bad('an unkeyed filter with a seed', (_, v) => v.setUint32(36, 0, true));
    expect(() => sets.deserialize(bytes.subarray(0, bytes.length - 1))).toThrow(/not a valid/);
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes);
    expect(() => sets.deserialize(longer)).toThrow(/not a valid/);
    set.dispose();
  });
});

describe('exact repeats: sets written before format 3 (test/fixtures/iocs)', () => {
  const dir = new URL('../fixtures/iocs/', import.meta.url);
  const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as Record<
    string,
    { keys: number; repeated: string; copies: number; version: number; count: number; levels: number }
  >;
  for (const [file, made] of Object.entries(manifest)) {
    it(`${file} (format ${made.version}, ${made.levels} level${made.levels > 1 ? 's' : ''}) loads, answers, and counts new copies`, () => {
      const bytes = new Uint8Array(readFileSync(new URL(file, dir)));
      expect(versionOf(bytes)).toBe(made.version);
      const set = sets.deserialize(bytes) as WasmIocSet;
      expect(set.format).toBe(made.version);
      expect(set.count).toBe(made.count);
      expect(set.levels).toBe(made.levels);
      const keys = Array.from({ length: made.keys }, (_, i) => `ioc-${i}.example`);
      expect(countTrue(set.hasMany([...keys, made.repeated]))).toBe(keys.length + 1);
      expect(set.serialize()).toEqual(bytes); // nothing counted: written in its own format, unchanged
      // New copies of the key the old build held as slots are counted: no new level.
      set.add(Array.from({ length: 100 }, () => made.repeated));
      expect(set.levels).toBe(made.levels);
      expect(set.count).toBe(made.count + 100);
      const counted = set.serialize();
      expect(versionOf(counted)).toBe(3);
      expect(sets.deserialize(counted).serialize()).toEqual(counted);
      if (made.levels === 1) {
        // Its copies are in one level: every one of the 108 removes takes one, counters first, so
        // after 100 the set is the old bytes again.
        for (let i = 0; i < 100; i++) expect(set.remove([made.repeated])).toBe(1);
        expect(set.serialize()).toEqual(bytes);
        for (let i = 0; i < made.copies; i++) expect(set.remove([made.repeated])).toBe(1);
        expect(set.has(made.repeated)).toBe(false);
      } else {
        // The old build spilled the 20 copies over several levels: as then, a remove takes nothing
        // (which level holds its own copy cannot be told) and the key stays a match.
        expect(set.remove([made.repeated])).toBe(0);
        expect(set.has(made.repeated)).toBe(true);
      }
      expect(countTrue(set.hasMany(keys))).toBe(keys.length);
      set.dispose();
    });
  }
});
