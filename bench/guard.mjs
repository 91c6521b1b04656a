// What the outer guard costs: bench/rules.mjs's thesis workload (36 rules, a regex, comparisons and
// a 1M-entry IOC list per event) through `vigil run` with the guard (the default: the engine on a
// worker thread under the watchdog) and with --no-guard (the engine on the main thread).
//
//   npm run bench -- guard            (builds dist/ first)
//   node bench/guard.mjs [--events N] [--reps N] [--quick]
//
// Runs alternate (guarded, unguarded, guarded, …) so a busy machine slows both alike. Prints the
// median events/s of each, end to end and less start-up (the same command on an empty input), and
// their ratio. Target (not a test): the guarded CLI within 10 % of the unguarded one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childCpuSeconds, median, parseBenchArgs, printTable } from './lib.mjs';
import { iocEntries, makeEvents, ruleSpecs, vgl } from './thesis-workload.mjs';

const args = parseBenchArgs(process.argv.slice(2), { events: 200_000, reps: 5 });
const IOC_SIZE = args.quick ? 100_000 : 1_000_000;
const root = fileURLToPath(new URL('..', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-guard-'));
const eventsFile = join(dir, 'events.jsonl');
const emptyFile = join(dir, 'empty.jsonl');
const rulesFile = join(dir, 'rules.vgl');
writeFileSync(eventsFile, makeEvents(args.events).map((e) => JSON.stringify(e)).join('\n') + '\n');
writeFileSync(emptyFile, '');
writeFileSync(rulesFile, vgl(ruleSpecs(6)));
writeFileSync(join(dir, 'ioc.txt'), iocEntries(IOC_SIZE).join('\n') + '\n');


/** One `vigil run`: seconds of wall time and of CPU, and the alerts it wrote. */
function timeCli(guard, input) {
  const cpuBefore = childCpuSeconds();
  const out = join(dir, 'alerts.jsonl');
  const argv = [join(root, 'bin/vigil'), 'run', ...(guard ? [] : ['--no-guard']), '--rules', rulesFile, '--ioc', `id_list=${join(dir, 'ioc.txt')}`, '--out', out, '--out-of-order', '0', input];
  const start = performance.now();
  const child = spawnSync(process.execPath, argv, { encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  if (child.status !== 0) throw new Error(`vigil run failed: ${child.stderr}`);
  return { seconds, cpu: childCpuSeconds() - cpuBefore, alerts: readFileSync(out, 'utf8') };
}

console.log(`Vigil outer guard — ${args.events.toLocaleString()} events, 36 rules, ${IOC_SIZE.toLocaleString()} IOC entries, median of ${args.reps} alternating runs, node ${process.version}\n`);
const seconds = { guarded: [], unguarded: [], guardedStartup: [], unguardedStartup: [] };
const cpu = { guarded: [], unguarded: [], guardedStartup: [], unguardedStartup: [] };
let reference;
for (let r = 0; r < args.reps; r++) {
  for (const guard of [true, false]) {
    const run = timeCli(guard, eventsFile);
    // The guard is a drop-in: the same alerts, byte for byte, or the figures mean nothing.
    if (reference !== undefined && run.alerts !== reference) throw new Error('guarded and unguarded runs wrote different alerts');
    reference = run.alerts;
    seconds[guard ? 'guarded' : 'unguarded'].push(run.seconds);
    cpu[guard ? 'guarded' : 'unguarded'].push(run.cpu);
    const startup = timeCli(guard, emptyFile);
    seconds[guard ? 'guardedStartup' : 'unguardedStartup'].push(startup.seconds);
    cpu[guard ? 'guardedStartup' : 'unguardedStartup'].push(startup.cpu);
  }
}
const alerts = reference.split('\n').filter(Boolean).length;
const rate = (s) => args.events / median(s);
const steady = (total, startup) => args.events / (median(total) - median(startup));
const rows = [
  ['CLI end to end', rate(seconds.guarded), rate(seconds.unguarded), rate(seconds.guarded) / rate(seconds.unguarded), alerts],
  ['CLI less start-up', steady(seconds.guarded, seconds.guardedStartup), steady(seconds.unguarded, seconds.unguardedStartup), steady(seconds.guarded, seconds.guardedStartup) / steady(seconds.unguarded, seconds.unguardedStartup), alerts],
  ['start-up (s)', median(seconds.guardedStartup), median(seconds.unguardedStartup), median(seconds.guardedStartup) / median(seconds.unguardedStartup), '—'],
  ['CPU end to end (s)', median(cpu.guarded), median(cpu.unguarded), median(cpu.guarded) / median(cpu.unguarded), '—'],
  ['CPU less start-up (s)', median(cpu.guarded) - median(cpu.guardedStartup), median(cpu.unguarded) - median(cpu.unguardedStartup), (median(cpu.guarded) - median(cpu.guardedStartup)) / (median(cpu.unguarded) - median(cpu.unguardedStartup)), '—'],
];
printTable(['workload', 'guarded events/s', '--no-guard events/s', 'ratio', 'alerts'], rows);
console.log('\nratio = guarded ÷ --no-guard (for the rows in seconds: guarded seconds ÷ unguarded seconds, lower is better).');
console.log('CPU = user + system seconds of the vigil process, all threads (Linux); steadier than wall time on a busy machine.');
console.log(`runs (s): guarded ${seconds.guarded.map((s) => s.toFixed(2)).join(' ')}; --no-guard ${seconds.unguarded.map((s) => s.toFixed(2)).join(' ')}`);
rmSync(dir, { recursive: true, force: true });
