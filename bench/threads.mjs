// `vigil run --threads`: the thesis workload (36 simple rules: a regex, comparisons and an IOC list
// per event) through the real CLI with 1 and 2 threads, and a simulation of how the work spreads
// over 1–16 threads.
//
//   npm run bench -- threads            (builds dist/ first)
//   node bench/threads.mjs [--events N] [--reps N] [--quick]
//
// Runs alternate (1 thread, 2 threads, …) so a busy machine slows both alike; the alerts of every
// run must be byte-identical or the figures mean nothing. Target (issue 16): ≥ 1.8× on 2 cores.
//
// The simulation: work per thread as the run shares it, from the workload itself.
// - by range (what `vigil run --threads` does for simple rules over a plain file): each range of 16
//   batches (16,384 lines) goes to the first free thread, which reads its bytes itself; a range's
//   cost is modelled by its bytes (measured on the input). The main thread still reads the file
//   once to count newlines and cut the ranges (measured below: RangeCutter over the same file,
//   without rules), so with a share s of the work doing that, no number of threads makes the run
//   more than 1/s times faster: speed-up ≤ min(N / imbalance, 1 / s). (Stdin, gzip, --checkpoint
//   and --resume are cut into 1024-line blocks by the main thread and handed over: a larger s.)
// - by key (what the edge does for AGGREGATE BY / STATE MACHINE BY rules, src/edge/routing.ts): an
//   event goes to hash(key) mod N with the edge's own hash (partitionOf). Keys from the workload:
//   the thesis events' groupName (6 values), and for a per-user rule, 1,000 users drawn Zipf(1.1).
//   The busiest thread's share bounds the speed-up.
// - stateful, by key (the design for windows and state machines, not built: `vigil run` keeps them
//   on one thread, see src/cli/threads.ts): `vigil simulate network` traffic through a state
//   machine BY sourceAddress, its alert-fed windows BY networkId and windows BY networkId. Each
//   class's events go to hash(its key) mod N; a thread's load is the events of every class it owns.
//   For output equal to one thread the main thread would have to decode every line itself (to read
//   the keys and compute the watermark one engine would have) — measured here as JSON.parse of every
//   line plus the keys' hashes — which is the serial share that bounds it.
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childCpuSeconds, median, parseBenchArgs, printTable, seededRandom, summaryRow } from './lib.mjs';
import { iocEntries, makeEvents, ruleSpecs, vgl } from './thesis-workload.mjs';

