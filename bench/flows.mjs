// Flow benchmarks: decode rate (records/s) for NetFlow v5, v9 and IPFIX; K-Means/KNN training and
// scoring beside scikit-learn (python3 with python3-sklearn) on the same features.
// Runs the built code: `npm run build` first (dist/). `node bench/flows.mjs [--quick]`
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, summaryRow } from './lib.mjs';

const quick = process.argv.includes('--quick');
const root = fileURLToPath(new URL('..', import.meta.url));
// VIGIL_DIST points at another build of src/ (the default is the package's dist/)
const dist = process.env.VIGIL_DIST ?? join(root, 'dist');
const { NetflowDecoder } = await import(join(dist, 'io/from-netflow.js'));
const ml = await import(join(dist, 'ml/index.js'));
const sim = await import(join(dist, 'simulate/index.js'));

// --- datagrams ------------------------------------------------------------------------------
const u16 = (v) => [v >>> 8, v & 255];
const u32 = (v) => [...u16(Math.floor(v / 65536)), ...u16(v % 65536)];
const record = (i) => [10, 0, (i >> 8) & 255, i & 255, 10, 2, 0, 1, ...u16(40000 + (i % 1000)), ...u16(443), 6, 27, ...u32(1500 * 10), ...u32(10), ...u32(90000), ...u32(95000)];
const FIELDS = [[8, 4], [12, 4], [7, 2], [11, 2], [4, 1], [6, 1], [1, 4], [2, 4], [22, 4], [21, 4]];
const template = (id) => [...u16(id), ...u16(FIELDS.length), ...FIELDS.flatMap(([t, l]) => [...u16(t), ...u16(l)])];
const set = (id, body) => [...u16(id), ...u16(body.length + 4), ...body];
function v5() {
  const out = [...u16(5), ...u16(30), ...u32(100000), ...u32(1767225600), ...u32(0), ...u32(1), 0, 0, 0, 0];
  for (let i = 0; i < 30; i++) out.push(10, 0, 0, i, 10, 2, 0, 1, 0, 0, 0, 0, 0, 1, 0, 2, ...u32(10), ...u32(15000), ...u32(90000), ...u32(95000), ...u16(40000 + i), ...u16(443), 0, 27, 6, 0, 0, 0, 0, 0, 24, 24, 0, 0);
  return Uint8Array.from(out);
}
function v9(withTemplate) {
  const data = set(256, Array.from({ length: 30 }, (_, i) => record(i)).flat());
  const sets = withTemplate ? [...set(0, template(256)), ...data] : data;
  return Uint8Array.from([...u16(9), ...u16(31), ...u32(100000), ...u32(1767225600), ...u32(1), ...u32(0), ...sets]);
}
function ipfix(withTemplate) {
  const data = set(256, Array.from({ length: 30 }, (_, i) => record(i)).flat());
  const sets = withTemplate ? [...set(2, template(256)), ...data] : data;
  return Uint8Array.from([...u16(10), ...u16(16 + sets.length), ...u32(1767225600), ...u32(1), ...u32(0), ...sets]);
}

function decodeRate(name, first, packet) {
  const d = new NetflowDecoder();
  d.decode(first, '192.0.2.1');
  const n = quick ? 20_000 : 100_000;
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    let flows = 0;
    for (let i = 0; i < n; i++) flows += d.decode(packet, '192.0.2.1').flows.length;
    runs.push(flows / ((performance.now() - t) / 1000));
  }
  return { name, recordsPerSec: median(runs) };
}

const rates = [decodeRate('NetFlow v5', v5(), v5()), decodeRate('NetFlow v9', v9(true), v9(false)), decodeRate('IPFIX', ipfix(true), ipfix(false))];
console.log('\nFlow decoding (30 records per datagram, median of 5)');
console.log('| format | records/s |');
console.log('|---|---:|');
for (const r of rates) console.log(`| ${r.name} | ${Math.round(r.recordsPerSec).toLocaleString('en')} |`);

