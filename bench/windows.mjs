// Sliding-window benchmark (measuring code in src/bench/windows.ts, shared with the web app):
// Vigil's WebAssembly window buffers against a JS array per window.
//
//   npm run bench -- windows          (builds dist/ first)
//   node bench/windows.mjs [--events N] [--keys N] [--reps N] [--quick]
import { runWindowsBench } from '../dist/bench/windows.js';
import { createHotPaths } from '../dist/wasm/hotpaths.js';
import { loadVigilWasmNode } from '../dist/wasm/load-node.js';
import { formatResult } from '../dist/bench/format.js';
import { parseBenchArgs, summaryRow } from './lib.mjs';

const args = parseBenchArgs(process.argv.slice(2), { events: 1_000_000, keys: 100_000, reps: 5 });
if (args.quick) Object.assign(args, { events: 200_000, reps: 3 });
const hot = createHotPaths(await loadVigilWasmNode());
const result = runWindowsBench(hot, { events: args.events, keys: args.keys, reps: Math.max(args.quick ? 3 : 5, args.reps) });
console.log(formatResult(result));
{
  const [peer, vigil] = result.rows;
  const ratio = vigil['events/s'] / peer['events/s'];
  summaryRow({ bench: 'windows', workload: 'sliding windows, count and sum per key', vigil: vigil['events/s'], peer: peer['events/s'], unit: 'events/s', ratio, target: '≥ 3×', met: ratio >= 3 });
}
if (result.notes.some((n) => n.startsWith('DISAGREEMENT'))) process.exitCode = 1;