const args = parseBenchArgs(process.argv.slice(2), { events: 1_000_000, reps: 3 });
const IOC_SIZE = args.quick ? 100_000 : 1_000_000;
const BATCH_LINES = 1024;
const root = fileURLToPath(new URL('..', import.meta.url));
const { partitionOf } = await import(join(root, 'dist/edge/routing.js'));
const { RangeCutter, RANGE_BATCHES } = await import(join(root, 'dist/cli/threads.js'));
const { groupKeyText } = await import(join(root, 'dist/lang/fields.js'));
const STATEFUL_EVENTS = Math.min(args.events, 500_000);
const STATEFUL_RULES = `${readFileSync(join(root, 'rules/network-protocol.vgl'), 'utf8')}
RULE "packets per network"
SOURCES kind = "packet"
USING timestamp
AGGREGATE BY networkId
WITHIN 10:sec, 5:sec
HAVING function (events) { return { networkId: events[0].networkId, packets: events.length, types: utils.distinct(events.map((e) => e.type)) }; }
SINK function (w) { return w; }
`;

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-threads-'));
const eventsFile = join(dir, 'events.jsonl');
const emptyFile = join(dir, 'empty.jsonl');
const rulesFile = join(dir, 'rules.vgl');
writeFileSync(eventsFile, '');
/** Per block: its bytes and the events of each group (for the by-key simulation). */
const groupsOfEvents = [];
for (let done = 0, seed = 42; done < args.events; seed++) {
  const events = makeEvents(Math.min(100_000, args.events - done), seed);
  for (const e of events) groupsOfEvents.push(e.groupName);
  appendFileSync(eventsFile, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  done += events.length;
}
writeFileSync(emptyFile, '');
writeFileSync(rulesFile, vgl(ruleSpecs(6)));
const statefulFile = join(dir, 'stateful.jsonl');
const statefulRules = join(dir, 'stateful.vgl');
writeFileSync(statefulRules, STATEFUL_RULES);
{
  const simulated = spawnSync(process.execPath, [join(root, 'bin/vigil'), 'simulate', 'network', '--count', String(STATEFUL_EVENTS), '--seed', '11', '--error-probability', '0.01', '--out', statefulFile], { encoding: 'utf8' });
  if (simulated.status !== 0) throw new Error(`vigil simulate failed: ${simulated.stderr}`);
}
writeFileSync(join(dir, 'ioc.txt'), iocEntries(IOC_SIZE).join('\n') + '\n');


/** One `vigil run`; the thesis rules must be shared between threads, the stateful ones run on one (and say so). */
function timeCli(threads, input, stateful = false) {
  const cpuBefore = childCpuSeconds();
  const out = join(dir, `alerts-${threads}.jsonl`);
  const rules = stateful ? ['--rules', statefulRules, '--out-of-order', '1000'] : ['--rules', rulesFile, '--ioc', `id_list=${join(dir, 'ioc.txt')}`];
  const argv = [join(root, 'bin/vigil'), 'run', '--threads', String(threads), ...rules, '--out', out, input];
  const start = performance.now();
  const child = spawnSync(process.execPath, argv, { encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  if (child.status !== 0) throw new Error(`vigil run failed: ${child.stderr}`);
  if (!stateful && /running on one thread/.test(child.stderr)) throw new Error(`the workload did not run in parallel: ${child.stderr}`);
  if (stateful && threads > 1 && !/running on one thread/.test(child.stderr)) throw new Error('the stateful workload was expected on one thread');
  return { seconds, cpu: childCpuSeconds() - cpuBefore, alerts: readFileSync(out) };
}

console.log(`Vigil run --threads — ${args.events.toLocaleString()} events (${(readFileSync(eventsFile).length / 1e6).toFixed(0)} MB), 36 rules, ${IOC_SIZE.toLocaleString()} IOC entries, median of ${args.reps} alternating runs, node ${process.version}`);
console.log('The machine may be shared: compare the two columns of one run, not runs of different days.');
const loadText = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`Load average before: ${loadText()} (1, 5, 15 min)\n`);
const seconds = { 1: [], 2: [] };
const startup = { 1: [], 2: [] };
const startupCpu = { 1: [], 2: [] };
const cpu = { 1: [], 2: [] };
const statefulSeconds = { 1: [], 2: [] };
const statefulStartup = { 1: [], 2: [] };
let reference;
let statefulReference;
for (let r = 0; r < args.reps; r++) {
  for (const threads of [1, 2]) {
    const run = timeCli(threads, eventsFile);
    if (reference !== undefined && !run.alerts.equals(reference)) throw new Error(`--threads ${threads} wrote different alerts`);
    reference = run.alerts;
    seconds[threads].push(run.seconds);
    cpu[threads].push(run.cpu);
    const empty = timeCli(threads, emptyFile);
    startup[threads].push(empty.seconds);
    startupCpu[threads].push(empty.cpu);
    const stateful = timeCli(threads, statefulFile, true);
    if (statefulReference !== undefined && !stateful.alerts.equals(statefulReference)) throw new Error(`--threads ${threads} wrote different alerts on the stateful workload`);
    statefulReference = stateful.alerts;
    statefulSeconds[threads].push(stateful.seconds);
    statefulStartup[threads].push(timeCli(threads, emptyFile, true).seconds);
  }
}
const sum = (values) => values.reduce((a, b) => a + b, 0);
console.log(`Load average after: ${loadText()} (1, 5, 15 min)`);
const alerts = reference.toString().split('\n').filter(Boolean).length;
const statefulAlerts = statefulReference.toString().split('\n').filter(Boolean).length;
const statefulRate = (t) => STATEFUL_EVENTS / median(statefulSeconds[t]);
const statefulSteady = (t) => STATEFUL_EVENTS / (median(statefulSeconds[t]) - median(statefulStartup[t]));
const rate = (t) => args.events / median(seconds[t]);
const steady = (t) => args.events / (median(seconds[t]) - median(startup[t]));
printTable(
  ['vigil run', '1 thread', '2 threads', 'ratio', 'alerts (equal)'],
  [
    ['events/s end to end', rate(1), rate(2), rate(2) / rate(1), alerts],
    ['events/s less start-up', steady(1), steady(2), steady(2) / steady(1), alerts],
    ['start-up (s)', median(startup[1]), median(startup[2]), median(startup[2]) / median(startup[1]), '—'],
    ['start-up CPU (s)', median(startupCpu[1]), median(startupCpu[2]), median(startupCpu[2]) / median(startupCpu[1]), '—'],
    ['CPU less start-up (s)', median(cpu[1]) - median(startupCpu[1]), median(cpu[2]) - median(startupCpu[2]), (median(cpu[2]) - median(startupCpu[2])) / (median(cpu[1]) - median(startupCpu[1])), '—'],
    ['CPU (s, median of runs)', median(cpu[1]), median(cpu[2]), median(cpu[2]) / median(cpu[1]), '—'],
    ['CPU (s, summed over runs)', sum(cpu[1]), sum(cpu[2]), sum(cpu[2]) / sum(cpu[1]), '—'],
    [`stateful (${STATEFUL_EVENTS.toLocaleString()} packets; one thread either way) events/s end to end`, statefulRate(1), statefulRate(2), statefulRate(2) / statefulRate(1), statefulAlerts],
    ['stateful events/s less start-up', statefulSteady(1), statefulSteady(2), statefulSteady(2) / statefulSteady(1), statefulAlerts],
  ],
);
summaryRow({ bench: 'threads', workload: `vigil run, thesis workload, 2 threads vs 1 (${args.events.toLocaleString('en-US')} events, end to end)`, vigil: rate(2), peer: rate(1), unit: 'events/s', ratio: rate(2) / rate(1), target: '≥ 1.8×', met: rate(2) / rate(1) >= 1.8 });
summaryRow({ bench: 'threads', workload: 'vigil run, stateful (windows, state machine), 2 threads vs 1: runs on one thread', vigil: statefulRate(2), peer: statefulRate(1), unit: 'events/s', ratio: statefulRate(2) / statefulRate(1), target: '≥ 1.8×', met: statefulRate(2) / statefulRate(1) >= 1.8 });

// ── the simulation ─────────────────────────────────────────────────────────
// Serial share: the main thread reads the file to count newlines and cut the ranges (and writes the
// alerts, small here) while the threads read and run them; measured by cutting without rules.
const cutStart = performance.now();
const cutCpuStart = process.cpuUsage();
const ranges = new RangeCutter(eventsFile, BATCH_LINES, RANGE_BATCHES, 'auto');
const blockBytes = [];
for await (const chunk of createReadStream(eventsFile, { highWaterMark: 1 << 20 })) for (const r of ranges.push(chunk)) blockBytes.push(r.end - r.start);
const last = ranges.end();
if (last) blockBytes.push(last.end - last.start);
const cutSeconds = (performance.now() - cutStart) / 1000;
const cutCpu = process.cpuUsage(cutCpuStart);
const cutCpuSeconds = (cutCpu.user + cutCpu.system) / 1e6;
const work1 = median(seconds[1]) - median(startup[1]);
// In CPU seconds, both: on a shared machine the wall time of either moves with the load.
const workCpu1 = median(cpu[1]) - median(startupCpu[1]);
const serial = Math.min(1, Math.max(0, cutCpuSeconds / workCpu1));

/** The busiest of `n` threads taking ranges (costs) first-free, over the mean: 1 is perfect balance. */
function blockImbalance(costs, n) {
  const load = new Array(n).fill(0);
  for (const c of costs) {
    let k = 0;
    for (let i = 1; i < n; i++) if (load[i] < load[k]) k = i;
    load[k] += c;
  }
  return Math.max(...load) / (load.reduce((a, b) => a + b, 0) / n);
}

/** The busiest of `n` partitions under the edge's hash, over the mean. */
function keyImbalance(keys, n) {
  const load = new Array(n).fill(0);
  const memo = new Map();
  for (const k of keys) {
    let p = memo.get(k);
    if (p === undefined) memo.set(k, (p = partitionOf(k, n)));
    load[p]++;
  }
  return Math.max(...load) / (keys.length / n);
}

const zipfUsers = (() => {
  const random = seededRandom(7);
  const weights = Array.from({ length: 1000 }, (_, i) => 1 / (i + 1) ** 1.1);
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative = [];
  let sum = 0;
  for (const w of weights) cumulative.push((sum += w / total));
  return Array.from({ length: Math.min(args.events, 200_000) }, () => {
    const x = random();
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return `user${lo}`;
  });
})();

console.log(`\nSimulated balance (1 = perfect) and speed-up bound for 1–16 threads. Serial share measured: reading the file and cutting ${blockBytes.length.toLocaleString()} ranges took ${cutCpuSeconds.toFixed(2)} CPU-s (${cutSeconds.toFixed(2)} s wall) of the 1-thread run's ${workCpu1.toFixed(2)} CPU-s less start-up (${work1.toFixed(2)} s wall) (${(serial * 100).toFixed(1)} %: at most ${(1 / serial).toFixed(1)}× however many threads).`);
const rows = [];
for (const n of [1, 2, 3, 4, 6, 8, 12, 16]) {
  const byRange = blockImbalance(blockBytes, n);
  const bound = Math.min(n / byRange, 1 / serial);
  const byGroup = keyImbalance(groupsOfEvents, n);
  const byUser = keyImbalance(zipfUsers, n);
  rows.push([n, byRange, bound, byGroup, n / byGroup, byUser, n / byUser]);
}
printTable(['threads', 'by range: busiest/mean', 'speed-up bound (main counts newlines)', 'by groupName (6 keys)', 'speed-up bound', 'by user (Zipf 1.1, 1k)', 'speed-up bound'], rows);

// Stateful partitioning: the main thread decodes every line (keys, watermark) for all threads.
const statefulLines = readFileSync(statefulFile, 'utf8').split('\n').filter(Boolean);
const decodeStart = performance.now();
/** Per event, the key text of each class: state machine BY sourceAddress, windows BY networkId (its own and the alert-fed rule's). */
const byAddress = [];
const byNetwork = [];
for (const line of statefulLines) {
  const e = JSON.parse(line);
  byAddress.push(groupKeyText([e.sourceAddress]));
  byNetwork.push(groupKeyText([e.networkId]));
}
const decodeSeconds = (performance.now() - decodeStart) / 1000;
const statefulWork1 = median(statefulSeconds[1]) - median(statefulStartup[1]);
const statefulSerial = Math.min(1, Math.max(0, decodeSeconds / statefulWork1));
const networks = new Set(byNetwork).size;
console.log(`\nStateful partitioning (simulated): ${statefulLines.length.toLocaleString()} packets, ${new Set(byAddress).size.toLocaleString()} addresses, ${networks} networks. The main thread's decoding of every line took ${decodeSeconds.toFixed(2)} s of the 1-thread run's ${statefulWork1.toFixed(2)} s (less start-up) (${(statefulSerial * 100).toFixed(1)} %: at most ${(1 / statefulSerial).toFixed(1)}×).`);
/** Each thread's load: the events of every class it owns; the busiest over the mean, and the classes' own bounds. */
function classImbalance(classes, n) {
  const load = new Array(n).fill(0);
  let total = 0;
  for (const keys of classes) {
    const memo = new Map();
    for (const k of keys) {
      let p = memo.get(k);
      if (p === undefined) memo.set(k, (p = partitionOf(k, n)));
      load[p]++;
      total++;
    }
  }
  return Math.max(...load) / (total / n);
}
const statefulRows = [];
for (const n of [1, 2, 3, 4, 6, 8, 12, 16]) {
  const machine = keyImbalance(byAddress, n);
  const windows = keyImbalance(byNetwork, n);
  const both = classImbalance([byAddress, byNetwork], n);
  statefulRows.push([n, machine, n / machine, windows, n / windows, both, Math.min(n / both, 1 / statefulSerial)]);
}
printTable(['threads', 'machine BY sourceAddress: busiest/mean', 'speed-up bound', `windows BY networkId (${networks} keys)`, 'speed-up bound', 'both classes', 'speed-up bound (main decodes for all)'], statefulRows);
rmSync(dir, { recursive: true, force: true });
