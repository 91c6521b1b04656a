/**
 * IOC set benchmark: Vigil's WebAssembly cuckoo filter against a JavaScript `Set` and, when the
 * host passes them in, other approximate sets (the Node driver passes bloom-filters 3.0.4).
 *
 * Setup (after Fan et al.'s cuckoo filter paper): `keys` random 128-bit keys as 32-char hex
 * strings, then `lookups` look-ups, half of them present. For each target FPP: bits per key, MiB,
 * build time, ns per `has` and per key with `hasMany`, false negatives over every key, and the
 * FPP measured on the absent look-ups plus `extraAbsent` more absent keys. Vigil's `has` and
 * `Set.has` are timed rep by rep interleaved on the same look-ups (see `timeInterleaved`). The
 * peers are much slower (pure JavaScript): they run on `peerKeys` keys and `peerLookups` look-ups,
 * beside a Vigil filter and a Set of the same keys. A last section repeats Vigil against the Set
 * with IPv4 strings (short keys, copied into WebAssembly memory by a different path).
 * Optional sections (the Node driver turns them on): has() and hasMany() by set size beside the
 * Set, split into JavaScript and the module's own time (`exports`: the module alone on keys already
 * in its memory), and hasMany in small batches, as the engine's IOC stage makes them.
 * Memory: the filter's own byteSize; for the Set (and peers that cannot tell their size) only
 * when the host passes `heapUsed` (Node with --expose-gc), else n/a.
 */
import type { IocSet } from '../engine/ports.js';
import type { VigilExports } from '../wasm/exports.js';
import type { HotPaths } from '../wasm/hotpaths.js';
import { median, now, seededRandom, type BenchResult, type Progress } from './common.js';

/** What the benchmark needs of a peer's filter. */
export interface PeerFilter {
  has(key: string): boolean;
}

/** Another approximate set to compare with, built from the keys at a target FPP. */
export interface IocPeer {
  name: string;
  build(keys: string[], falsePositiveRate: number): PeerFilter;
  /** Bytes the filter holds, when it can tell; otherwise its heap growth, where measurable. */
  bytes?(filter: PeerFilter): number;
}

/** The two classes of bloom-filters this benchmark uses, as the host loaded them. */
export interface BloomFiltersClasses {
  BloomFilter: { from(keys: Iterable<string>, errorRate: number): PeerFilter & { size: number } };
  CuckooFilter: { from(keys: Iterable<string>, errorRate: number): PeerFilter };
}

/** bloom-filters' BloomFilter and CuckooFilter as peers (the host imports the package, not this module). */
export function bloomFiltersPeers({ BloomFilter, CuckooFilter }: BloomFiltersClasses): IocPeer[] {
  return [
    // Its bit array: heap growth of ~100 kB drowns in GC noise.
    { name: 'bloom-filters BloomFilter', build: (keys, fpp) => BloomFilter.from(keys, fpp), bytes: (filter) => Math.ceil((filter as PeerFilter & { size: number }).size / 8) },
    { name: 'bloom-filters CuckooFilter', build: (keys, fpp) => CuckooFilter.from(keys, fpp) },
  ];
}

export interface IocBenchOptions {
  keys?: number;
  lookups?: number;
  /** Absent keys beyond the look-ups, for measuring the FPP of Vigil's filters. */
  extraAbsent?: number;
  reps?: number;
  falsePositiveRates?: number[];
  peers?: IocPeer[];
  peerKeys?: number;
  peerLookups?: number;
  /** The IPv4 section (Vigil and Set only, at the target FPP 0.1 %). */
  ipv4?: boolean;
  /**
   * Set sizes below `keys` to repeat Vigil's has() and hasMany() and the Set's has at (FPP 0.1 %,
   * the first `size` keys, their own look-ups): how the figures change as the table outgrows the
   * caches. The `keys` row of this curve is the main section's 0.1 % row. Default: none.
   */
  sizes?: number[];
  /** hasMany in batches of these many keys, at `keys` keys and FPP 0.1 % (ns per key, in the notes). Default: none. */
  batchSizes?: number[];
  /**
   * The module's raw exports, when the host has them: each size then also times the module alone
   * (keys already UTF-8 in its memory: XXH64 and the look-up, no string crossing), which splits
   * has() and hasMany() into JavaScript and WebAssembly time.
   */
  exports?: VigilExports;
  /**
   * The clock of every timing, in ms (default: wall time, `performance.now`). The Node driver's
   * `--cpu-time` passes the process's CPU time: on a shared machine a wall clock also counts the
   * time other processes held the core.
   */
  clock?: () => number;
  /** Heap bytes in use after a full collection, when the runtime can tell (Node with --expose-gc). */
  heapUsed?: () => number;
  progress?: Progress;
}

