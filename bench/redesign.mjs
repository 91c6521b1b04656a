// The engine after the plan/state split (issue 13) against a build from before it
// (VIGIL_BASELINE_DIST, e.g. a worktree of the previous commit after `npm run build`): the same
// three workloads through the library in one run, variants taking turns within each repetition,
// medians, ratios, and the alerts of both builds asserted equal as multisets (the order of
// re-entered alerts changed on purpose).
//   - rules: the thesis workload (36 rules, IOC FILTERS over 100k entries)
//   - state machines: one STATE MACHINE rule over 10k keys, TIMEOUT, in event time
//   - windows: a sliding-window aggregation (1 min / 10 s) over 5k keys with HAVING
//   node bench/redesign.mjs [--events N] [--reps N] [--quick]   (after npm run build)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseBenchArgs, seededRandom } from './lib.mjs';
import { iocEntries, makeEvents, ruleSpecs, vgl } from './thesis-workload.mjs';

const args = parseBenchArgs(process.argv.slice(2), { events: 200_000, reps: 5 });
const root = fileURLToPath(new URL('..', import.meta.url));
const baseline = process.env.VIGIL_BASELINE_DIST;
if (!baseline) {
  console.log('VIGIL_BASELINE_DIST is not set: nothing to compare this build with (see the header of bench/redesign.mjs).');
  process.exit(0);
}
const builds = [
  ['before the split', baseline],
  ['this build', join(root, 'dist')],
];
const T0 = Date.UTC(2026, 0, 1);

function machineEvents(n) {
  const rand = seededRandom(7);
  const steps = ['syn', 'ack', 'data', 'data', 'fin'];
  const out = [];
  const at = new Map();
  for (let i = 0; i < n; i++) {
    const src = `10.${(i * 7919) % 40}.${Math.floor(rand() * 250)}.1`;
    const k = at.get(src) ?? 0;
    at.set(src, k + 1);
    // One step in 50 is out of protocol.
    out.push({ kind: 'tcp', src, step: rand() < 0.02 ? 'rst' : steps[k % steps.length], ts: T0 + i * 5 });
  }
  return out;
}

function windowEvents(n) {
  const rand = seededRandom(11);
  return Array.from({ length: n }, (_, i) => ({ kind: 'auth', user: `u${Math.floor(rand() * 5000)}`, outcome: rand() < 0.3 ? 'failure' : 'success', ts: T0 + i * 3 }));
}

const workloads = [
  {
    name: 'rules (thesis workload, 36 rules)',
    events: makeEvents(args.events),
    setUp(engine) {
      const entries = iocEntries(100_000);
      engine.iocs.create('id_list', { capacity: entries.length, falsePositiveRate: 0.001 });
      engine.iocs.add('id_list', entries);
      return vgl(ruleSpecs(6));
    },
  },
  {
    name: 'state machines (10k keys, TIMEOUT)',
    events: machineEvents(args.events),
    setUp: () => `RULE "tcp protocol" SOURCES kind = "tcp" USING ts
STATE MACHINE BY src ON step
  INITIAL: syn -> SYN;
  SYN: ack -> OPEN;
  OPEN: data -> OPEN, fin -> TERM;
TIMEOUT 30:sec
SINK function (v) { return { src: v.key.src, state: v.state, step: v.eventType }; }`,
  },
  {
    name: 'windows (sliding 1 min / 10 s, 5k keys, HAVING)',
    events: windowEvents(args.events),
    setUp: () => `RULE "failures" SOURCES kind = "auth" FILTER function (e) { return e.outcome === 'failure'; } USING ts
AGGREGATE BY user WITHIN 1:min, 10:sec
HAVING function (events) { return events.length >= 5; }
SINK function (w) { return { user: w.user, failures: w.count }; }`,
  },
];

async function runOnce(createEngine, workload) {
  const engine = await createEngine({ outOfOrderMs: 1000, clock: () => T0 });
  const result = engine.putRules(workload.setUp(engine));
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  const alerts = [];
  engine.onAlert((a) => alerts.push(JSON.stringify(a)));
  globalThis.gc?.();
  const started = performance.now();
  for (let i = 0; i < workload.events.length; i += 1024) engine.push(workload.events.slice(i, i + 1024));
  engine.flush();
  const rate = workload.events.length / ((performance.now() - started) / 1000);
  engine.dispose();
  return { rate, alerts: alerts.sort() };
}

const engines = [];
for (const [label, dir] of builds) engines.push({ label, createEngine: (await import(join(dir, 'node.js'))).createEngine });
console.log(`\nThe engine before and after the plan/state split, ${args.events.toLocaleString('en')} events per workload, library, median of ${args.reps}`);
console.log('| workload | before, events/s | this build, events/s | ratio | alerts |');
console.log('|---|---:|---:|---:|---:|');
for (const workload of workloads) {
  const rates = engines.map(() => []);
  const alerts = [];
  for (const e of engines) await runOnce(e.createEngine, workload); // warm-up
  for (let rep = 0; rep < args.reps; rep++) {
    for (let k = 0; k < engines.length; k++) {
      const run = await runOnce(engines[k].createEngine, workload);
      rates[k].push(run.rate);
      alerts[k] = run.alerts;
    }
  }
  if (alerts[0].length !== alerts[1].length || alerts[0].some((a, i) => a !== alerts[1][i])) throw new Error(`${workload.name}: the two builds raise different alerts (${alerts[0].length} vs ${alerts[1].length})`);
  const [before, after] = rates.map(median);
  console.log(`| ${workload.name} | ${Math.round(before).toLocaleString('en')} | ${Math.round(after).toLocaleString('en')} | ${(after / before).toFixed(2)} | ${alerts[1].length} |`);
}
