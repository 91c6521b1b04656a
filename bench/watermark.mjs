// What event time per source costs: the flow pack (rules/flows) over simulated flows, with one
// source, with 1,000 sources (each flow's exporter from `observer.ip`, as `vigil collect` does per
// exporter), and, when VIGIL_BASELINE_DIST names a build from before per-source watermarks, that
// build — all in one run, as medians, with the alerts of every variant asserted equal.
// `node bench/watermark.mjs [--quick]` after `npm run build`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib.mjs';

const quick = process.argv.includes('--quick');
const root = fileURLToPath(new URL('..', import.meta.url));
const dist = process.env.VIGIL_DIST ?? join(root, 'dist');
const baselineDist = process.env.VIGIL_BASELINE_DIST;
const sim = await import(join(dist, 'simulate/index.js'));
const readRules = (dir) => readdirSync(dir).filter((f) => f.endsWith('.vgl')).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]);
const rules = readRules(join(root, 'rules/flows'));
// The pack changes with the engine (utils.distinct, the DDoS attackers): a baseline build runs the
// pack of its own time, VIGIL_BASELINE_RULES, and only its rate is compared.
const baselineRules = process.env.VIGIL_BASELINE_RULES ? readRules(process.env.VIGIL_BASELINE_RULES) : rules;

const count = quick ? 60_000 : 300_000;
const generator = sim.createGenerator('flows', { seed: 5, rate: 2000, errorProbability: 0.02, clients: 400 });
const flows = generator.take(count).map((s, i) => ({ ...s.event, 'observer.ip': `192.0.${(i % 1000) >> 8}.${i % 1000 & 255}` }));
const BATCH = 1000;

async function measure(label, distDir, options, perBatchSource, pack = rules) {
  const { createNodeEngine } = await import(join(distDir, 'runtime/node.js'));
  const rates = [];
  let alerts;
  for (let rep = 0; rep < (quick ? 3 : 5); rep++) {
    const engine = await createNodeEngine({ outOfOrderMs: 60_000, ...options });
    for (const [file, text] of pack) {
      const result = engine.addRules(text, { file });
      if (!result.ok) throw new Error(`${file}: ${JSON.stringify(result.diagnostics)}`);
    }
    const out = [];
    engine.onAlert((a) => out.push(a));
    globalThis.gc?.();
    const started = performance.now();
    for (let i = 0; i < flows.length; i += BATCH) engine.push(flows.slice(i, i + BATCH), perBatchSource ? { source: 'exporter' } : undefined);
    engine.flush();
    rates.push(flows.length / ((performance.now() - started) / 1000));
    engine.dispose();
    alerts = JSON.stringify(out);
  }
  return { label, rate: median(rates), alerts };
}

// More sources close windows later (the slowest source holds them), so alerts may come out in another order.
const sortedAlerts = (json) => JSON.stringify(JSON.parse(json).map((a) => JSON.stringify(a)).sort());
const results = [];
if (baselineDist) results.push(await measure('before per-source event time (baseline build)', baselineDist, {}, false, baselineRules));
results.push(await measure('one source', dist, {}, true));
results.push(await measure('1,000 sources (watermarkBy observer.ip)', dist, { watermarkBy: 'observer.ip' }, false));
const current = results.filter((r) => !r.label.includes('baseline'));
if (baselineDist && baselineRules === rules && sortedAlerts(results[0].alerts) !== sortedAlerts(current[0].alerts)) throw new Error('alerts of the baseline build differ');
for (const r of current.slice(1)) {
  if (sortedAlerts(r.alerts) !== sortedAlerts(current[0].alerts)) throw new Error(`alerts of "${r.label}" differ from "${results[0].label}"`);
}
const reference = results[0].rate;
console.log(`\nFlow pack over ${count.toLocaleString('en')} simulated flows, batches of ${BATCH}, median of ${quick ? 3 : 5} (the same alerts in every row)`);
console.log(`| variant | flows/s | ratio to "${results[0].label}" |`);
console.log('|---|---:|---:|');
for (const r of results) console.log(`| ${r.label} | ${Math.round(r.rate).toLocaleString('en')} | ${(r.rate / reference).toFixed(2)} |`);