const HEX = '0123456789abcdef';

/** `n` random 128-bit keys as 32 hex chars, built from char codes so each is one flat string. */
function hexKeys(random: () => number, n: number): string[] {
  const codes = new Array<number>(32);
  const keys = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    for (let w = 0; w < 4; w++) {
      const word = (random() * 4294967296) >>> 0;
      for (let d = 0; d < 8; d++) codes[w * 8 + d] = HEX.charCodeAt((word >>> (28 - 4 * d)) & 15);
    }
    keys[i] = String.fromCharCode(...codes);
  }
  return keys;
}

/** `n` random IPv4 addresses in dotted form (7–15 chars): the other common IOC key. */
function ipv4Keys(random: () => number, n: number): string[] {
  const keys = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const word = (random() * 4294967296) >>> 0;
    keys[i] = `${word >>> 24}.${(word >>> 16) & 255}.${(word >>> 8) & 255}.${word & 255}`;
  }
  return keys;
}

/** A new string object with the same characters (not the member's own), flat, as a decoder makes one. */
function freshCopy(key: string): string {
  const codes = new Array<number>(key.length);
  for (let i = 0; i < key.length; i++) codes[i] = key.charCodeAt(i);
  return String.fromCharCode(...codes);
}

interface Probe {
  /** Look-ups in order: fresh strings, half of them members. */
  all: string[];
  absent: string[];
}

