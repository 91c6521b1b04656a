#!/usr/bin/env node
/**
 * State that scales: p99 of a 1,000-event POST /events with a 1M-entry IOC list loaded, on workerd
 * (4 Durable Object partitions), Deno and Node, with checkpoints on disk, before (the code of
 * `--before <commit>`, default the merge base with main) and after (this tree), with the ratios, in one run. Also the
 * time of the list's PUT and the bytes each request's checkpoint writes.
 *
 *   npm run build && node bench/edge-state.mjs [--before <commit>] [--entries 1000000] [--requests 150] [--runtimes workerd,deno,node]
 *
 * "Before" is built from `git archive <commit>` in a temporary directory (sharing node_modules and
 * build/), with this tree's test/edge/node-server-main.ts to start its Node server. Both load the
 * list with one PUT (VIGIL_MAX_BODY_BYTES raised to 64 MB for both); "after" sends an
 * Idempotency-Key with every POST (the ledger's cost included) unless --no-keys.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    entries: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '150' },
    warmup: { type: 'string', default: '10' },
    runtimes: { type: 'string', default: 'workerd,deno,node' },
    'no-keys': { type: 'boolean', default: false },
  },
});
// Default "before": where this branch left main (the code before these changes).
values.before ??= execFileSync('git', ['-C', root, 'merge-base', 'HEAD', 'main'], { encoding: 'utf8' }).trim().slice(0, 12);
const ENTRIES = Number(values.entries);
const REQUESTS = Number(values.requests);
const WARMUP = Number(values.warmup);
const TOKEN = 'bench-token';

// The harness (server starters), bundled two levels below the root like the Node server bundles.
const scratch = [];
const harnessDir = join(root, 'build', `edge-state-${process.pid}`);
scratch.push(harnessDir);
await build({ entryPoints: { runtimes: join(root, 'test/conformance/runtimes.ts'), harness: join(root, 'test/edge/kill-harness.ts') }, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outdir: harnessDir, logLevel: 'warning' });
const { startWorkerd, startDeno } = await import(pathToFileURL(join(harnessDir, 'runtimes.js')).href);
const { startNode } = await import(pathToFileURL(join(harnessDir, 'harness.js')).href);

/** The three servers built from a source tree. */
async function bundlesOf(tree, label) {
  const out = mkdtempSync(join(tmpdir(), `vigil-state-${label}-`));
  scratch.push(out);
  execFileSync(process.execPath, [join(tree, 'scripts/edge-build.mjs'), '--out', out], { stdio: 'pipe' });
  const nodeDir = join(tree, 'build', `edge-state-node-${label}-${process.pid}`);
  scratch.push(nodeDir);
  copyFileSync(join(root, 'test/edge/node-server-main.ts'), join(tree, 'test/edge/node-server-main.ts'));
  await build({ entryPoints: [join(tree, 'test/edge/node-server-main.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: join(nodeDir, 'server.mjs'), logLevel: 'warning' });
  return { workerd: join(out, 'workerd'), deno: join(out, 'deno'), node: join(nodeDir, 'server.mjs') };
}

/** `git archive <commit>` with this tree's node_modules and build/ linked in. */
function beforeTree(commit) {
  const tree = mkdtempSync(join(tmpdir(), 'vigil-before-'));
  scratch.push(tree);
  execFileSync('sh', ['-c', `git -C "${root}" archive "${commit}" src scripts assembly package.json test/edge | tar -x -C "${tree}"`]);
  symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
  mkdirSync(join(tree, 'build'));
  for (const file of readdirSync(join(root, 'build'))) if (statSync(join(root, 'build', file)).isFile()) symlinkSync(join(root, 'build', file), join(tree, 'build', file));
  return tree;
}

function start(runtime, bundles, storage) {
  const vars = { VIGIL_TOKEN: TOKEN, VIGIL_MAX_BODY_BYTES: String(64 * 1024 * 1024), ...(runtime === 'workerd' ? { VIGIL_PARTITIONS: '4', VIGIL_PARTITION_FIELD: 'src_ip' } : {}) };
  if (runtime === 'workerd') return startWorkerd(bundles.workerd, vars, storage);
  if (runtime === 'deno') return startDeno(bundles.deno, vars, join(storage, 'kv.sqlite'));
  return startNode(bundles.node, vars, storage);
}

const RULES = {
  'bad ip': 'RULE "bad ip"\nSOURCES kind = "conn"\nIOC FILTERS in bad_ips(dst_ip)\nSINK function (e) { return { src: e.src_ip, dst: e.dst_ip }; }',
  'fan-out': 'RULE "fan-out"\nSOURCES kind = "conn"\nUSING ts\nAGGREGATE BY src_ip\nWITHIN 1:min, 1:min\nHAVING function (events) { return events.length >= 50 ? { n: events.length } : null; }\nSINK function (a) { return a; }',
};
const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const listEntry = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function batch(n) {
  const lines = [];
  for (let i = 0; i < 1000; i++) {
    const at = n * 1000 + i;
    lines.push(JSON.stringify({ kind: 'conn', ts: T0 + at * 10, src_ip: `192.168.${at % 7}.${at % 50}`, dst_ip: at % 100 === 0 ? listEntry((at * 7919) % ENTRIES) : `172.16.${at % 255}.${at % 13}` }));
  }
  return lines.join('\n') + '\n';
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function must(response, what) {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${(await response.text()).slice(0, 300)}`);
  return response;
}

async function measure(runtime, bundles, keyed) {
  const storage = mkdtempSync(join(tmpdir(), `vigil-state-${runtime}-`));
  scratch.push(storage);
  const server = await start(runtime, bundles, storage);
  try {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const list = Array.from({ length: ENTRIES }, (_, i) => listEntry(i)).join('\n');
    const putStarted = performance.now();
    await must(await fetch(`${server.url}/iocs/bad_ips`, { method: 'PUT', headers: auth, body: list }), 'PUT /iocs/bad_ips');
    const putMs = performance.now() - putStarted;
    for (const [name, text] of Object.entries(RULES)) await must(await fetch(`${server.url}/rules/${encodeURIComponent(name)}`, { method: 'PUT', headers: auth, body: text }), `PUT /rules/${name}`);
    const times = [];
    for (let n = 0; n < WARMUP + REQUESTS; n++) {
      const body = batch(n);
      const started = performance.now();
      await must(await fetch(`${server.url}/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...(keyed ? { 'idempotency-key': `b${n}` } : {}) }, body }), 'POST /events');
      if (n >= WARMUP) times.push(performance.now() - started);
    }
    const alerts = await fetch(`${server.url}/alerts?limit=10000`).then((r) => r.text());
    return { putMs, p50: percentile(times, 50), p99: percentile(times, 99), alerts: alerts.split('\n').filter(Boolean).length, storageBytes: du(storage) };
  } finally {
    await server.stop('SIGKILL');
  }
}

