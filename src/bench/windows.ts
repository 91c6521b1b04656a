/**
 * Sliding-window benchmark: Vigil's WebAssembly window buffers (one pane update per event,
 * aggregates merged per window in the module) against a hand-written JavaScript array per window
 * (each event pushed into every window it belongs to; a window's count and sum per key computed
 * when it closes).
 *
 * Workload: 60 s windows sliding by 1 s, count and sum of a numeric field per key over 100,000
 * keys (IPv4 strings); events arrive at `eventsPerSecond` of event time, up to 2 s out of order;
 * the watermark trails the highest time by 5 s and moves every `batch` events; at the end every
 * window fires. Both contenders replay the same stream and must agree on the number of
 * (window, key) results and on the sums of their counts and sums.
 */
import type { HotPaths } from '../wasm/hotpaths.js';
import { median, now, seededRandom, type BenchResult, type Progress } from './common.js';

export interface WindowsBenchOptions {
  keys?: number;
  events?: number;
  reps?: number;
  /** Events per second of event time. */
  eventsPerSecond?: number;
  /** Events between watermark moves (and per insertMany crossing). */
  batch?: number;
  lengthMs?: number;
  slideMs?: number;
  progress?: Progress;
}

interface Stream {
  keys: string[];
  times: Float64Array;
  values: Float64Array;
}

interface Outcome {
  ms: number;
  results: number;
  count: number;
  sum: number;
}

const OUT_OF_ORDER_MS = 5000;

function makeStream(n: number, keyCount: number, perSecond: number): Stream {
  const random = seededRandom(60);
  const names = Array.from({ length: keyCount }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const t0 = 1_767_225_600_000;
  const keys = new Array<string>(n);
  const times = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    keys[i] = names[(random() * keyCount) | 0]!;
    times[i] = t0 + Math.floor((i * 1000) / perSecond) - Math.floor(random() * 2000);
    values[i] = Math.floor(random() * 1500);
  }
  return { keys, times, values };
}

/** The peer: an array of (key, value) per window; grouped per key when the window closes. */
function runNaive(s: Stream, lengthMs: number, slideMs: number, batch: number): Outcome {
  const t = now();
  const windows = new Map<number, { keys: string[]; values: number[] }>();
  let watermark = -Infinity;
  let highest = -Infinity;
  let results = 0;
  let count = 0;
  let sum = 0;
  const close = (upTo: number) => {
    const due = [...windows.keys()].filter((start) => start + lengthMs <= upTo).sort((a, b) => a - b);
    for (const start of due) {
      const w = windows.get(start)!;
      windows.delete(start);
      const perKey = new Map<string, { count: number; sum: number }>();
      for (let i = 0; i < w.keys.length; i++) {
        const agg = perKey.get(w.keys[i]!);
        if (agg) {
          agg.count++;
          agg.sum += w.values[i]!;
        } else perKey.set(w.keys[i]!, { count: 1, sum: w.values[i]! });
      }
      for (const agg of perKey.values()) {
        results++;
        count += agg.count;
        sum += agg.sum;
      }
    }
  };
  const n = s.times.length;
  for (let i = 0; i < n; i++) {
    const time = s.times[i]!;
    if (time > highest) highest = time;
    for (let start = Math.floor(time / slideMs) * slideMs; start > time - lengthMs; start -= slideMs) {
      if (start + lengthMs <= watermark) break; // closed: late (never happens with this stream)
      let w = windows.get(start);
      if (!w) windows.set(start, (w = { keys: [], values: [] }));
      w.keys.push(s.keys[i]!);
      w.values.push(s.values[i]!);
    }
    if ((i + 1) % batch === 0 && highest - OUT_OF_ORDER_MS > watermark) {
      watermark = highest - OUT_OF_ORDER_MS;
      close(watermark);
    }
  }
  close(Infinity);
  return { ms: now() - t, results, count, sum };
}