// --- ML vs scikit-learn -----------------------------------------------------------------------
function rowsOf(seed, minutes) {
  const g = sim.createGenerator('flows', { seed, rate: 20, errorProbability: 0.05, clients: 100 });
  const sims = g.take(20 * 60 * minutes);
  const bad = new WeakSet(sims.filter((s) => s.anomaly).map((s) => s.event));
  const rows = ml.flowFeatures(sims.map((s) => s.event), 60_000, (f) => bad.has(f));
  return { rows, truth: rows.map((r) => r.anomalies * 2 > r.labelled) };
}
const csv = ({ rows, truth }) => `b,f,p,d,ports,anomaly\n${rows.map((r, i) => `${r.features.join(',')},${truth[i] ? 1 : 0}`).join('\n')}\n`;
const train = rowsOf(21, quick ? 10 : 20);
const test = rowsOf(22, quick ? 5 : 10);
const t0 = performance.now();
const model = ml.trainModel(train.rows.map((r) => r.features), { truth: train.truth });
const trainMs = performance.now() - t0;
const t1 = performance.now();
const predicted = test.rows.map((r) => ml.classify(model, r.features).label);
const scoreMs = performance.now() - t1;
const accuracy = predicted.filter((l, i) => (l === 'anomalous') === test.truth[i]).length / test.rows.length;