// Look-ups: half present (random members), half absent, shuffled. They are fresh strings, so no
// structure benefits from identity, allocated in look-up order as a decoder produces them:
// allocating first and shuffling afterwards would make reading each string a cache miss of its own,
// a cost no engine pays for the field of the event it just decoded.
function makeProbe(random: () => number, members: string[], count: number, absent: string[]): Probe {
  const present = Array.from({ length: count - absent.length }, () => members[(random() * members.length) | 0]!);
  const order = [...present, ...absent];
  for (let i = order.length - 1; i > 0; i--) {
    const j = (random() * (i + 1)) | 0;
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return { all: order.map(freshCopy), absent };
}

/** One pass over the look-ups; returns how many were (possibly) present, so it cannot be elided. */
type Pass = () => number;

/**
 * Times the passes rep by rep, interleaved (A B A B …), after one warm-up each, so a noisy
 * neighbour or a frequency change slows all of them alike and their ratio holds. Median ns per
 * look-up of each.
 */
function timeInterleaved(lookups: number, reps: number, passes: Pass[], clock: () => number): number[] {
  let hits = 0;
  for (const pass of passes) hits += pass();
  const samples = passes.map(() => [] as number[]);
  for (let r = 0; r < reps; r++) {
    passes.forEach((pass, i) => {
      const t0 = clock();
      hits += pass();
      samples[i]!.push(((clock() - t0) * 1e6) / lookups);
    });
  }
  return hits < 0 ? [] : samples.map(median);
}

const hasPass = (filter: PeerFilter, probe: Probe): Pass => () => {
  let hits = 0;
  for (const key of probe.all) if (filter.has(key)) hits++;
  return hits;
};

function countMissing(filter: PeerFilter, members: readonly string[]): number {
  let missing = 0;
  for (const key of members) if (!filter.has(key)) missing++;
  return missing;
}

function countOnes(bits: Uint8Array): number {
  let ones = 0;
  for (const bit of bits) ones += bit;
  return ones;
}

/** One structure's figures on one key set. */
interface Row {
  structure: string;
  keys: number;
  targetFpp: number | undefined;
  bytes: number;
  buildMs: number;
  nsHas: number;
  nsHasMany: number;
  falseNegatives: number;
  measuredFpp: number;
  /** ns per has of the Set on the same keys, timed beside this row where possible. */
  setNsHas: number;
  /** Vigil's fingerprint size, chosen from the target FPP. */
  fingerprintBits?: number;
}

const percent = (x: number) => `${Number((x * 100).toPrecision(3))}%`;
/** A ratio as `1.76×`; a small one with its significant digits (`0.0044×`, not `0.00×`). */
const times = (x: number) => `${x >= 0.1 ? x.toFixed(2) : x.toPrecision(2)}×`;

export function runIocBench(hot: HotPaths, options: IocBenchOptions = {}): BenchResult {
  const N = options.keys ?? 3_000_000;
  const LOOKUPS = options.lookups ?? 300_000;
  const EXTRA_ABSENT = options.extraAbsent ?? 1_000_000;
  const REPS = Math.max(1, options.reps ?? 7);
  const FPPS = options.falsePositiveRates ?? [0.01, 0.005, 0.001, 0.0001];
  const peers = options.peers ?? [];
  const PEER_N = Math.min(N, options.peerKeys ?? 100_000);
  const PEER_LOOKUPS = options.peerLookups ?? 30_000;
  const heapUsed = options.heapUsed;
  const clock = options.clock ?? now;
  const progress = options.progress ?? (() => {});
  const random = seededRandom(128);

  /** Builds with its build time and its memory: `bytes(built)` when given, else heap growth if measurable. */
  function build<S>(make: () => S, bytes?: (built: S) => number) {
    const heapBefore = !bytes && heapUsed ? heapUsed() : 0;
    const t0 = clock();
    const built = make();
    const buildMs = clock() - t0;
    return { built, buildMs, bytes: bytes ? bytes(built) : heapUsed ? Math.max(0, heapUsed() - heapBefore) : NaN };
  }

  function buildVigil(members: string[], fpp: number) {
    return build(
      () => {
        const set = hot.iocSets.create({ capacity: members.length, falsePositiveRate: fpp });
        set.add(members);
        return set;
      },
      (set) => set.byteSize,
    );
  }

  /** Vigil's row: its has() timed interleaved with the Set's on the same look-ups; `extra` runs while the filter exists. */
  function vigilRow(structure: string, fpp: number, members: string[], probe: Probe, extraAbsent: string[], set: Set<string>, extra?: (filter: IocSet) => void): Row {
    const { built: filter, buildMs, bytes } = buildVigil(members, fpp);
    try {
      const [nsHas, setNsHas] = timeInterleaved(probe.all.length, REPS, [hasPass(filter, probe), hasPass(set, probe)], clock) as [number, number];
      const [nsHasMany] = timeInterleaved(probe.all.length, REPS, [() => filter.hasMany(probe.all)[0]!], clock) as [number];
      extra?.(filter);
      const absentHits = countOnes(filter.hasMany(probe.absent)) + countOnes(filter.hasMany(extraAbsent));
      return {
        structure,
        keys: members.length,
        targetFpp: fpp,
        bytes,
        buildMs,
        nsHas,
        nsHasMany,
        falseNegatives: countMissing(filter, members),
        measuredFpp: absentHits / (probe.absent.length + extraAbsent.length),
        setNsHas,
        // Not on the IocSet interface: the WebAssembly set's own detail.
        fingerprintBits: (filter as IocSet & { fingerprintBits?: number }).fingerprintBits,
      };
    } finally {
      filter.dispose();
    }
  }

  function peerRow(peer: IocPeer, fpp: number, members: string[], probe: Probe, setNsHas: number): Row {
    const { built: filter, buildMs, bytes } = build(() => peer.build(members, fpp), peer.bytes);
    const [nsHas] = timeInterleaved(probe.all.length, REPS, [hasPass(filter, probe)], clock) as [number];
    let absentHits = 0;
    for (const key of probe.absent) if (filter.has(key)) absentHits++;
    return {
      structure: `${peer.name} @${percent(fpp)}`,
      keys: members.length,
      targetFpp: fpp,
      bytes,
      buildMs,
      nsHas,
      nsHasMany: NaN,
      falseNegatives: countMissing(filter, members),
      measuredFpp: absentHits / probe.absent.length,
      setNsHas,
    };
  }

  /** The Set's row; its ns per has is the median of its timings beside Vigil's filters. */
  function setRow(structure: string, set: { buildMs: number; bytes: number; built: Set<string> }, members: string[], probe: Probe, pairedNs: number[]): Row {
    const nsHas = median(pairedNs);
    let absentHits = 0;
    for (const key of probe.absent) if (set.built.has(key)) absentHits++;
    return {
      structure,
      keys: members.length,
      targetFpp: undefined,
      bytes: set.bytes,
      buildMs: set.buildMs,
      nsHas,
      nsHasMany: NaN,
      falseNegatives: countMissing(set.built, members),
      measuredFpp: absentHits / probe.absent.length,
      setNsHas: nsHas,
    };
  }

  progress(`generating ${N.toLocaleString('en-US')} keys and ${LOOKUPS.toLocaleString('en-US')} look-ups`);
  const members = hexKeys(random, N);
  const probe = makeProbe(random, members, LOOKUPS, hexKeys(random, LOOKUPS >> 1));
  const extraAbsent = hexKeys(random, EXTRA_ABSENT);
  const peerMembers = members.slice(0, PEER_N);
  const peerProbe = peers.length ? makeProbe(random, peerMembers, PEER_LOOKUPS, hexKeys(random, PEER_LOOKUPS >> 1)) : undefined;

  // JIT warm-up on a throwaway set: V8 optimizes hasMany's chunk loop only after several calls
  // (on-stack replacement first, then deopts where the loop's tail had no feedback yet), so the
  // first row's hasMany used to be timed half cold (2× the other rows).
  {
    const warm = hot.iocSets.create({ capacity: 20_000, falsePositiveRate: 0.01 });
    const warmKeys = members.slice(0, 20_000);
    warm.add(warmKeys);
    let hits = 0;
    for (let r = 0; r < 10; r++) {
      hits += countOnes(warm.hasMany(probe.all.slice(0, 20_000)));
      for (const key of probe.all.slice(0, 2000)) if (warm.has(key)) hits++;
    }
    warm.dispose();
    if (hits < 0) throw new Error('unreachable');
  }

  const rows: Row[] = [];
  const peerRows: Row[] = [];
  const ipRows: Row[] = [];
  const fingerprintBits: string[] = [];
  const set = build(() => new Set(members));
  const setPairedNs: number[] = [];
  const batchNs: string[] = [];
  const BATCHES = options.batchSizes ?? [];
  /** hasMany over the look-ups cut into batches of `size` keys, ns per key. */
  const batchPasses = (filter: IocSet) => {
    for (const size of BATCHES) {
      const batches: string[][] = [];
      for (let i = 0; i + size <= probe.all.length; i += size) batches.push(probe.all.slice(i, i + size));
      const keys = batches.length * size;
      const [ns] = timeInterleaved(keys, REPS, [() => batches.reduce((hits, batch) => hits + filter.hasMany(batch)[0]!, 0)], clock) as [number];
      batchNs.push(`${size}: ${ns.toFixed(0)}`);
    }
  };
  for (const fpp of FPPS) {
    progress(`target FPP ${percent(fpp)}: vigil and Set.has on ${N.toLocaleString('en-US')} keys`);
    const row = vigilRow(`vigil cuckoo @${percent(fpp)}`, fpp, members, probe, extraAbsent, set.built, fpp === 0.001 ? batchPasses : undefined);
    rows.push(row);
    setPairedNs.push(row.setNsHas);
    if (row.fingerprintBits !== undefined) fingerprintBits.push(`${percent(fpp)} → ${row.fingerprintBits}`);
  }
  rows.push(setRow('JS Set', set, members, probe, setPairedNs));
  set.built.clear(); // its figures are taken; the IPv4 section needs the room

  // has() and hasMany() against the set's size, beside the Set of the same keys (FPP 0.1 %).
  const sizeRows: Row[] = [];
  const sizeNotes: string[] = [];
  const ex = options.exports;
  const curve = (options.sizes ?? []).filter((size) => size < N).sort((a, b) => a - b);
  for (const size of curve) {
    progress(`set size ${size.toLocaleString('en-US')}: vigil and Set.has at FPP 0.1%`);
    const sized = members.slice(0, size);
    const sizedProbe = makeProbe(random, sized, LOOKUPS, probe.absent);
    const sizedSet = build(() => new Set(sized));
    const label = `${size.toLocaleString('en-US')} keys`;
    const row = vigilRow(`vigil cuckoo @0.1%, ${label}`, 0.001, sized, sizedProbe, [], sizedSet.built);
    sizeRows.push(row, setRow(`JS Set, ${label}`, sizedSet, sized, sizedProbe, [row.setNsHas]));
    sizedSet.built.clear();
    sizeNotes.push(`${label}: has ${row.nsHas.toFixed(0)} ns, hasMany ${row.nsHasMany.toFixed(1)} ns/key, Set.has ${row.setNsHas.toFixed(0)} ns` + (ex ? moduleOnly(ex, sized, sizedProbe) : ''));
  }
  if (ex && curve.length) {
    const main = rows.find((r) => r.targetFpp === 0.001);
    if (main) sizeNotes.push(`${N.toLocaleString('en-US')} keys: has ${main.nsHas.toFixed(0)} ns, hasMany ${main.nsHasMany.toFixed(1)} ns/key, Set.has ${main.setNsHas.toFixed(0)} ns` + moduleOnly(ex, members, probe));
  }

  /**
   * The module alone on a filter of the same keys: the look-ups are UTF-8 in its memory before the
   * clock starts, so only XXH64 and the table reads are timed (cuckoo_has per key, one
   * cuckoo_has_many). What has() and hasMany() cost beyond these is JavaScript and the crossing.
   */
  function moduleOnly(ex: VigilExports, keys: string[], look: Probe): string {
    // Buffers of the module's own allocator, pinned while used: the shared scratch buffer must not
    // be resized behind the IOC sets' backs (they keep its address).
    const rt = ex as unknown as { __new(size: number, id: number): number; __pin(ptr: number): number; __unpin(ptr: number): void };
    const ARRAY_BUFFER_ID = 1;
    const alloc = (bytes: number) => rt.__pin(rt.__new(bytes, ARRAY_BUFFER_ID)) >>> 0;
    const encoder = new TextEncoder();
    const chunk = 4096;
    const handle = ex.cuckoo_new(keys.length, 0.001) >>> 0;
    const pinned: number[] = [];
    try {
      // Members, chunk by chunk, in byte mode (each key's UTF-8 length).
      for (let i = 0; i < keys.length; i += chunk) {
        const part = keys.slice(i, i + chunk).map((k) => encoder.encode(k));
        const bytes = part.reduce((n, b) => n + b.length, 0);
        const at = alloc(part.length * 4 + bytes);
        const u32 = new Uint32Array(ex.memory.buffer, at, part.length);
        const u8 = new Uint8Array(ex.memory.buffer, at + part.length * 4, bytes);
        let off = 0;
        part.forEach((b, q) => {
          u32[q] = b.length;
          u8.set(b, off);
          off += b.length;
        });
        ex.cuckoo_add(handle, at + part.length * 4, at, part.length, 0);
        rt.__unpin(at);
      }
      // The look-ups: n u32 lengths | n result bytes (padded to 4) | UTF-8 data.
      const encoded = look.all.map((k) => encoder.encode(k));
      const n = encoded.length;
      const dataOff = n * 4 + ((n + 3) & ~3);
      const at = alloc(dataOff + encoded.reduce((t, b) => t + b.length, 0));
      pinned.push(at);
      const u32 = new Uint32Array(ex.memory.buffer, at, n);
      const u8 = new Uint8Array(ex.memory.buffer);
      const starts = new Uint32Array(n);
      let off = at + dataOff;
      encoded.forEach((b, q) => {
        u32[q] = b.length;
        starts[q] = off;
        u8.set(b, off);
        off += b.length;
      });
      const lens = Array.from(u32);
      const has = ex.cuckoo_has;
      const [nsHas, nsMany] = timeInterleaved(
        n,
        REPS,
        [
          () => {
            let hits = 0;
            for (let q = 0; q < n; q++) hits += has(handle, starts[q]!, lens[q]!);
            return hits;
          },
          () => ex.cuckoo_has_many(handle, at + dataOff, at, n, 0, at + n * 4),
        ],
        clock,
      ) as [number, number];
      return ` (of which the module alone, keys already in its memory: ${nsHas.toFixed(0)} and ${nsMany.toFixed(1)})`;
    } finally {
      for (const at of pinned) rt.__unpin(at);
      ex.cuckoo_free(handle);
    }
  }

  if (peerProbe) {
    // Tells these rows from the main section's in a chart, which shows the labels only.
    const peerSection = ` (${PEER_N.toLocaleString('en-US')} keys)`;
    const peerSet = build(() => new Set(peerMembers));
    const peerSetPairedNs: number[] = [];
    for (const fpp of FPPS) {
      progress(`target FPP ${percent(fpp)}: ${peers.map((p) => p.name).join(', ')} on ${PEER_N.toLocaleString('en-US')} keys`);
      const row = vigilRow(`vigil cuckoo @${percent(fpp)}${peerSection}`, fpp, peerMembers, peerProbe, extraAbsent, peerSet.built);
      peerRows.push(row);
      peerSetPairedNs.push(row.setNsHas);
      for (const peer of peers) peerRows.push(peerRow(peer, fpp, peerMembers, peerProbe, row.setNsHas));
    }
    peerRows.push(setRow(`JS Set${peerSection}`, peerSet, peerMembers, peerProbe, peerSetPairedNs));
  }

  if (options.ipv4 ?? true) {
    progress(`IPv4 keys: vigil and Set.has on ${N.toLocaleString('en-US')} addresses`);
    const ipMembers = ipv4Keys(random, N);
    // N of 2^32 addresses: a random "absent" address would be a member about as often as a false
    // positive, so absent ones are drawn outside the members.
    const memberSet = new Set(ipMembers);
    const absentIps = (n: number) => {
      const out: string[] = [];
      while (out.length < n) for (const ip of ipv4Keys(random, n - out.length)) if (!memberSet.has(ip)) out.push(ip);
      return out;
    };
    const ipProbe = makeProbe(random, ipMembers, LOOKUPS, absentIps(LOOKUPS >> 1));
    const ipExtra = absentIps(EXTRA_ABSENT);
    memberSet.clear();
    const ipSet = build(() => new Set(ipMembers));
    const row = vigilRow(`vigil cuckoo @${percent(0.001)} (IPv4)`, 0.001, ipMembers, ipProbe, ipExtra, ipSet.built);
    ipRows.push(row, setRow('JS Set (IPv4)', ipSet, ipMembers, ipProbe, [row.setNsHas]));
  }

  const allRows = [...rows, ...sizeRows, ...peerRows, ...ipRows];
  const lost = allRows.filter((r) => r.structure.startsWith('vigil') && r.falseNegatives > 0);
  const hexVigil = rows.filter((r) => r.structure.startsWith('vigil'));
  const range = (xs: number[], digits: number) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
  const notes = [
    `${N.toLocaleString('en-US')} random 128-bit hex keys; ${LOOKUPS.toLocaleString('en-US')} look-ups (half present, fresh strings in look-up order); medians of ${REPS} reps${options.clock ? ' (process CPU time)' : ''}; vigil's measured FPP over ${(LOOKUPS - (LOOKUPS >> 1) + EXTRA_ABSENT).toLocaleString('en-US')} absent keys.`,
    "ns/has: one has() per key, timed interleaved with Set.has on the same look-ups; vs Set.has = the Set's ns ÷ this row's (same keys). ns/key hasMany: one hasMany() over all the look-ups.",
    `vigil has vs Set.has: ${range(hexVigil.map((r) => r.setNsHas / r.nsHas), 2)}× (above 1: vigil faster; ${N.toLocaleString('en-US')} keys)` +
      (Number.isFinite(set.bytes) ? `; memory ${range(hexVigil.map((r) => set.bytes / r.bytes), 1)}× smaller than the Set.` : '.'),
    Number.isFinite(set.bytes)
      ? 'MiB: vigil = the filter’s byteSize; JS Set = heap growth of the Set itself (the key strings, ~48 B each, not counted).'
      : 'MiB: vigil = the filter’s byteSize; JS Set: n/a (this runtime does not report its heap).',
  ];
  if (fingerprintBits.length) notes.push(`vigil fingerprint bits per target FPP: ${fingerprintBits.join(', ')}.`);
  if (peers.length) {
    notes.push(
      `${peers.map((p) => p.name).join(' and ')}: pure JavaScript, on ${PEER_N.toLocaleString('en-US')} keys and ${PEER_LOOKUPS.toLocaleString('en-US')} look-ups (measured FPP over the absent look-ups), beside vigil and a Set of the same keys.`,
    );
    for (const fpp of FPPS) {
      const vigil = peerRows.find((r) => r.structure.startsWith('vigil') && r.targetFpp === fpp)!;
      const others = peerRows.filter((r) => !r.structure.startsWith('vigil') && r.targetFpp === fpp);
      notes.push(`@${percent(fpp)}: vigil's has ${others.map((r) => `${(r.nsHas / vigil.nsHas).toFixed(0)}× as fast as ${r.structure.replace(/ @.*/, '')}'s`).join(', ')}.`);
    }
  }
  if (sizeNotes.length) {
    notes.push('By set size (FPP 0.1%, medians, each size with its own look-ups):');
    for (const note of sizeNotes) notes.push(`  ${note}.`);
  }
  if (batchNs.length) notes.push(`hasMany in batches of n keys (${N.toLocaleString('en-US')} keys, FPP 0.1%), ns per key: ${batchNs.join(', ')} (below 4 keys hasMany asks has() per key).`);
  notes.push('Targets: has ≤ 100 ns and ≥ 3× Set.has at 3M keys; hasMany ≤ 40 ns per key; bits/key ≤ 13 at ≤ 0.2% FPP; no false negatives.');
  if (lost.length) notes.push(`FALSE NEGATIVES: ${lost.map((r) => `${r.structure} (${r.keys} keys) lost ${r.falseNegatives}`).join('; ')}`);

  const cells = (r: Row): Record<string, string | number> => ({
    structure: r.structure,
    keys: r.keys,
    'target FPP': r.targetFpp === undefined ? '–' : percent(r.targetFpp),
    'bits/key': Number.isFinite(r.bytes) ? Number(((r.bytes * 8) / r.keys).toFixed(2)) : 'n/a',
    MiB: Number.isFinite(r.bytes) ? Number((r.bytes / 1048576).toFixed(2)) : 'n/a',
    'build ms': Math.round(r.buildMs),
    'Mlook-ups/s': Number((1e3 / r.nsHas).toFixed(2)),
    'ns/has': Number(r.nsHas.toFixed(1)),
    'ns/key hasMany': Number.isFinite(r.nsHasMany) ? Number(r.nsHasMany.toFixed(1)) : '–',
    'false negatives': r.falseNegatives,
    'measured FPP': percent(r.measuredFpp),
    'vs Set.has': times(r.setNsHas / r.nsHas),
  });
  return {
    columns: ['structure', 'keys', 'target FPP', 'bits/key', 'MiB', 'build ms', 'Mlook-ups/s', 'ns/has', 'ns/key hasMany', 'false negatives', 'measured FPP', 'vs Set.has'],
    rows: allRows.map(cells),
    notes,
  };
}
