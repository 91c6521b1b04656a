/**
 * The IOC set benchmark's measuring code (src/bench/ioc.ts) at tiny sizes: the shape of its table
 * and the invariants of its figures (no false negatives, an FPP near its target). Not timings —
 * those belong to `node bench/ioc.mjs` on a quiet machine.
 */
import bloom from 'bloom-filters';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/bench/common.js';
import { bloomFiltersPeers, runIocBench } from '../../src/bench/ioc.js';
import { vigilExports } from '../../src/wasm/exports.js';
import type { HotPaths } from '../../src/wasm/hotpaths.js';
import { freshHotPaths } from '../wasm/build-wasm.js';

const KEYS = 20_000;
const LOOKUPS = 4_000;
const EXTRA_ABSENT = 20_000;
const FPPS = [0.01, 0.001];
const COLUMNS = ['structure', 'keys', 'target FPP', 'bits/key', 'MiB', 'build ms', 'Mlook-ups/s', 'ns/has', 'ns/key hasMany', 'false negatives', 'measured FPP', 'vs Set.has'];

const parsePercent = (cell: string | number | undefined) => Number(String(cell).replace('%', '')) / 100;
const vigilRows = (result: BenchResult) => result.rows.filter((row) => String(row['structure']).startsWith('vigil'));

