// The native fast path after the hardening of issue 11 (a cost analysis decides what compiles
// natively; regexes it cannot prove linear run on re2js): the thesis workload (36 rules, IOC FILTERS
// over 100k entries) through the library, natively and with every function in the sandbox, beside
// the same with a build from before the hardening when VIGIL_BASELINE_DIST names one — in one run,
// medians, the alerts of every variant asserted equal.
//   node bench/native-path.mjs [--events N] [--reps N] [--quick]   (after npm run build)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseBenchArgs } from './lib.mjs';
import { iocEntries, makeEvents, ruleSpecs, vgl } from './thesis-workload.mjs';

const args = parseBenchArgs(process.argv.slice(2), { events: 200_000, reps: 5 });
const root = fileURLToPath(new URL('..', import.meta.url));
const dists = [['this build', join(root, 'dist')]];
if (process.env.VIGIL_BASELINE_DIST) dists.unshift(['before the hardening', process.env.VIGIL_BASELINE_DIST]);
const specs = ruleSpecs(6);
const entries = iocEntries(100_000);
const events = makeEvents(args.events);

async function runOnce(createEngine, sandboxOnly) {
  const engine = await createEngine({ sandboxOnly, outOfOrderMs: 0 });
  engine.iocs.create('id_list', { capacity: entries.length, falsePositiveRate: 0.001 });
  engine.iocs.add('id_list', entries);
  const result = engine.putRules(vgl(specs));
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  let count = 0;
  engine.onAlert(() => count++);
  globalThis.gc?.();
  const started = performance.now();
  for (let i = 0; i < events.length; i += 1024) engine.push(events.slice(i, i + 1024));
  engine.flush();
  const rate = events.length / ((performance.now() - started) / 1000);
  engine.dispose();
  return { rate, alerts: count };
}

// Variants take turns within each repetition, so that warm-up and the machine's load fall on all alike.
const variants = [];
for (const [label, dir] of dists) {
  const { createEngine } = await import(join(dir, 'node.js'));
  for (const sandboxOnly of [false, true]) variants.push({ label: `${label}, ${sandboxOnly ? 'sandbox only' : 'native where possible'}`, createEngine, sandboxOnly, rates: [], alerts: 0 });
}
for (const v of variants) await runOnce(v.createEngine, v.sandboxOnly); // warm-up
for (let rep = 0; rep < args.reps; rep++) {
  for (const v of variants) {
    const { rate, alerts } = await runOnce(v.createEngine, v.sandboxOnly);
    v.rates.push(rate);
    v.alerts = alerts;
  }
}
const rows = variants.map((v) => ({ label: v.label, rate: median(v.rates), alerts: v.alerts }));
if (new Set(rows.map((r) => r.alerts)).size !== 1) throw new Error(`alert counts differ: ${rows.map((r) => `${r.label}: ${r.alerts}`).join(', ')}`);
const reference = rows.find((r) => r.label === 'this build, native where possible').rate;
console.log(`\nThesis workload, 36 rules, ${events.length.toLocaleString('en')} events, library, median of ${args.reps} (${rows[0].alerts} alerts in every row)`);
console.log('| variant | events/s | ratio to this build, native |');
console.log('|---|---:|---:|');
for (const r of rows) console.log(`| ${r.label} | ${Math.round(r.rate).toLocaleString('en')} | ${(r.rate / reference).toFixed(2)} |`);
