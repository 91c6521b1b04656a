/**
 * Per-key state table benchmark: Vigil's WebAssembly state table (batched transitions) against a
 * hand-written JS Map doing the same transitions.
 *
 * Workload: the network state machine of a state-machine rule, per source IP (u32 keys):
 *   INITIAL: a→W 0.6, c→X 0.4;  W: b→Y;  X: b→Y 0.2, d→Z 0.8;  Y: e→Z;  Z: g→TERM (key forgotten)
 * `keys` source IPs are live; each event picks one uniformly and sends it the next event type its
 * state draws; a source that reaches TERM is replaced by a fresh IP, so the live population stays
 * put. The stream is generated once, before timing, from a seeded PRNG; every contender replays
 * it from the same warmed-up state (one event per live IP) and writes a per-event outcome.
 * Contenders: JS Map<number, state>; Vigil stepMany (batches of `batch`), with and without a
 * capacity hint; both again with a TTL (the Map packs time·8 + state into its value).
 * Memory: table bytes per live key for Vigil; for the Map only when the host passes `heapUsed`
 * (Node: process.memoryUsage after gc).
 */
import type { HotPaths } from '../wasm/hotpaths.js';
import { INITIAL, NO_TRANSITION, StepFlags, TERM } from '../wasm/state-table.js';
import { median, now, seededRandom, type BenchResult, type Progress } from './common.js';

export interface StateTableBenchOptions {
  keys?: number;
  events?: number;
  reps?: number;
  batch?: number;
  /** Heap bytes in use after a full collection, when the runtime can tell (Node with --expose-gc). */
  heapUsed?: () => number;
  progress?: Progress;
}

const [W, X, Y, Z] = [1, 2, 3, 4];
const [a, b, c, d, e, g] = [0, 1, 2, 3, 4, 5];
const STATES = 5;
const TYPES = 6;
const TTL = 60_000;
const T0 = 1_700_000_000_000;

function machine(): Int32Array {
  const transitions = new Int32Array(STATES * TYPES).fill(NO_TRANSITION);
  const on = (s: number, type: number, to: number) => (transitions[s * TYPES + type] = to);
  on(INITIAL, a, W);
  on(INITIAL, c, X);
  on(W, b, Y);
  on(X, b, Y);
  on(X, d, Z);
  on(Y, e, Z);
  on(Z, g, TERM);
  return transitions;
}
const draw: ((r: number) => number)[] = [(r) => (r < 0.6 ? a : c), () => b, (r) => (r < 0.2 ? b : d), () => e, () => g];