function du(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? du(path) : statSync(path).size;
  }
  return total;
}

try {
  const before = await bundlesOf(beforeTree(values.before), 'before');
  const after = await bundlesOf(root, 'after');
  console.log(`${ENTRIES.toLocaleString('en')}-entry IOC list; ${REQUESTS} measured POSTs of 1,000 events (after ${WARMUP} warm-up); before = ${values.before}`);
  console.log('runtime   version  PUT list (ms)  POST p50 (ms)  POST p99 (ms)  alerts  storage (MB)');
  const rows = [];
  for (const runtime of values.runtimes.split(',')) {
    const b = await measure(runtime, before, false);
    const a = await measure(runtime, after, !values['no-keys']);
    for (const [label, m] of [['before', b], ['after', a]]) {
      console.log([runtime.padEnd(9), label.padEnd(7), m.putMs.toFixed(0).padStart(14), m.p50.toFixed(1).padStart(14), m.p99.toFixed(1).padStart(14), String(m.alerts).padStart(7), (m.storageBytes / 1e6).toFixed(1).padStart(13)].join(' '));
    }
    rows.push([runtime, b, a]);
  }
  console.log('\nratios before/after');
  for (const [runtime, b, a] of rows) console.log(`${runtime.padEnd(9)} POST p99 ×${(b.p99 / a.p99).toFixed(1)}  p50 ×${(b.p50 / a.p50).toFixed(1)}  PUT ×${(b.putMs / a.putMs).toFixed(1)}  (alerts: ${b.alerts} before, ${a.alerts} after)`);
} finally {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
}
