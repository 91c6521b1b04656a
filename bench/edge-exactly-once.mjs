#!/usr/bin/env node
/**
 * Exactly-once ingest under kill -9, 20 kills per runtime (workerd with 4 Durable Object
 * partitions, Deno, Node): the server is SIGKILLed a random time into a request (up to twice a
 * request's usual time), restarted on its storage, and the batch resent; the final alerts are
 * compared with an uninterrupted run. Once with Idempotency-Key (every batch resent with its key,
 * answered ones too) and once without (only unanswered batches resent: how clients retried before).
 *
 *   npm run build && node bench/edge-exactly-once.mjs [--kills 20] [--seed N] [--runtimes workerd,deno,node]
 *
 * The harness is test/edge/kill-harness.ts, bundled here with esbuild.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { kills: { type: 'string', default: '20' }, seed: { type: 'string', default: String(Date.now() % 1_000_000) }, runtimes: { type: 'string', default: 'workerd,deno,node' } } });
const kills = Number(values.kills);
const seed = Number(values.seed);

// Two levels below the root, like the Node server bundle: src/wasm/load-node.ts finds build/vigil.wasm from there.
const outdir = join(root, 'build', `edge-bench-${process.pid}`);
await build({
  entryPoints: { harness: join(root, 'test/edge/kill-harness.ts'), rekey: join(root, 'test/edge/rekey-case.ts'), runtimes: join(root, 'test/conformance/runtimes.ts') },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outdir,
  logLevel: 'warning',
});
const harness = await import(pathToFileURL(join(outdir, 'harness.js')).href);
const { rekeyCase, referenceAlerts, PARTITION_FIELD } = await import(pathToFileURL(join(outdir, 'rekey.js')).href);
const { buildEdge } = await import(pathToFileURL(join(outdir, 'runtimes.js')).href);

let bundles;
try {
  bundles = { ...buildEdge(), node: await harness.buildNodeServer() };
  const testCase = rekeyCase(100 * (kills + 4));
  const batches = harness.inBatches(testCase.eventLines, 100);
  const expected = await referenceAlerts(testCase);
  console.log(`seed ${seed}; ${batches.length} requests of 100 events; ${kills} kills per run; ${expected.length} alerts expected`);
  console.log('runtime  keys  kills unanswered partial replayed  alerts  lost  duplicated  answers-differ  vs-one-engine');
  for (const runtime of values.runtimes.split(',')) {
    const vars = runtime === 'workerd' ? { VIGIL_PARTITIONS: '4', VIGIL_PARTITION_FIELD: PARTITION_FIELD } : {};
    const calm = await harness.runWithKills(harness.launcher(runtime, bundles, vars), testCase, batches, new Map(), 'calm');
    const reference = harness.difference(expected, calm.alerts);
    const typical = [...calm.latencies].sort((a, b) => a - b)[calm.latencies.length >> 1];
    for (const keyed of [true, false]) {
      const plan = harness.killPlan(batches.length, kills, Math.max(5, 2 * typical), harness.seededRandom(seed));
      const run = await harness.runWithKills(harness.launcher(runtime, bundles, vars), testCase, batches, plan, keyed ? 'kill' : undefined);
      const { lost, duplicated } = harness.difference(calm.alerts, run.alerts);
      const same = reference.lost.length + reference.duplicated.length === 0 ? 'same' : `differs (${reference.lost.length}/${reference.duplicated.length})`;
      console.log(
        [runtime.padEnd(8), (keyed ? 'yes' : 'no').padEnd(5), String(run.kills).padStart(5), String(run.unanswered).padStart(10), String(run.partial).padStart(7), String(run.replayed).padStart(8), String(run.alerts.length).padStart(7), String(lost.length).padStart(5), String(duplicated.length).padStart(11), String(run.answerMismatches.length).padStart(15), same.padStart(14)].join(' '),
      );
    }
    console.log(`${runtime}: typical request ${typical.toFixed(1)} ms; kill delays drawn from 0–${Math.max(5, 2 * typical).toFixed(0)} ms`);
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
  if (bundles) rmSync(dirname(bundles.node), { recursive: true, force: true });
}