export function runStateTableBench(hot: HotPaths, options: StateTableBenchOptions = {}): BenchResult {
  const LIVE = options.keys ?? 1_000_000;
  const E = options.events ?? 5_000_000;
  const REPS = Math.max(1, options.reps ?? 7);
  const BATCH = options.batch ?? 4096;
  const heapUsed = options.heapUsed;
  const progress = options.progress ?? (() => {});
  const transitions = machine();

  progress(`generating ${E} events over ${LIVE} live keys`);
  const random = seededRandom(2024);
  const freshIp = () => (random() * 4294967296) >>> 0;
  const live = new Uint32Array(LIVE);
  const shadow = new Uint8Array(LIVE);
  for (let j = 0; j < LIVE; j++) live[j] = freshIp();
  const warmKeys = live.slice();
  const warmTypes = new Uint8Array(LIVE);
  const warmTimes = new Float64Array(LIVE).fill(T0);
  for (let j = 0; j < LIVE; j++) {
    const type = draw[0]!(random());
    warmTypes[j] = type;
    shadow[j] = transitions[type]!;
  }
  const keys = new Uint32Array(E);
  const types = new Uint8Array(E);
  const times = new Float64Array(E);
  for (let i = 0; i < E; i++) {
    const j = (random() * LIVE) | 0;
    const s = shadow[j]!;
    const type = draw[s]!(random());
    keys[i] = live[j]!;
    types[i] = type;
    times[i] = T0 + 1 + Math.floor(i / 100);
    const next = transitions[s * TYPES + type]!;
    if (next === TERM) {
      live[j] = freshIp();
      shadow[j] = INITIAL;
    } else shadow[j] = next;
  }

  const NEW = StepFlags.New;
  const INVALID = StepFlags.Invalid;
  const TERMF = StepFlags.Term;
  const TIMEOUT = StepFlags.Timeout;

  function mapStep(map: Map<number, number>, ks: Uint32Array, ts: Uint8Array, out: Uint32Array, from0: number, n: number) {
    for (let i = 0; i < n; i++) {
      const key = ks[from0 + i]!;
      const cur = map.get(key);
      const from = cur === undefined ? INITIAL : cur;
      let flags = cur === undefined ? NEW : 0;
      const next = transitions[from * TYPES + ts[from0 + i]!]!;
      let to = next;
      if (next === NO_TRANSITION) {
        flags |= INVALID;
        to = from;
      } else if (next === TERM) {
        flags |= TERMF;
        if (cur !== undefined) map.delete(key);
      } else map.set(key, next);
      out[2 * i] = from | (to << 16);
      out[2 * i + 1] = flags;
    }
  }

  function mapStepTtl(map: Map<number, number>, ks: Uint32Array, ts: Uint8Array, tms: Float64Array, out: Uint32Array, from0: number, n: number) {
    for (let i = 0; i < n; i++) {
      const key = ks[from0 + i]!;
      const time = tms[from0 + i]!;
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
      } else flags = NEW;
      const next = transitions[from * TYPES + ts[from0 + i]!]!;
      let to = next;
      if (next === NO_TRANSITION) {
        flags |= INVALID;
        to = from;
      } else if (next === TERM) {
        flags |= TERMF;
        if (cur !== undefined) map.delete(key);
      } else map.set(key, Math.floor(time) * 8 + next);
      out[2 * i] = from | (to << 16);
      out[2 * i + 1] = flags | (expired << 16);
    }
  }

  const program = hot.stateTables.program({ states: STATES, types: TYPES, transitions });

  function runMap(ttl: boolean) {
    const h0 = heapUsed?.() ?? 0;
    const map = new Map<number, number>();
    const out = new Uint32Array(2 * BATCH);
    if (ttl) mapStepTtl(map, warmKeys, warmTypes, warmTimes, new Uint32Array(2 * LIVE), 0, LIVE);
    else mapStep(map, warmKeys, warmTypes, new Uint32Array(2 * LIVE), 0, LIVE);
    let check = 0;
    const t0 = now();
    for (let i = 0; i < E; i += BATCH) {
      const n = Math.min(BATCH, E - i);
      if (ttl) mapStepTtl(map, keys, types, times, out, i, n);
      else mapStep(map, keys, types, out, i, n);
      check = (check + out[0]! + out[2 * n - 1]!) >>> 0;
    }
    const ms = now() - t0;
    const bytesPerKey = heapUsed ? (heapUsed() - h0) / map.size : NaN;
    return { ms, size: map.size, bytesPerKey, check };
  }

  function runWasm(ttl: boolean, capacity: number | undefined) {
    const table = hot.stateTables.create({ capacity });
    const opts = ttl ? { ttlMs: TTL } : {};
    table.stepMany(program, warmKeys, warmTypes, warmTimes, opts);
    let check = 0;
    const t0 = now();
    for (let i = 0; i < E; i += BATCH) {
      const n = Math.min(BATCH, E - i);
      const out = table.stepMany(program, keys.subarray(i, i + n), types.subarray(i, i + n), times.subarray(i, i + n), opts);
      check = (check + out.words[0]! + out.words[2 * n - 1]!) >>> 0;
    }
    const ms = now() - t0;
    const result = { ms, size: table.size, bytesPerKey: table.byteSize / table.size, check };
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
  const samples = contenders.map(() => ({ ms: [] as number[], bytesPerKey: [] as number[], size: 0, check: -1 }));
  for (let r = 0; r < REPS; r++) {
    contenders.forEach((contender, k) => {
      progress(`rep ${r + 1}/${REPS}: ${contender.name}`);
      const res = contender.run();
      const s = samples[k]!;
      s.ms.push(res.ms);
      s.bytesPerKey.push(res.bytesPerKey);
      s.size = res.size;
      s.check = res.check;
    });
  }
  program.dispose();
  const agree = (i: number, j: number) => samples[i]!.size === samples[j]!.size && samples[i]!.check === samples[j]!.check;
  const agreed = agree(0, 1) && agree(0, 2) && agree(3, 4);
  const rows = contenders.map((contender, k) => {
    const s = samples[k]!;
    const base = samples[k >= 3 ? 3 : 0]!;
    const ms = median(s.ms);
    const mem = median(s.bytesPerKey);
    const baseMem = median(base.bytesPerKey);
    return {
      contender: contender.name,
      'live keys': s.size,
      'Mevents/s': Number((E / ms / 1000).toFixed(2)),
      'ns/event': Number(((ms * 1e6) / E).toFixed(1)),
      'speed vs Map': `${(median(base.ms) / ms).toFixed(2)}×`,
      'bytes/key': Number.isFinite(mem) ? Number(mem.toFixed(1)) : '–',
      'memory vs Map': Number.isFinite(mem) && Number.isFinite(baseMem) ? `${((mem / baseMem) * 100).toFixed(0)}%` : '–',
    };
  });
  return {
    columns: ['contender', 'live keys', 'Mevents/s', 'ns/event', 'speed vs Map', 'bytes/key', 'memory vs Map'],
    rows,
    notes: [
      `state machine over ${LIVE.toLocaleString('en-US')} live source IPs; ${E.toLocaleString('en-US')} events; batches of ${BATCH}; ${REPS} reps (medians), interleaved.`,
      'Ratios compare each vigil row with the Map row of the same kind (without / with TTL).',
      'bytes/key: vigil = table bytes / live keys; Map = heap growth / live keys (only where the runtime reports the heap after gc).',
      agreed ? 'All contenders end with the same live keys and outcome checksum.' : `DISAGREEMENT: ${JSON.stringify(samples.map((s) => [s.size, s.check]))}`,
    ],
  };
}
