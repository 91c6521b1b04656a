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
import { parseBenchArgs } from './lib.mjs';

const args = parseBenchArgs(process.argv.slice(2), { keys: 1_000_000, events: 5_000_000, reps: 7, batch: 4096 });
if (args.quick) Object.assign(args, { keys: 100_000, events: 500_000, reps: 3 });
const gc = globalThis.gc;
if (!gc) console.warn('run with --expose-gc: memory figures need it');
const heapUsed = gc ? () => (gc(), gc(), process.memoryUsage().heapUsed) : undefined;
const hot = createHotPaths(await loadVigilWasmNode());
const result = runStateTableBench(hot, { ...args, heapUsed });
console.log(formatResult(result));
if (result.notes.some((n) => n.startsWith('DISAGREEMENT'))) process.exitCode = 1;
