// Per-key state table benchmark (measuring code in src/bench/statetable.ts, shared with the web
// app): Vigil's WebAssembly state table (batched transitions) against a hand-written JS Map.
//
//   npm run bench -- statetable                        (builds dist/ first)
//   node --expose-gc bench/statetable.mjs              # 1,000,000 live keys, 5,000,000 events, 7 reps
//   node --expose-gc bench/statetable.mjs --quick      # 100,000 keys, 500,000 events, 3 reps
//   options: --keys N --events N --reps N --batch N
import { formatResult } from '../dist/bench/format.js';
import { runStateTableBench } from '../dist/bench/statetable.js';
import { createHotPaths } from '../dist/wasm/hotpaths.js';
import { loadVigilWasmNode } from '../dist/wasm/load-node.js';
import { parseBenchArgs, summaryRow } from './lib.mjs';

const args = parseBenchArgs(process.argv.slice(2), { keys: 1_000_000, events: 5_000_000, reps: 7, batch: 4096 });
if (args.quick) Object.assign(args, { keys: 100_000, events: 500_000, reps: 3 });
const gc = globalThis.gc;
if (!gc) console.warn('run with --expose-gc: memory figures need it');
const heapUsed = gc ? () => (gc(), gc(), process.memoryUsage().heapUsed) : undefined;
const hot = createHotPaths(await loadVigilWasmNode());
const result = runStateTableBench(hot, { ...args, heapUsed });
console.log(formatResult(result));
// Each WebAssembly row against the Map of its kind (without, then with a TTL).
result.rows.forEach((row, k) => {
  if (k === 0 || k === 3) return;
  const peer = result.rows[k >= 3 ? 3 : 0];
  summaryRow({ bench: 'statetable', workload: `${row.contender}, ${row['live keys'].toLocaleString('en-US')} keys`, vigil: row['Mevents/s'] * 1e6, peer: peer['Mevents/s'] * 1e6, unit: 'events/s', ratio: row['Mevents/s'] / peer['Mevents/s'] });
});
if (result.notes.some((n) => n.startsWith('DISAGREEMENT'))) process.exitCode = 1;
