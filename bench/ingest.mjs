// Ingest (issue 16, item 2): `vigil run` on the thesis workload, whole process, against a peer that
// reads the same file and JSON.parses every line and does nothing else (also a whole process).
// Vigil decodes lazily (src/io/lazy-jsonl.ts: one byte scan per line, in WebAssembly, only the
// fields the rules route and filter on, whole events only for matches); VIGIL_JSON_SCAN=ts scans in
// TypeScript, VIGIL_EAGER_DECODE=1 decodes every line with JSON.parse, for comparison — the alerts of both must be byte-identical or the figures mean
// nothing. Target: vigil run ≥ 1.5× faster than read + JSON.parse.
//
//   npm run bench -- ingest            (builds dist/ first)
//   node bench/ingest.mjs [--events N] [--reps N] [--quick]
//
// Runs alternate (peer, lazy, eager, …) so a busy machine slows them alike. Then, in this process,
// where the time goes: decoding alone (no rules), eager against lazy, the scan alone, and the
// guarded run's split of lazy decoding between its reading thread (span tables) and its engine
// thread (events from the tables).
import { spawnSync } from 'node:child_process';
import { appendFileSync, createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childCpuSeconds, median, parseBenchArgs, printTable, summaryRow } from './lib.mjs';
import { iocEntries, makeEvents, ruleSpecs, vgl } from './thesis-workload.mjs';

// The peer, when this file is run as it: read the file, JSON.parse every line, nothing else.
if (process.argv[2] === '--peer') {
  const decoder = new TextDecoder();
  let rest = '';
  let events = 0;
  for await (const chunk of createReadStream(process.argv[3], { highWaterMark: 1 << 20 })) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
    rest = lines.pop();
    for (const line of lines) if (line) (JSON.parse(line), events++);
  }
  if (rest) (JSON.parse(rest), events++);
  console.log(events);
  process.exit(0);
}

