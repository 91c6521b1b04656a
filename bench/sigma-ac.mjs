// The Sigma prefilter's automaton in JavaScript (src/sigma/prefilter-automaton.ts, over UTF-16) and
// in AssemblyScript (assembly/aho-corasick.ts, over UTF-8: the host encodes each text into linear
// memory with one `TextEncoder.encodeInto`), on the same patterns — the required literals of the
// corpus's process_creation rules on CommandLine — and the command lines of bench/sigma-events.mjs.
// Both must report the same patterns; the faster one is what the engine uses.
//
//   node bench/sigma-ac.mjs [--events N] [--reps N]      (after npm run build)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSigma } from '../dist/sigma/index.js';
import { AhoCorasick } from '../dist/sigma/prefilter-automaton.js';
import { loadVigilWasmNode } from '../dist/wasm/load-node.js';
import { median, parseBenchArgs, printTable } from './lib.mjs';
import { sysmonProcessCreation } from './sigma-events.mjs';

const args = parseBenchArgs(process.argv.slice(2), { events: 50_000, reps: 5 });
const root = fileURLToPath(new URL('..', import.meta.url));
const SIGMA = [process.env.VIGIL_SIGMA_DIR, join(root, '../shared/sigma'), join(root, '../../shared/sigma')].find((d) => d && existsSync(join(d, 'rules')));
if (!SIGMA) {
  console.log('no Sigma corpus: skipped');
  process.exit(0);
}
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.ya?ml$/.test(name)) files.push({ file: path, text: readFileSync(path, 'utf8') });
  }
};
walk(join(SIGMA, 'rules/windows/process_creation'));
const { rules } = loadSigma(files, { pipeline: 'evtx-json' });
const literals = new Set();
for (const r of rules) for (const clause of r.requires ?? []) for (const x of clause) if (x.access.paths[0] === 'Event.EventData.CommandLine') literals.add(x.literal);
const patterns = [...literals];
const texts = sysmonProcessCreation(args.events, { seed: 3, attackEvery: 50 }).map((e) => e.Event.EventData.CommandLine.toLowerCase());
let units = 0;
for (const t of texts) units += t.length;

// JavaScript, over UTF-16 code units.
const js = new AhoCorasick(patterns);

// WebAssembly, over UTF-8 bytes: the same construction over the patterns' bytes (as one-byte units).
const encoder = new TextEncoder();
const byteString = (s) => String.fromCharCode(...encoder.encode(s));
const bytesAutomaton = new AhoCorasick(patterns.map(byteString), { maxPatterns: 1e6, maxPatternUnits: 1e7 }, 256);
const t = bytesAutomaton.tables();
const ex = (await loadVigilWasmNode()).exports;
const states = bytesAutomaton.stateCount;
const dense = bytesAutomaton.denseCount;
const C = bytesAutomaton.classCount;
const edges = t.edgeUnit.length;
const outputs = t.outIds.length;
const edgeBytes = (edges + 3) & ~3;
const size = 512 + dense * C * 4 + (states + 1) * 4 + edgeBytes + edges * 4 + states * 12 + (states + 1) * 4 + outputs * 4;
const tablePtr = ex.scratch_reserve(size) >>> 0;
{
  const buf = ex.memory.buffer;
  let at = tablePtr;
  const put16 = (arr) => {
    new Uint16Array(buf, at, arr.length).set(arr);
    at += arr.length * 2;
  };
  const put32 = (arr) => {
    new Int32Array(buf, at, arr.length).set(arr);
    at += arr.length * 4;
  };
  put16(Uint16Array.from({ length: 256 }, (_, unit) => t.classOf(unit)));
  put32(t.dense.subarray(0, dense * C));
  put32(t.edgeStart);
  new Uint8Array(buf, at, edges).set(t.edgeUnit);
  at += edgeBytes;
  put32(t.edgeTarget);
  put32(t.fail);
  put32(t.term);
  put32(t.dict);
  put32(t.outStart);
  put32(t.outIds);
}
const handle = ex.ac_new(tablePtr, states, dense, C, edges, outputs);
const MAX_OUT = 4096;
const wasmScan = (text) => {
  const need = text.length * 3 + MAX_OUT * 4;
  const ptr = ex.scratch_reserve(need) >>> 0;
  const mem = new Uint8Array(ex.memory.buffer, ptr + MAX_OUT * 4, text.length * 3);
  const { written } = encoder.encodeInto(text, mem);
  return ex.ac_scan(handle, ptr + MAX_OUT * 4, written, ptr, MAX_OUT);
};
const wasmPresent = (text) => {
  const n = wasmScan(text);
  const ptr = ex.scratch_reserve(0) >>> 0;
  return [...new Int32Array(ex.memory.buffer, ptr, n)].sort((a, b) => a - b);
};

// Same answers.
let reported = 0;
for (const text of texts.slice(0, 5000)) {
  const a = js.present(text);
  const b = wasmPresent(text);
  if (a.join() !== b.join()) throw new Error(`JS and wasm differ on ${JSON.stringify(text)}: ${a} vs ${b}`);
  reported += a.length;
}

function timed(fn) {
  const cpu0 = process.cpuUsage();
  fn();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000;
}
const runs = { js: [], wasm: [] };
const sink = () => {};
for (let r = 0; r < args.reps + 1; r++) {
  const a = timed(() => {
    for (const text of texts) js.scan(text, sink);
  });
  const b = timed(() => {
    for (const text of texts) wasmScan(text);
  });
  if (r > 0) {
    runs.js.push(a);
    runs.wasm.push(b);
  }
}
console.log(`${patterns.length} CommandLine literals of ${rules.length} process_creation rules; ${states} states (${dense} dense) over UTF-8, ${js.stateCount} (${js.denseCount} dense) over UTF-16; ${texts.length.toLocaleString('en-US')} command lines, ${(units / texts.length).toFixed(0)} units each, ${(reported / 5000).toFixed(1)} literals found per line; equal answers on 5,000 lines`);
printTable(
  ['automaton', 'ns per code unit (CPU)', 'µs per command line', 'vs JS'],
  [
    ['JavaScript (UTF-16)', (median(runs.js) * 1e6) / units, (median(runs.js) * 1000) / texts.length, 1],
    ['AssemblyScript (UTF-8, encodeInto + scan)', (median(runs.wasm) * 1e6) / units, (median(runs.wasm) * 1000) / texts.length, median(runs.js) / median(runs.wasm)],
  ],
);
