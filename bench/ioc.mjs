// IOC set benchmark: Vigil's WebAssembly cuckoo filter against a JS Set and bloom-filters 3.0.4.
//
// Run (Node ≥ 20, from the package root):
//   npm run asbuild && npx tsc -p tsconfig.build.json   # build/vigil.wasm + dist/wasm/*.js
//   node --expose-gc bench/ioc.mjs                     # full run (3M keys, ~2–3 min)
//   node --expose-gc bench/ioc.mjs --quick             # 300k keys, for a smoke test
//
// Setup (after Fan et al.'s cuckoo filter paper): 3,000,000 random 128-bit keys as 32-char hex
// strings, then 300,000 lookups, half of them present. For each target FPP we report bits/item,
// bytes, build time, lookups/s and the median (over ≥ 5 repetitions) ns per lookup, false
// negatives, and the FPP measured on the absent half plus 1,000,000 more absent keys.
// bloom-filters is pure JS and ~100× slower: it runs on 100,000 keys and 30,000 lookups.
// vigil's has() and Set.has() are timed rep by rep interleaved (pairWithSet), so machine noise
// hits both alike; a last section repeats the comparison with 3M IPv4 strings (short keys).
import { randomBytes } from 'node:crypto';
import bloom from 'bloom-filters';
import { createHotPaths } from '../dist/wasm/hotpaths.js';
import { loadVigilWasmNode } from '../dist/wasm/load-node.js';

const quick = process.argv.includes('--quick');
const N = quick ? 300_000 : 3_000_000;
const LOOKUPS = quick ? 30_000 : 300_000;
const EXTRA_ABSENT = 1_000_000;
const BF_N = 100_000;
const BF_LOOKUPS = 30_000;
const REPS = 7;
const FPPS = [0.01, 0.005, 0.001, 0.0001];

const gc = globalThis.gc ?? (() => {});
if (!globalThis.gc) console.warn('run with --expose-gc for heap measurements of Set and bloom-filters');

function hexKeys(n) {
  const bytes = randomBytes(16 * n);
  const keys = new Array(n);
  for (let i = 0; i < n; i++) keys[i] = bytes.toString('hex', 16 * i, 16 * i + 16);
  return keys;
}

// Lookups: half present (random members), half absent (fresh keys), shuffled. The lookup strings
// are new string objects (as if decoded from an event), so no structure benefits from identity,
// and they are allocated in lookup order, as a decoder produces them: allocating them first and
// shuffling afterwards would make reading each string a cache miss of its own, a cost that no
// engine pays for the field of the event it just decoded (and that hid the structures' own costs).
function lookups(members, count, makeKeys = hexKeys) {
  const absent = makeKeys(count - (count >> 1));
  const present = Array.from({ length: count >> 1 }, () => members[(Math.random() * members.length) | 0]);
  const order = [...present, ...absent];
  for (let i = order.length - 1; i > 0; i--) {
    const j = (Math.random() * (i + 1)) | 0;
    [order[i], order[j]] = [order[j], order[i]];
  }
  // Fresh flat copies (not the members' own string objects), created in lookup order.
  const all = order.map((k) => Buffer.from(k, 'latin1').toString('latin1'));
  return { all, absent, presentSet: new Set(present) };
}

