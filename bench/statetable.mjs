// Per-key state table benchmark: Vigil's WebAssembly state table (batched transitions) against a
// hand-written JS Map doing the same transitions.
//
// Run (Node ≥ 20, from the package root):
//   npm run asbuild && npx tsc -p tsconfig.build.json   # build/vigil.wasm + dist/wasm/*.js
//   node --expose-gc bench/statetable.mjs              # 1,000,000 live keys, 5,000,000 events, 7 reps
//   node --expose-gc bench/statetable.mjs --quick      # 100,000 keys, 500,000 events, 3 reps
//   options: --keys N --events N --reps N --batch N
//
// Workload: the network state machine of a state-machine rule, per source IP (u32 keys):
//   INITIAL: a→W 0.6, c→X 0.4;  W: b→Y;  X: b→Y 0.2, d→Z 0.8;  Y: e→Z;  Z: g→TERM (key forgotten)
// 1,000,000 source IPs are live; each event picks one uniformly and sends it the next event type
// its state draws; a source that reaches TERM is replaced by a fresh IP, so the live population
// stays at 1M. The stream (keys, types, times) is generated once, before timing, from a seeded
// PRNG; every contender replays the same stream from the same warmed-up state (one event per live
// IP). Each contender also writes a per-event outcome (from, to, flags), as a rule needs.
//
// Contenders
// - JS Map<number, state>: get/set/delete per event, transition table in an Int32Array.
// - Vigil stepMany: the same transition table as a program; batches of --batch events per crossing.
// - with TTL: both also keep the last-seen time and expire keys idle longer than the ttl (the JS
//   Map packs time·8 + state into its value, the cheapest hand-written form).
// Memory: WASM bytes of the table per live key vs heap growth of the Map per live key
// (--expose-gc; heapUsed after gc, Map alive, minus before it was built).
import { createHotPaths } from '../dist/wasm/hotpaths.js';
import { loadVigilWasmNode } from '../dist/wasm/load-node.js';
import { INITIAL, NO_TRANSITION, StepFlags, TERM } from '../dist/wasm/state-table.js';
import { median, parseBenchArgs, printTable, seededRandom } from './lib.mjs';

const args = parseBenchArgs(process.argv.slice(2), { keys: 1_000_000, events: 5_000_000, reps: 7, batch: 4096 });
if (args.quick) Object.assign(args, { keys: 100_000, events: 500_000, reps: 3 });
const { keys: LIVE, events: E, reps: REPS, batch: BATCH } = args;
const gc = globalThis.gc;
if (!gc) console.warn('run with --expose-gc: memory figures need it');
const heapUsed = () => (gc?.(), gc?.(), process.memoryUsage().heapUsed);
const now = () => process.hrtime.bigint();

// ---------------------------------------------------------------- the state machine
const [W, X, Y, Z] = [1, 2, 3, 4];
const [a, b, c, d, e, g] = [0, 1, 2, 3, 4, 5];
const STATES = 5;
const TYPES = 6;
const transitions = new Int32Array(STATES * TYPES).fill(NO_TRANSITION);
const on = (s, type, to) => (transitions[s * TYPES + type] = to);
on(INITIAL, a, W);
on(INITIAL, c, X);
on(W, b, Y);
on(X, b, Y);
on(X, d, Z);
on(Y, e, Z);
on(Z, g, TERM);
// Next event type drawn per state.
const draw = [(r) => (r < 0.6 ? a : c), () => b, (r) => (r < 0.2 ? b : d), () => e, () => g];

// ---------------------------------------------------------------- the stream
const T0 = 1_700_000_000_000;
const TTL = 60_000; // ms of event time; events advance time 1 ms per 100 events (see below)
const random = seededRandom(2024);
const freshIp = () => (random() * 4294967296) >>> 0;
const live = new Uint32Array(LIVE);
const shadow = new Uint8Array(LIVE); // the generator's view of each live IP's state
for (let j = 0; j < LIVE; j++) live[j] = freshIp();
// Warm-up: one opening event per live IP (not timed), so the table starts with LIVE keys.
const warmKeys = live.slice();
const warmTypes = new Uint8Array(LIVE);
const warmTimes = new Float64Array(LIVE).fill(T0);
for (let j = 0; j < LIVE; j++) {
  const type = draw[0](random());
  warmTypes[j] = type;
  shadow[j] = transitions[type];
}
const keys = new Uint32Array(E);
const types = new Uint8Array(E);
const times = new Float64Array(E);
for (let i = 0; i < E; i++) {
  const j = (random() * LIVE) | 0;
  const s = shadow[j];
  const type = draw[s](random());
  keys[i] = live[j];
  types[i] = type;
  times[i] = T0 + 1 + Math.floor(i / 100);
  const next = transitions[s * TYPES + type];
  if (next === TERM) {
    live[j] = freshIp();
    shadow[j] = INITIAL;
  } else {
    shadow[j] = next;
  }
}

// ---------------------------------------------------------------- contenders
const NEW = StepFlags.New;
const INVALID = StepFlags.Invalid;
const TERMF = StepFlags.Term;
const TIMEOUT = StepFlags.Timeout;

// Map<number, state>; writes the same outcome words as stepMany.
function mapStep(map, ks, ts, out, from0, n) {
  for (let i = 0; i < n; i++) {
    const key = ks[from0 + i];
    const cur = map.get(key);
    const from = cur === undefined ? INITIAL : cur;
    let flags = cur === undefined ? NEW : 0;
    const next = transitions[from * TYPES + ts[from0 + i]];
    let to = next;
    if (next === NO_TRANSITION) {
      flags |= INVALID;
      to = from;
    } else if (next === TERM) {
      flags |= TERMF;
      if (cur !== undefined) map.delete(key);
    } else {
      map.set(key, next);
    }
    out[2 * i] = from | (to << 16);
    out[2 * i + 1] = flags;
  }
}