const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import sklearn']).status === 0);
console.log(`\nK-Means (k by silhouette 2..20, 10 restarts) + KNN (36, distance-weighted): ${train.rows.length} training rows, ${test.rows.length} scored`);
if (!python) {
  console.log(`| step | vigil ms |\n|---|---:|\n| train | ${trainMs.toFixed(0)} |\n| score | ${scoreMs.toFixed(1)} |`);
  console.log('(scikit-learn not installed: apt-get install python3-sklearn)');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  writeFileSync(join(dir, 'train.csv'), csv(train));
  writeFileSync(join(dir, 'test.csv'), csv(test));
  const py = spawnSync(python, [join(root, 'test/ml/sklearn_parity.py'), join(dir, 'train.csv'), join(dir, 'test.csv')], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  const sk = JSON.parse(py.stdout);
  console.log('| step | vigil ms | scikit-learn ms | vigil / sklearn |');
  console.log('|---|---:|---:|---:|');
  console.log(`| train (scale, k-means × 19 k, silhouette) | ${trainMs.toFixed(0)} | ${sk.trainMs.toFixed(0)} | ${(trainMs / sk.trainMs).toFixed(2)} |`);
  summaryRow({ bench: 'flows', workload: 'flow model training (k-means), vs scikit-learn', vigil: trainMs, peer: sk.trainMs, unit: 'ms', ratio: sk.trainMs / trainMs });
  summaryRow({ bench: 'flows', workload: 'flow model scoring (KNN), vs scikit-learn', vigil: scoreMs, peer: sk.scoreMs, unit: 'ms', ratio: sk.scoreMs / scoreMs });
  console.log(`| score (KNN) | ${scoreMs.toFixed(1)} | ${sk.scoreMs.toFixed(1)} | ${(scoreMs / sk.scoreMs).toFixed(2)} |`);
  console.log(`k: vigil ${model.k}, scikit-learn ${sk.k}; KNN accuracy: vigil ${(accuracy * 100).toFixed(2)} %, scikit-learn ${(sk.accuracy * 100).toFixed(2)} %`);
}

// --- the detection pack on simulated flows ------------------------------------------------------
// Vigil runs rules/flows/port-scan.vgl and ssh-bruteforce.vgl (three rules: sliding windows of
// 60 s by 1 s and 300 s by 5 s); the peer is the same detections hand-written in JavaScript, an
// array of flows per window (each flow pushed into every window it belongs to), evaluated at the
// end. Both must raise the same alerts. Then the whole pack (every rule in rules/flows) alone.
const { createNodeEngine } = await import(join(dist, 'runtime/node.js'));

const packFlows = (() => {
  const g = sim.createGenerator('flows', { seed: 11, rate: 200, errorProbability: 0.05, clients: 200 });
  return g.take(quick ? 60_000 : 300_000).map((s) => s.event);
})();
const isSyn = (e) => e['network.iana_number'] === 6 && e['tcp.flags'] === 2;
const isSshAttempt = (e) =>
  e['network.iana_number'] === 6 && e['destination.port'] === 22 && e['source.port'] > 1024 &&
  e['network.packets'] >= 10 && e['network.packets'] <= 20 && e['network.bytes'] >= 1800 && e['network.bytes'] <= 5000 &&
  e['event.end'] - e['event.start'] < 12_000;

function handWritten(flows) {
  const windows = [
    { name: 'tcp horizontal port scan', test: isSyn, key: (e) => `${e['source.ip']}|${e['destination.port']}`, distinct: 'destination.ip', length: 60_000, slide: 1000, min: 20, map: new Map() },
    { name: 'tcp vertical port scan', test: isSyn, key: (e) => `${e['source.ip']}|${e['destination.ip']}`, distinct: 'destination.port', length: 60_000, slide: 1000, min: 20, map: new Map() },
    { name: 'ssh brute force', test: isSshAttempt, key: (e) => e['source.ip'], distinct: 'destination.ip', length: 300_000, slide: 5000, min: 10, map: new Map() },
  ];
  for (const e of flows) {
    for (const w of windows) {
      if (!w.test(e)) continue;
      const t = e['event.start'];
      const k = w.key(e);
      for (let start = Math.floor(t / w.slide) * w.slide; start > t - w.length; start -= w.slide) {
        const id = `${k}|${start}`;
        const list = w.map.get(id);
        if (list) list.push(e);
        else w.map.set(id, [e]);
      }
    }
  }
  const alerts = [];
  for (const w of windows) {
    for (const [id, list] of w.map) {
      if (list.length < w.min) continue;
      alerts.push(`${w.name}|${id}|${list.length}|${new Set(list.map((e) => e[w.distinct])).size}`);
    }
  }
  return alerts;
}

async function vigilPack(files, flows) {
  const engine = await createNodeEngine({ outOfOrderMs: 0 });
  for (const f of files) engine.addRules(readFileSync(join(root, 'rules/flows', f), 'utf8'), { file: f });
  const alerts = [];
  engine.onAlert((a) => alerts.push(a));
  const t = performance.now();
  for (let i = 0; i < flows.length; i += 1000) engine.push(flows.slice(i, i + 1000));
  engine.flush();
  const ms = performance.now() - t;
  engine.dispose();
  return { ms, alerts };
}
const detectionKey = (a) => {
  const key = a.rule === 'ssh brute force' ? a.source : `${a.source}|${a.port ?? a.target}`;
  const count = a.flows ?? a.attempts;
  const distinct = a.hosts ?? a.ports ?? a.targets.length;
  return `${a.rule}|${key}|${a.windowStart}|${count}|${distinct}`;
};

const reps = quick ? 3 : 5;
const detectionFiles = ['port-scan.vgl', 'ssh-bruteforce.vgl'];
const vigilMs = [];
const peerMs = [];
let vigilAlerts = [];
let peerAlerts = [];
for (let r = 0; r < reps; r++) {
  const v = await vigilPack(detectionFiles, packFlows);
  vigilMs.push(v.ms);
  vigilAlerts = v.alerts.map(detectionKey);
  const t = performance.now();
  peerAlerts = handWritten(packFlows);
  peerMs.push(performance.now() - t);
}
const agree = JSON.stringify([...vigilAlerts].sort()) === JSON.stringify([...peerAlerts].sort());
const packFiles = readdirSync(join(root, 'rules/flows')).filter((f) => f.endsWith('.vgl')).sort();
const wholeMs = [];
let wholeAlerts = 0;
for (let r = 0; r < reps; r++) {
  const v = await vigilPack(packFiles, packFlows);
  wholeMs.push(v.ms);
  wholeAlerts = v.alerts.length;
}
const rate = (ms) => Math.round(packFlows.length / (ms / 1000));
console.log(`\nDetection pack on ${packFlows.length.toLocaleString('en')} simulated flows (medians of ${reps})`);
console.log('| rules | vigil flows/s | hand-written flows/s | vigil / hand-written |');
console.log('|---|---:|---:|---:|');
console.log(`| port scans + SSH brute force (3 rules, ${vigilAlerts.length} alerts) | ${rate(median(vigilMs)).toLocaleString('en')} | ${rate(median(peerMs)).toLocaleString('en')} | ${(median(peerMs) / median(vigilMs)).toFixed(2)} |`);
console.log(`| the whole pack (${packFiles.length} files, ${wholeAlerts} alerts) | ${rate(median(wholeMs)).toLocaleString('en')} | — | — |`);
summaryRow({ bench: 'flows', workload: 'port scans + SSH brute force, 3 rules', vigil: rate(median(vigilMs)), peer: rate(median(peerMs)), unit: 'flows/s', ratio: median(peerMs) / median(vigilMs) });
if (!agree) {
  console.log(`DISAGREEMENT: vigil raised ${vigilAlerts.length} alerts, the hand-written peer ${peerAlerts.length}`);
  process.exitCode = 1;
}
