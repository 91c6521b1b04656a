// Where an IOC look-up's time goes, by set size: the key's trip into WebAssembly memory, the call,
// XXH64, the table's reads. Every step is timed alone, rep by rep interleaved with the others,
// over the same 300,000 look-ups (32-character hex keys, half present, fresh strings), FPP 0.1 %.
//
//   npm run build:ts && node bench/ioc-breakdown.mjs [--sizes=300000,3000000] [--reps=9] [--wall]
//
// Times are the process's CPU time (user + system) unless --wall: on a shared machine the wall
// clock also counts the time other processes held the core. Memory stalls count either way, and
// a neighbour's cache traffic makes the large sizes swing: compare rows of one run, repeat runs.
import { loadavg } from 'node:os';
import { createHotPaths } from '../dist/wasm/hotpaths.js';
import { loadVigilWasmNode } from '../dist/wasm/load-node.js';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const sizes = (args.sizes ?? '300000,3000000').split(',').map(Number);
const REPS = Number(args.reps ?? 9);
const LOOKUPS = 300_000;
const clock = args.wall
  ? () => performance.now()
  : () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };

const instance = await loadVigilWasmNode();
const ex = instance.exports;
const hot = createHotPaths(instance);

let state = 2026;
const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
const HEX = '0123456789abcdef';
function hexKeys(n) {
  const out = new Array(n);
  const codes = new Array(32);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 32; j++) codes[j] = HEX.charCodeAt((random() * 16) | 0);
    out[i] = String.fromCharCode(...codes);
  }
  return out;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
/** Median ns per look-up of each pass, passes interleaved rep by rep after one warm-up each. */
function time(passes) {
  for (const pass of Object.values(passes)) pass();
  const samples = Object.fromEntries(Object.keys(passes).map((k) => [k, []]));
  for (let r = 0; r < REPS; r++) {
    for (const [name, pass] of Object.entries(passes)) {
      const t0 = clock();
      pass();
      samples[name].push(((clock() - t0) * 1e6) / LOOKUPS);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}
// Module buffers from its own allocator, pinned while used.
const alloc = (bytes) => ex.__pin(ex.__new(bytes, 1)) >>> 0;
const encoder = new TextEncoder();

const all = hexKeys(Math.max(...sizes));
for (const N of sizes) {
  const members = all.slice(0, N);
  const look = [...Array.from({ length: LOOKUPS / 2 }, () => members[(random() * N) | 0]), ...hexKeys(LOOKUPS / 2)];
  for (let i = look.length - 1; i > 0; i--) {
    const j = (random() * (i + 1)) | 0;
    [look[i], look[j]] = [look[j], look[i]];
  }
  const fresh = look.map((k) => String.fromCharCode(...Array.from(k, (c) => c.charCodeAt(0))));
  const set = hot.iocSets.create({ capacity: N, falsePositiveRate: 0.001 });
  set.add(members);
  // The same keys in an unkeyed filter of the module alone, and the look-ups as UTF-8 in memory.
  const handle = ex.cuckoo_new(N, 0.001) >>> 0;
  for (let i = 0; i < N; i += 4096) {
    const part = members.slice(i, i + 4096);
    const at = alloc(part.length * 36);
    const lens = new Uint32Array(ex.memory.buffer, at, part.length);
    const bytes = new Uint8Array(ex.memory.buffer, at + part.length * 4);
    part.forEach((k, q) => {
      lens[q] = 32;
      encoder.encodeInto(k, bytes.subarray(q * 32));
    });
    ex.cuckoo_add(handle, at + part.length * 4, at, part.length, 0);
    ex.__unpin(at);
  }
  const n = LOOKUPS;
  const at = alloc(n * 4 + n + n * 32);
  const lensAt = at;
  const outAt = at + n * 4;
  const dataAt = outAt + n;
  {
    const lens = new Uint32Array(ex.memory.buffer, lensAt, n);
    const bytes = new Uint8Array(ex.memory.buffer);
    fresh.forEach((k, q) => {
      lens[q] = 32;
      encoder.encodeInto(k, bytes.subarray(dataAt + q * 32, dataAt + q * 32 + 32));
    });
  }
  const scratch = new Uint8Array(ex.memory.buffer, dataAt, 1 << 16);
  const { cuckoo_has, cuckoo_count, hash64 } = ex;
  const t = time({
    'has(): all of it': () => {
      let c = 0;
      for (const k of fresh) if (set.has(k)) c++;
      return c;
    },
    'encodeInto of the key alone': () => {
      let c = 0;
      for (const k of fresh) c += encoder.encodeInto(k, scratch).written;
      return c;
    },
    'a call doing nothing': () => {
      let c = 0;
      for (let q = 0; q < n; q++) c += cuckoo_count(handle);
      return c;
    },
    'a call + XXH64 (32 bytes)': () => {
      let c = 0n;
      for (let q = 0; q < n; q++) c ^= hash64(dataAt + q * 32, 32);
      return c;
    },
    'a call + XXH64 + the table (cuckoo_has)': () => {
      let c = 0;
      for (let q = 0; q < n; q++) c += cuckoo_has(handle, dataAt + q * 32, 32);
      return c;
    },
    'hasMany(): all of it, per key': () => set.hasMany(fresh)[0],
    'join + encodeInto by chunks of 512, per key': () => {
      let c = 0;
      for (let i = 0; i < n; i += 512) {
        let joined = '';
        for (let j = i; j < i + 512 && j < n; j++) joined += fresh[j];
        c += encoder.encodeInto(joined, scratch).written;
      }
      return c;
    },
    'cuckoo_has_many (keys in memory), per key': () => ex.cuckoo_has_many(handle, dataAt, lensAt, n, 0, outAt),
  });
  console.log(`${N.toLocaleString('en-US')} keys (${(ex.cuckoo_byte_size(handle) / 1048576).toFixed(2)} MiB), load ${loadavg().map((x) => x.toFixed(2)).join(' ')}:`);
  for (const [name, ns] of Object.entries(t)) console.log(`  ${name.padEnd(44)} ${ns.toFixed(1).padStart(7)} ns`);
  ex.__unpin(at);
  ex.cuckoo_free(handle);
  set.dispose();
}