const args = parseBenchArgs(process.argv.slice(2), { events: 1_000_000, reps: 3 });
const root = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-ingest-'));
const eventsFile = join(dir, 'events.jsonl');
const rulesFile = join(dir, 'rules.vgl');
const iocFile = join(dir, 'ioc.txt');
writeFileSync(eventsFile, '');
for (let done = 0, seed = 42; done < args.events; seed++) {
  const events = makeEvents(Math.min(100_000, args.events - done), seed);
  appendFileSync(eventsFile, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  done += events.length;
}
writeFileSync(rulesFile, vgl(ruleSpecs(6)));
writeFileSync(iocFile, iocEntries(args.quick ? 10_000 : 100_000).join('\n') + '\n');


function timed(argv, env) {
  const cpuBefore = childCpuSeconds();
  const start = performance.now();
  const child = spawnSync(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  const seconds = (performance.now() - start) / 1000;
  if (child.status !== 0) throw new Error(`${argv.join(' ')} failed: ${child.stderr}`);
  return { seconds, cpu: childCpuSeconds() - cpuBefore, stdout: child.stdout, stderr: child.stderr };
}

function vigil(mode, threads) {
  const out = join(dir, `alerts-${mode}-${threads}.jsonl`);
  const run = timed([join(root, 'bin/vigil'), 'run', '--threads', String(threads), '--rules', rulesFile, '--ioc', `id_list=${iocFile}`, '--out', out, eventsFile], {
    VIGIL_EAGER_DECODE: mode === 'eager' ? '1' : '0',
    VIGIL_JSON_SCAN: mode === 'lazy-ts' ? 'ts' : 'wasm',
  });
  if (run.stderr) throw new Error(`vigil run wrote errors: ${run.stderr.slice(0, 500)}`);
  return { seconds: run.seconds, cpu: run.cpu, alerts: readFileSync(out) };
}

const megabytes = readFileSync(eventsFile).length / 1e6;
console.log(`Ingest — vigil run, ${args.events.toLocaleString()} thesis-workload events (${megabytes.toFixed(0)} MB), 36 rules, whole process; median of ${args.reps} alternating runs, node ${process.version}`);
console.log('The machine may be shared: compare the columns of one run, not runs of different days.\n');

const configs = [
  ['read + JSON.parse (peer)', () => timed([self, '--peer', eventsFile])],
  ['vigil run, lazy, 1 thread', () => vigil('lazy', 1)],
  ['vigil run, lazy, TypeScript scan, 1 thread', () => vigil('lazy-ts', 1)],
  ['vigil run, eager, 1 thread', () => vigil('eager', 1)],
  ['vigil run, lazy, 2 threads', () => vigil('lazy', 2)],
  ['vigil run, eager, 2 threads', () => vigil('eager', 2)],
];
const seconds = configs.map(() => []);
const cpu = configs.map(() => []);
let reference;
for (let r = 0; r < args.reps; r++) {
  configs.forEach(([name, run], i) => {
    const result = run();
    seconds[i].push(result.seconds);
    cpu[i].push(result.cpu);
    if (!result.alerts) return;
    if (reference !== undefined && !result.alerts.equals(reference)) throw new Error(`${name} wrote different alerts`);
    reference = result.alerts;
  });
}
const alerts = reference.toString().split('\n').filter(Boolean).length;
const peer = median(seconds[0]);
printTable(
  ['whole process', 'seconds', 'events/s', '× peer (peer s / s)', 'CPU s (all threads)', 'alerts (equal)'],
  configs.map(([name], i) => [name, median(seconds[i]), args.events / median(seconds[i]), peer / median(seconds[i]), median(cpu[i]), i === 0 ? '—' : alerts]),
);
const lazy1 = median(seconds[1]);
summaryRow({ bench: 'ingest', workload: `vigil run, ${args.events.toLocaleString('en-US')} events, lazy, whole process (peer: read + JSON.parse)`, vigil: args.events / lazy1, peer: args.events / peer, unit: 'events/s', ratio: peer / lazy1, target: '≥ 1.5×', met: peer / lazy1 >= 1.5 });
console.log(`\nvigil run (lazy, 1 thread) is ${(peer / lazy1).toFixed(2)}× read + JSON.parse (target ≥ 1.5×); lazy is ${(median(seconds[3]) / lazy1).toFixed(2)}× eager, the WebAssembly scan ${(median(seconds[2]) / lazy1).toFixed(2)}× the TypeScript one.`);

// Start-up (rules, IOC list, engine thread) is part of every vigil run: measured on an empty input.
const emptyFile = join(dir, 'empty.jsonl');
writeFileSync(emptyFile, '');
const startup = [];
for (let r = 0; r < args.reps; r++) {
  startup.push(timed([join(root, 'bin/vigil'), 'run', '--threads', '1', '--rules', rulesFile, '--ioc', `id_list=${iocFile}`, '--out', join(dir, 'none.jsonl'), emptyFile]).seconds);
}
console.log(`vigil run start-up on an empty input (1 thread): ${median(startup).toFixed(2)} s of the ${lazy1.toFixed(2)} s.`);

// ── where the time goes, in this process: decoding alone ───────────────────
const { JsonLinesDecoder } = await import(join(root, 'dist/io/from-jsonl.js'));
const { LazyJsonLines, useJsonScanModule } = await import(join(root, 'dist/io/lazy-jsonl.js'));
const { WasmJsonObjectScanner } = await import(join(root, 'dist/io/json-scan-wasm.js'));
const { loadJsonScanModuleNode } = await import(join(root, 'dist/wasm/load-node.js'));
const jsonScanModule = await loadJsonScanModuleNode();
const { JsonObjectScanner } = await import(join(root, 'dist/io/json-scan.js'));
const { scanLineSpans } = await import(join(root, 'dist/io/line-spans.js'));
const bytes = readFileSync(eventsFile);
const chunks = [];
for (let at = 0; at < bytes.length; at += 1 << 20) chunks.push(bytes.subarray(at, at + (1 << 20)));
const FIELDS = ['groupName', 'groupTag', 'integer', 'tag'];
/** CPU seconds of this thread's work in `work` (less disturbed by a busy machine than wall time). */
function cpuSeconds(work) {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}
function decodeAll(lazy, module) {
  useJsonScanModule(module);
  let events = 0;
  const decoder = new JsonLinesDecoder(lazy ? { lazy: new LazyJsonLines(FIELDS, { format: 'jsonl' }) } : {});
  const handlers = { onEvent: () => events++, onError: (e) => { throw new Error(e.reason); } };
  const seconds = cpuSeconds(() => {
    for (const chunk of chunks) decoder.push(chunk, handlers);
    decoder.end(handlers);
  });
  if (events !== args.events) throw new Error(`decoded ${events} events`);
  return seconds;
}
// The guarded run's split: the reading thread scans pieces of whole lines into span tables, the
// engine thread builds events from them (src/io/line-spans.ts, JsonLinesDecoder.pushScanned).
const pieces = [];
for (let at = 0; at < bytes.length; ) {
  let end = at;
  let lines = 0;
  while (lines < 4096 && end < bytes.length) {
    end = bytes.indexOf(10, end) + 1;
    lines++;
  }
  pieces.push({ bytes: Uint8Array.prototype.slice.call(bytes, at, end), lines });
  at = end;
}
let tables;
function scanTables() {
  useJsonScanModule(jsonScanModule);
  const scanner = new WasmJsonObjectScanner(jsonScanModule, FIELDS, undefined, true);
  return cpuSeconds(() => {
    tables = pieces.map((piece) => scanLineSpans(scanner, piece.bytes, 0, piece.lines));
  });
}
function decodeTables() {
  useJsonScanModule(jsonScanModule);
  let events = 0;
  const decoder = new JsonLinesDecoder({ lazy: new LazyJsonLines(FIELDS, { format: 'jsonl' }) });
  const handlers = { onEvent: () => events++, onError: (e) => { throw new Error(e.reason); } };
  const seconds = cpuSeconds(() => pieces.forEach((piece, i) => decoder.pushScanned(piece.bytes, tables[i], handlers)));
  if (events !== args.events) throw new Error(`decoded ${events} events from tables`);
  return seconds;
}
function scanAll(scanner = new JsonObjectScanner(FIELDS)) {
  let accepted = 0;
  const seconds = cpuSeconds(() => {
    for (let at = 0; at < bytes.length; ) {
      let end = bytes.indexOf(10, at);
      if (end < 0) end = bytes.length;
      if (scanner.scan(bytes, at, end)) accepted++;
      at = end + 1;
    }
  });
  if (accepted !== args.events) throw new Error(`scanned ${accepted} events`);
  return seconds;
}
const parts = [
  ['eager: TextDecoder + JSON.parse per line', () => decodeAll(false)],
  ['lazy: scan + 4 fields + the line kept (TypeScript scan)', () => decodeAll(true)],
  ['lazy: the same, WebAssembly scan (as vigil run)', () => decodeAll(true, jsonScanModule)],
  ['the scan alone (validation, spans; TypeScript)', () => scanAll()],
  ['the scan alone (validation, spans; WebAssembly)', () => scanAll(new WasmJsonObjectScanner(jsonScanModule, FIELDS))],
  ['guarded, reading thread: span tables of 4,096-line pieces (WebAssembly)', scanTables],
  ['guarded, engine thread: 4 fields + the line kept, from the tables', decodeTables],
];
const partSeconds = parts.map(() => []);
for (let r = 0; r < args.reps; r++) parts.forEach(([, run], i) => partSeconds[i].push(run()));
console.log('\nDecoding alone, in this process (no rules, no engine; CPU seconds):\n');
printTable(
  ['decode', 'CPU s', 'ns/line', 'MB/s'],
  parts.map(([name], i) => [name, median(partSeconds[i]), (median(partSeconds[i]) * 1e9) / args.events, megabytes / median(partSeconds[i])]),
);

rmSync(dir, { recursive: true, force: true });