// Map<number, time·8 + state> with TTL expiry at event time.
function mapStepTtl(map, ks, ts, tms, out, from0, n) {
  for (let i = 0; i < n; i++) {
    const key = ks[from0 + i];
    const time = tms[from0 + i];
    let cur = map.get(key);
    let from = INITIAL;
    let flags = 0;
    let expired = 0;
    if (cur !== undefined) {
      from = cur % 8;
      if (time - Math.floor(cur / 8) > TTL) {
        flags = TIMEOUT | NEW;
        expired = from;
        from = INITIAL;
        map.delete(key);
        cur = undefined;
      }
    } else {
      flags = NEW;
    }
    const next = transitions[from * TYPES + ts[from0 + i]];
    let to = next;
    if (next === NO_TRANSITION) {
      flags |= INVALID;
      to = from;
    } else if (next === TERM) {
      flags |= TERMF;
      if (cur !== undefined) map.delete(key);
    } else {
      map.set(key, Math.floor(time) * 8 + next);
    }
    out[2 * i] = from | (to << 16);
    out[2 * i + 1] = flags | (expired << 16);
  }
}

const hot = createHotPaths(await loadVigilWasmNode());
const program = hot.stateTables.program({ states: STATES, types: TYPES, transitions });

function runMap(ttl) {
  const h0 = heapUsed();
  const map = new Map();
  const out = new Uint32Array(2 * BATCH);
  if (ttl) mapStepTtl(map, warmKeys, warmTypes, warmTimes, new Uint32Array(2 * LIVE), 0, LIVE);
  else mapStep(map, warmKeys, warmTypes, new Uint32Array(2 * LIVE), 0, LIVE);
  let check = 0;
  const t0 = now();
  for (let i = 0; i < E; i += BATCH) {
    const n = Math.min(BATCH, E - i);
    if (ttl) mapStepTtl(map, keys, types, times, out, i, n);
    else mapStep(map, keys, types, out, i, n);
    check = (check + out[0] + out[2 * n - 1]) >>> 0;
  }
  const ns = Number(now() - t0);
  const bytesPerKey = (heapUsed() - h0) / map.size;
  return { ns, size: map.size, bytesPerKey, check };
}

function runWasm(ttl, capacity) {
  const table = hot.stateTables.create({ capacity });
  const options = ttl ? { ttlMs: TTL } : {};
  table.stepMany(program, warmKeys, warmTypes, warmTimes, options);
  let check = 0;
  const t0 = now();
  for (let i = 0; i < E; i += BATCH) {
    const n = Math.min(BATCH, E - i);
    const out = table.stepMany(program, keys.subarray(i, i + n), types.subarray(i, i + n), times.subarray(i, i + n), options);
    check = (check + out.words[0] + out.words[2 * n - 1]) >>> 0;
  }
  const ns = Number(now() - t0);
  const result = { ns, size: table.size, bytesPerKey: table.byteSize / table.size, check };
  table.dispose();
  return result;
}

const contenders = [
  { name: 'JS Map<number, state>', run: () => runMap(false) },
  { name: 'vigil stepMany', run: () => runWasm(false, undefined) },
  { name: 'vigil stepMany (capacity hint)', run: () => runWasm(false, LIVE) },
  { name: 'JS Map<number, time·8+state>, TTL', run: () => runMap(true) },
  { name: 'vigil stepMany, TTL', run: () => runWasm(true, undefined) },
];

console.log(`state machine over ${LIVE.toLocaleString('en-US')} live source IPs; ${E.toLocaleString('en-US')} events; batches of ${BATCH}; ${REPS} reps (medians), interleaved`);
const samples = contenders.map(() => ({ ns: [], bytesPerKey: [], size: 0, check: -1 }));
for (let r = 0; r < REPS; r++) {
  for (let k = 0; k < contenders.length; k++) {
    const res = contenders[k].run();
    const s = samples[k];
    s.ns.push(res.ns);
    s.bytesPerKey.push(res.bytesPerKey);
    s.size = res.size;
    s.check = res.check;
  }
}
// Same stream, same rules: every contender ends with the same live keys and outcome checksum
// (pairwise: the TTL contenders agree with each other).
const agree = (i, j) => samples[i].size === samples[j].size && samples[i].check === samples[j].check;
if (!agree(0, 1) || !agree(0, 2) || !agree(3, 4)) {
  console.error('contenders disagree:', samples.map((s) => [s.size, s.check]));
  process.exit(1);
}

const rows = [];
const baseline = (k) => (k >= 3 ? 3 : 0);
for (let k = 0; k < contenders.length; k++) {
  const s = samples[k];
  const base = samples[baseline(k)];
  const ns = median(s.ns);
  const mem = median(s.bytesPerKey);
  rows.push([
    contenders[k].name,
    s.size,
    (E / (ns / 1e9) / 1e6).toFixed(2),
    (ns / E).toFixed(1),
    `${(median(base.ns) / ns).toFixed(2)}×`,
    mem.toFixed(1),
    `${((mem / median(base.bytesPerKey)) * 100).toFixed(0)}%`,
  ]);
}
printTable(['contender', 'live keys', 'Mevents/s', 'ns/event', 'speed vs Map', 'bytes/key', 'memory vs Map'], rows);
console.log('\nRatios compare each vigil row with the Map row of the same kind (without / with TTL).');
console.log('bytes/key: vigil = table bytes / live keys; Map = heap growth / live keys (gc before and after).');