/** Vigil: insertMany per batch, then advance; aggregates read from the module's output. */
function runVigil(hot: HotPaths, s: Stream, lengthMs: number, slideMs: number, batch: number): Outcome {
  const t = now();
  const buffers = hot.windowBuffers.create({ lengthMs, slideMs, allowedLatenessMs: 0 });
  const slots = new Uint32Array(batch);
  let watermark = -Infinity;
  let highest = -Infinity;
  let results = 0;
  let count = 0;
  let sum = 0;
  const advance = (to: number) => {
    const out = buffers.advance(watermark, to, false);
    watermark = to;
    for (let w = 0; w < out.length; w++) {
      const keys = out.keys(w);
      results += keys;
      for (let k = 0; k < keys; k++) {
        count += out.count(w, k);
        sum += out.sum(w, k);
      }
    }
  };
  const n = s.times.length;
  for (let i = 0; i < n; i += batch) {
    const k = Math.min(batch, n - i);
    buffers.insertMany(s.keys, s.times, s.values, slots, i, k);
    for (let j = i; j < i + k; j++) if (s.times[j]! > highest) highest = s.times[j]!;
    if (k === batch && highest - OUT_OF_ORDER_MS > watermark) advance(highest - OUT_OF_ORDER_MS);
  }
  advance(Infinity);
  buffers.dispose();
  return { ms: now() - t, results, count, sum };
}

export function runWindowsBench(hot: HotPaths, options: WindowsBenchOptions = {}): BenchResult {
  const keys = options.keys ?? 100_000;
  const events = options.events ?? 1_000_000;
  const reps = Math.max(1, options.reps ?? 5);
  const perSecond = options.eventsPerSecond ?? 10_000;
  const batch = options.batch ?? 1000;
  const lengthMs = options.lengthMs ?? 60_000;
  const slideMs = options.slideMs ?? 1000;
  const progress = options.progress ?? (() => {});
  progress(`generating ${events} events over ${keys} keys`);
  const stream = makeStream(events, keys, perSecond);
  const contenders = [
    { name: 'JS array per window', run: () => runNaive(stream, lengthMs, slideMs, batch) },
    { name: 'vigil window buffers (WASM)', run: () => runVigil(hot, stream, lengthMs, slideMs, batch) },
  ];
  const samples = contenders.map(() => [] as number[]);
  const outcomes: Outcome[] = [];
  for (let r = 0; r < reps; r++) {
    contenders.forEach((c, k) => {
      progress(`rep ${r + 1}/${reps}: ${c.name}`);
      const o = c.run();
      samples[k]!.push(o.ms);
      outcomes[k] = o;
    });
  }
  const [a, b] = outcomes as [Outcome, Outcome];
  const agree = a.results === b.results && a.count === b.count && a.sum === b.sum;
  const base = events / median(samples[0]!);
  const rows = contenders.map((c, k) => {
    const ms = median(samples[k]!);
    const rate = (events / ms) * 1000;
    return {
      contender: c.name,
      'events/s': Math.round(rate),
      'ns/event': Number(((ms * 1e6) / events).toFixed(1)),
      'window×key results': outcomes[k]!.results,
      'vs JS': `${(events / ms / base).toFixed(2)}×`,
    };
  });
  return {
    columns: ['contender', 'events/s', 'ns/event', 'window×key results', 'vs JS'],
    rows,
    notes: [
      `${events.toLocaleString('en-US')} events, ${keys.toLocaleString('en-US')} keys, ${lengthMs / 1000} s windows sliding by ${slideMs / 1000} s, ${perSecond.toLocaleString('en-US')} events per second of event time; medians of ${reps} interleaved runs.`,
      'Each contender computes count and sum per key for every window; the time includes firing every window and reading every result.',
      agree ? 'Both contenders agree on every result count, count sum and value sum.' : `DISAGREEMENT: ${JSON.stringify(outcomes)}`,
    ],
  };
}