/** `n` random IPv4 addresses in dotted form (7–15 chars): the other common IOC key. */
function ipv4Keys(n) {
  const bytes = randomBytes(4 * n);
  const keys = new Array(n);
  for (let i = 0; i < n; i++) keys[i] = `${bytes[4 * i]}.${bytes[4 * i + 1]}.${bytes[4 * i + 2]}.${bytes[4 * i + 3]}`;
  return keys;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const now = () => process.hrtime.bigint();
const heap = () => (gc(), gc(), process.memoryUsage().heapUsed);

// Times `fn` (one pass over `n` lookups) REPS times after a warm-up; median ns per lookup.
function timeLookups(n, fn) {
  return timeInterleaved(n, [fn])[0];
}

// Times several passes rep by rep, interleaved (A B A B …), so a noisy neighbour or a frequency
// change slows all of them alike and their ratio holds; median ns per lookup of each.
function timeInterleaved(n, fns) {
  for (const fn of fns) fn();
  const ns = fns.map(() => []);
  for (let r = 0; r < REPS; r++) {
    fns.forEach((fn, i) => {
      const t0 = now();
      fn();
      ns[i].push(Number(now() - t0) / n);
    });
  }
  return ns.map(median);
}

// Re-times vigil's has() against Set.has() interleaved, on the same lookups; returns the Set's
// row with its time from this pairing (the rows printed side by side come from the same minutes).
function pairWithSet(v, setRow, probe) {
  let sink = 0;
  const [nsV, nsSet] = timeInterleaved(probe.all.length, [
    () => {
      for (const k of probe.all) sink += v.s.has(k) ? 1 : 0;
    },
    () => {
      for (const k of probe.all) sink += setRow.s.has(k) ? 1 : 0;
    },
  ]);
  if (sink === -1) console.log(sink);
  v.nsHas = nsV;
  return { ...setRow, nsHas: nsSet };
}

function measure(name, { build, has, hasMany, bytes }, members, probe, extraAbsent) {
  const h0 = heap();
  const t0 = now();
  const s = build(members);
  const buildMs = Number(now() - t0) / 1e6;
  const byteCount = bytes ? bytes(s) : Math.max(0, heap() - h0);
  let sink = 0;
  const nsHas = timeLookups(probe.all.length, () => {
    for (const k of probe.all) sink += has(s, k) ? 1 : 0;
  });
  const nsMany = hasMany ? timeLookups(probe.all.length, () => (sink += hasMany(s, probe.all)[0])) : NaN;
  let fn = 0;
  for (const k of probe.presentSet) if (!has(s, k)) fn++;
  let fp = 0;
  const absent = extraAbsent ? [...probe.absent, ...extraAbsent] : probe.absent;
  if (hasMany) {
    const bits = hasMany(s, absent);
    for (const b of bits) fp += b;
  } else for (const k of absent) fp += has(s, k) ? 1 : 0;
  if (sink === -1) console.log(sink);
  return { name, n: members.length, bytes: byteCount, bitsPerItem: (byteCount * 8) / members.length, buildMs, nsHas, nsMany, fn, fpp: fp / absent.length, s };
}

const hot = createHotPaths(await loadVigilWasmNode());
console.log(`keys: ${N.toLocaleString()} random 128-bit hex strings; lookups: ${LOOKUPS.toLocaleString()} (half present); ${REPS} repetitions, medians`);
console.log(`bloom-filters 3.0.4 runs on ${BF_N.toLocaleString()} keys / ${BF_LOOKUPS.toLocaleString()} lookups (pure JS, too slow for 3M)\n`);

const members = hexKeys(N);
const probe = lookups(members, LOOKUPS);
const extra = hexKeys(EXTRA_ABSENT);
const bfMembers = members.slice(0, BF_N);
const bfProbe = lookups(bfMembers, BF_LOOKUPS);

const vigil = (fpp) => ({
  build: (keys) => {
    const set = hot.iocSets.create({ capacity: keys.length, falsePositiveRate: fpp });
    set.add(keys);
    return set;
  },
  has: (s, k) => s.has(k),
  hasMany: (s, ks) => s.hasMany(ks),
  bytes: (s) => s.byteSize,
});
const jsSet = { build: (keys) => new Set(keys), has: (s, k) => s.has(k) };
// Bloom: its bit array (Uint8Array-backed); heap deltas of ~100 kB drown in GC noise.
const bloomOf = (fpp) => ({ build: (keys) => bloom.BloomFilter.from(keys, fpp), has: (s, k) => s.has(k), bytes: (s) => Math.ceil(s.size / 8) });
const cuckooOf = (fpp) => ({ build: (keys) => bloom.CuckooFilter.from(keys, fpp), has: (s, k) => s.has(k) });

// The Sets stay alive: each FPP section re-times them interleaved with vigil (pairWithSet).
const setBig = measure('JS Set', jsSet, members, probe, null);
const setSmallBig = measure('JS Set', jsSet, bfMembers, bfProbe, null);
gc();

const rows = [];
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const pct = (x) => (x * 100).toFixed(4) + '%';
const line = (r, base) =>
  [
    r.name.padEnd(26),
    String(r.n).padStart(9),
    fmt(r.bitsPerItem, 2).padStart(9),
    (r.bytes / 1048576).toFixed(2).padStart(9),
    fmt(r.buildMs, 0).padStart(9),
    ((1e9 / r.nsHas) / 1e6).toFixed(2).padStart(8),
    fmt(r.nsHas).padStart(9),
    fmt(r.nsMany).padStart(9),
    String(r.fn).padStart(4),
    pct(r.fpp).padStart(10),
    (base ? `${fmt(base.nsHas / r.nsHas, 2)}×` : '').padStart(9),
  ].join(' ');
const header = [
  'structure'.padEnd(26), 'keys'.padStart(9), 'bits/key'.padStart(9), 'MiB'.padStart(9), 'build ms'.padStart(9),
  'Mlook/s'.padStart(8), 'ns/has'.padStart(9), 'ns/many'.padStart(9), 'FN'.padStart(4), 'FPP'.padStart(10), 'vs Set'.padStart(9),
].join(' ');

for (const fpp of FPPS) {
  const v = measure(`vigil cuckoo @${fpp}`, vigil(fpp), members, probe, extra);
  const bits = v.s.fingerprintBits;
  const set = pairWithSet(v, setBig, probe);
  v.s.dispose();
  const vSmall = measure(`vigil cuckoo @${fpp}`, vigil(fpp), bfMembers, bfProbe, extra);
  const setSmall = pairWithSet(vSmall, setSmallBig, bfProbe);
  vSmall.s.dispose();
  const bf = measure(`bloom-filters Bloom @${fpp}`, bloomOf(fpp), bfMembers, bfProbe, null);
  const cf = measure(`bloom-filters Cuckoo @${fpp}`, cuckooOf(fpp), bfMembers, bfProbe, null);
  bf.s = cf.s = null;
  console.log(`target FPP ${fpp} (vigil: ${bits}-bit fingerprints)`);
  console.log(header);
  console.log(line(v, set));
  console.log(line(set, set));
  console.log(line(vSmall, setSmall));
  console.log(line(setSmall, setSmall));
  console.log(line(bf, setSmall));
  console.log(line(cf, setSmall));
  console.log(
    `  ratios: vigil has vs Set.has ${fmt(set.nsHas / v.nsHas, 2)}× faster (${N.toLocaleString()} keys); ` +
      `vs bloom-filters Bloom ${fmt(bf.nsHas / vSmall.nsHas, 0)}×, Cuckoo ${fmt(cf.nsHas / vSmall.nsHas, 0)}× (${BF_N.toLocaleString()} keys); ` +
      `memory vs Set ${fmt(set.bytes / v.bytes, 1)}× smaller\n`,
  );
  rows.push({ fpp, v, bf, cf });
}
// IPv4 keys (dotted strings, ≤ 15 chars: has() copies them with its ASCII loop, not encodeInto).
{
  const ipMembers = ipv4Keys(N);
  // 3M of 2^32 addresses: a random "absent" address is a member 0.07% of the time, as often as a
  // false positive. Absent probes are drawn outside the members.
  let memberSet = new Set(ipMembers);
  const absentIps = (n) => ipv4Keys(2 * n).filter((k) => !memberSet.has(k)).slice(0, n);
  const ipProbe = lookups(ipMembers, LOOKUPS, absentIps);
  const ipExtra = absentIps(EXTRA_ABSENT);
  memberSet = null;
  gc();
  const ipSetRow = measure('JS Set (IPv4)', jsSet, ipMembers, ipProbe, null);
  const v = measure('vigil cuckoo @0.001 (IPv4)', vigil(0.001), ipMembers, ipProbe, ipExtra);
  const ipSet = pairWithSet(v, ipSetRow, ipProbe);
  v.s.dispose();
  ipSetRow.s = null;
  console.log(`IPv4 keys: ${N.toLocaleString()} random dotted addresses`);
  console.log(header);
  console.log(line(v, ipSet));
  console.log(line(ipSet, ipSet));
  console.log(`  ratios: vigil has vs Set.has ${fmt(ipSet.nsHas / v.nsHas, 2)}× faster; memory vs Set ${fmt(ipSet.bytes / v.bytes, 1)}× smaller\n`);
}

console.log('issue target: median has ≤ 100 ns at 3M keys and ≥ 3× Set.has; bits/key ≤ 13 at ≤ 0.2% FPP; no false negatives.');
console.log('ns/has: one has() per key; ns/many: hasMany() over the whole lookup array, per key.');
console.log('bloom-filters Bloom memory: its bit array; Cuckoo and Set: heap growth.');
console.log('Set memory: heap growth of the Set itself (the key strings, ~48 B each, are not counted).');