describe('IOC set benchmark (src/bench/ioc.ts)', () => {
  let hot: HotPaths;
  let result: BenchResult;
  const progress: string[] = [];

  beforeAll(async () => {
    hot = (await freshHotPaths()).hot;
    result = runIocBench(hot, {
      keys: KEYS,
      lookups: LOOKUPS,
      extraAbsent: EXTRA_ABSENT,
      reps: 1,
      falsePositiveRates: FPPS,
      peers: bloomFiltersPeers(bloom),
      peerKeys: 2_000,
      peerLookups: 1_000,
      progress: (message) => progress.push(message),
    });
  });

  it('returns a table whose rows have every column', () => {
    expect(result.columns).toEqual(COLUMNS);
    for (const row of result.rows) expect(Object.keys(row).sort()).toEqual([...COLUMNS].sort());
    const structures = result.rows.map((row) => row['structure']);
    // Hex keys at each FPP and their Set; the peer section (vigil, 2 peers per FPP, Set); IPv4.
    expect(structures).toEqual([
      'vigil cuckoo @1%',
      'vigil cuckoo @0.1%',
      'JS Set',
      'vigil cuckoo @1% (2,000 keys)',
      'bloom-filters BloomFilter @1%',
      'bloom-filters CuckooFilter @1%',
      'vigil cuckoo @0.1% (2,000 keys)',
      'bloom-filters BloomFilter @0.1%',
      'bloom-filters CuckooFilter @0.1%',
      'JS Set (2,000 keys)',
      'vigil cuckoo @0.1% (IPv4)',
      'JS Set (IPv4)',
    ]);
    expect(result.rows.filter((row) => row['keys'] === KEYS)).toHaveLength(5);
    expect(result.rows.filter((row) => row['keys'] === 2_000)).toHaveLength(7);
    expect(progress.length).toBeGreaterThan(FPPS.length);
  });

  it('has a throughput column the Benchmarks view can chart', () => {
    for (const row of result.rows) {
      expect(row['Mlook-ups/s']).toBeTypeOf('number');
      expect(row['Mlook-ups/s']).toBeGreaterThan(0);
      expect(row['ns/has']).toBeGreaterThan(0);
      expect(String(row['vs Set.has'])).toMatch(/^\d+\.\d+×$/);
    }
  });

  it('never loses a key in vigil or the Set, and the filters keep near their target FPP', () => {
    for (const row of result.rows.filter((r) => !String(r['structure']).startsWith('bloom-filters CuckooFilter'))) {
      expect(row['false negatives'], String(row['structure'])).toBe(0);
    }
    const absent = LOOKUPS / 2 + EXTRA_ABSENT;
    for (const row of vigilRows(result)) {
      const target = parsePercent(row['target FPP']);
      expect(FPPS).toContain(target);
      // Seeded data, so this is deterministic; the slack covers a handful of hits at 0.1 %.
      expect(parsePercent(row['measured FPP']), String(row['structure'])).toBeLessThanOrEqual(3 * target + 5 / absent);
      expect(row['ns/key hasMany']).toBeTypeOf('number');
    }
    for (const row of result.rows.filter((r) => String(r['structure']).startsWith('JS Set'))) {
      expect(row['measured FPP']).toBe('0%');
      expect(row['vs Set.has']).toBe('1.00×');
    }
    expect(result.notes.some((note) => note.startsWith('FALSE NEGATIVES'))).toBe(false);
  });

  it('reports memory from the filter itself, and the Set only where the runtime measures the heap', () => {
    for (const row of vigilRows(result)) {
      expect(row['MiB']).toBeTypeOf('number');
      // Cuckoo filters at these targets: 8–16-bit fingerprints at ≥ 50 % load.
      expect(row['bits/key']).toBeGreaterThan(8);
      expect(row['bits/key']).toBeLessThan(40);
    }
    const bloomRow = result.rows.find((row) => row['structure'] === 'bloom-filters BloomFilter @1%')!;
    expect(bloomRow['bits/key']).toBeTypeOf('number');
    for (const row of result.rows.filter((r) => String(r['structure']).startsWith('JS Set'))) expect(row['MiB']).toBe('n/a');
    expect(result.notes.join('\n')).toContain('JS Set: n/a');
  });

  it('repeats has() and hasMany() by set size beside the Set, with the module alone, and hasMany in small batches', async () => {
    const fresh = await freshHotPaths();
    const sized = runIocBench(fresh.hot, {
      keys: 6_000,
      lookups: 1_000,
      extraAbsent: 1_000,
      reps: 1,
      falsePositiveRates: [0.001],
      ipv4: false,
      sizes: [600, 2_000, 6_000], // 6,000 is the main section's row
      batchSizes: [1, 4, 16],
      exports: vigilExports(fresh.instance),
    });
    expect(sized.rows.map((row) => row['structure'])).toEqual([
      'vigil cuckoo @0.1%',
      'JS Set',
      'vigil cuckoo @0.1%, 600 keys',
      'JS Set, 600 keys',
      'vigil cuckoo @0.1%, 2,000 keys',
      'JS Set, 2,000 keys',
    ]);
    for (const row of sized.rows) expect(row['false negatives']).toBe(0);
    expect(sized.rows[2]!['keys']).toBe(600);
    const notes = sized.notes.join('\n');
    for (const size of ['600', '2,000', '6,000']) expect(notes).toMatch(new RegExp(`${size} keys: has \\d+ ns, hasMany [\\d.]+ ns/key, Set.has \\d+ ns \\(of which the module alone`));
    expect(notes).toMatch(/batches of n keys \(6,000 keys, FPP 0.1%\), ns per key: 1: \d+, 4: \d+, 16: \d+/);
    // The module-only filters are freed and the shared scratch buffer left alone: the IOC sets still work.
    const set = fresh.hot.iocSets.create({ capacity: 100 });
    set.add(['a', 'b']);
    expect([...set.hasMany(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b', 'c'])].slice(0, 8)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('measures the Set with a heap function when the host passes one', () => {
    let heap = 0;
    const small = runIocBench(hot, {
      keys: 2_000,
      lookups: 500,
      extraAbsent: 1_000,
      reps: 1,
      falsePositiveRates: [0.01],
      ipv4: false,
      // A stand-in heap that grows 1 MiB per reading: the Set's heap growth is then 1 MiB.
      heapUsed: () => (heap += 1_048_576),
    });
    expect(small.rows.map((row) => row['structure'])).toEqual(['vigil cuckoo @1%', 'JS Set']);
    expect(small.rows[1]!['MiB']).toBe(1);
    expect(small.notes.join('\n')).toContain('heap growth of the Set');
  });
});
