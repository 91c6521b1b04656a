// An IOC list loaded in parts, the same part sent again and again (a client that retries, or
// someone with write access to the list): what each repeat costs in time, table levels and bytes,
// and what the look-ups of the list cost afterwards. Also has() at 3M distinct keys, to see that
// look-ups of a list without repeats did not change.
//
//   npm run build:ts && node bench/ioc-repeats.mjs [--part 200000] [--repeats 20] [--keys 3000000] [--reps 7]
//   node bench/ioc-repeats.mjs --wasm /path/to/other/vigil.wasm     # another build of the module (before/after)
//   --skip-has: only the repeats; --skip-repeats: only has() at --keys; --budget-ms N: stop adding after N ms
//
// The list is created as POST /iocs/:list/entries creates it (capacity max(1024, first part),
// FPP 0.1 %, src/edge/shared-data.ts), then the same part is added `repeats` times. Times are the
// process's CPU time (user + system): on a shared machine the wall clock also counts the time
// other processes held the core. has() is the median of `reps` passes of 300,000 look-ups (half
// members) through WasmIocSet.has, as the engine calls it.
import { createHotPaths } from '../dist/wasm/hotpaths.js';
import { loadVigilWasmNode } from '../dist/wasm/load-node.js';
import { median, printTable, seededRandom } from './lib.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const PART = Number(option('part', 200_000));
const REPEATS = Number(option('repeats', 20));
const KEYS = Number(option('keys', 3_000_000));
const REPS = Number(option('reps', 7));
const LOOKUPS = 300_000;
const wasm = option('wasm', undefined);
// The module before exact repeats took minutes per repeat at 200,000 keys: stop adding after this
// many ms of CPU time and report how far it got.
const BUDGET_MS = Number(option('budget-ms', 30 * 60_000));

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const instance = await loadVigilWasmNode(wasm ? { path: wasm } : {});
const hot = createHotPaths(instance);

const random = seededRandom(2026);
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

/** Median ns per has() over LOOKUPS keys, half of them members. */
function hasNs(set, members) {
  const look = [...Array.from({ length: LOOKUPS / 2 }, () => members[(random() * members.length) | 0]), ...hexKeys(LOOKUPS / 2)];
  for (let i = look.length - 1; i > 0; i--) {
    const j = (random() * (i + 1)) | 0;
    [look[i], look[j]] = [look[j], look[i]];
  }
  let hits = 0;
  const pass = () => {
    for (let i = 0; i < look.length; i++) if (set.has(look[i])) hits++;
  };
  pass();
  const samples = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = cpuMs();
    pass();
    samples.push(((cpuMs() - t0) * 1e6) / LOOKUPS);
  }
  if (hits < (REPS + 1) * (LOOKUPS / 2)) throw new Error('a member was not found');
  return median(samples);
}

console.log(`module: ${wasm ?? 'build/vigil.wasm'}`);
if (!argv.includes('--skip-repeats')) {
  const part = hexKeys(PART);
  const set = hot.iocSets.create({ capacity: Math.max(1024, PART), falsePositiveRate: 0.001 });
  const rows = [];
  let total = 0;
  for (let r = 1; r <= REPEATS; r++) {
    const t0 = cpuMs();
    set.add(part);
    const ms = cpuMs() - t0;
    total += ms;
    console.error(`… repeat ${r}: ${ms.toFixed(0)} ms, ${set.levels} levels, ${set.byteSize} bytes`);
    if (r <= 3 || r % 5 === 0 || r === REPEATS || total > BUDGET_MS) rows.push([r, ms, total, set.levels, set.byteSize, set.count]);
    if (total > BUDGET_MS) {
      console.log(`stopped after repeat ${r}: over the budget of ${BUDGET_MS} ms`);
      break;
    }
  }
  console.log(`\nthe same ${PART.toLocaleString('en-US')}-key part added ${REPEATS} times (capacity ${Math.max(1024, PART).toLocaleString('en-US')}, FPP 0.1 %)`);
  printTable(['repeat', 'ms this add', 'ms total', 'levels', 'bytes', 'count'], rows);
  console.log(`has() after the repeats: ${hasNs(set, part).toFixed(1)} ns (median of ${REPS})`);
  set.dispose();
}
if (!argv.includes('--skip-has')) {
  const members = hexKeys(KEYS);
  const set = hot.iocSets.create({ capacity: KEYS, falsePositiveRate: 0.001 });
  const t0 = cpuMs();
  set.add(members);
  const addMs = cpuMs() - t0;
  console.log(`\nhas() at ${KEYS.toLocaleString('en-US')} distinct keys (added in ${addMs.toFixed(0)} ms, levels ${set.levels}, ${set.byteSize.toLocaleString('en-US')} bytes): ${hasNs(set, members).toFixed(1)} ns (median of ${REPS})`);
  set.dispose();
}
