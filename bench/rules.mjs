// The reference paper's evaluation workload, through Vigil and side by side with a hand-written
// JavaScript loop and json-rules-engine 7.3.1 doing the same work, in one run.
//
//   npm run bench -- rules            (builds dist/ first)
//   node bench/rules.mjs [--events N] [--reps N] [--quick]
//
//   node bench/rules.mjs --library    (the library rows only: both hand-written loops, with and without the index)
//
// Prints events/s medians and ratios; alerts are checked identical (count and an order-sensitive
// digest) across every engine. Targets (not tests, issue 16): 36 rules via the library ≥ 1.0× the
// indexed hand-written loop (rules by group and by the FILTER's `integer`); 1,000 rules ≥ 1.0× the
// same loop and ≥ 50 % of the 36-rule throughput; via the CLI ≥ 80 % of the hand-written loop over
// JSON lines; sandbox-only ≥ 150k events/s.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine as JsonRulesEngine } from 'json-rules-engine';
import { createEngine } from '../dist/node.js';
import { median, parseBenchArgs, printTable, summaryRow } from './lib.mjs';
import { iocEntries as thesisIocEntries, makeEvents as makeThesisEvents, ruleSpecs, vgl } from './thesis-workload.mjs';

const argv = process.argv.slice(2);
const args = { ...parseBenchArgs(argv.filter((a) => a !== '--library'), { events: 200_000, reps: 5 }), library: argv.includes('--library') };
const EVENTS = args.events;
const REPS = args.reps;
const IOC_SIZE = args.quick ? 100_000 : 1_000_000;
const root = fileURLToPath(new URL('..', import.meta.url));
/** Events per `engine.push` (and per call of the hand-written loops' timed batches). */
const BATCH = 1024;

const makeEvents = (n) => makeThesisEvents(n);
const iocEntries = () => thesisIocEntries(IOC_SIZE);

// ── peers ──────────────────────────────────────────────────────────────────

/** What a person would write by hand for the same rules. */
function handWrittenLoop(specs, iocSet) {
  const regex = /([A-Za-z]+) V[0-9]*/;
  const rules = specs.map(({ g, i }) => ({ group: `Group${g}`, i, tag: `id_tag_${i}`, name: `G${g}.id${i}` }));
  return (events, out) => {
    for (const event of events) {
      for (const rule of rules) {
        if (event.groupName !== rule.group) continue;
        if (regex.test(event.groupTag) && event.integer == rule.i && event.tag == rule.tag && iocSet.has(event.tag)) {
          out.push({ ...event, rule: rule.name });
        }
      }
    }
  };
}

/**
 * What a competent person would write by hand: rules indexed by group and then by the `integer`
 * their FILTER compares with, so an event meets only the rules of its (group, integer); the regex,
 * the tag and the IOC list are checked for those alone.
 */
function indexedHandWrittenLoop(specs, iocSet) {
  const regex = /([A-Za-z]+) V[0-9]*/;
  const byGroup = new Map();
  for (const { g, i } of specs) {
    let byInteger = byGroup.get(`Group${g}`);
    if (!byInteger) byGroup.set(`Group${g}`, (byInteger = new Map()));
    let rules = byInteger.get(i);
    if (!rules) byInteger.set(i, (rules = []));
    rules.push({ tag: `id_tag_${i}`, name: `G${g}.id${i}` });
  }
  return (events, out) => {
    for (const event of events) {
      const rules = byGroup.get(event.groupName)?.get(event.integer);
      if (rules === undefined) continue;
      for (const rule of rules) {
        if (regex.test(event.groupTag) && event.tag == rule.tag && iocSet.has(event.tag)) out.push({ ...event, rule: rule.name });
      }
    }
  };
}

async function jsonRulesEngineRun(specs, iocSet, events) {
  const engine = new JsonRulesEngine([], { allowUndefinedFacts: true });
  engine.addOperator('matchesRegex', (value, pattern) => new RegExp(pattern).test(value));
  engine.addOperator('inIoc', (value) => iocSet.has(value));
  for (const { g, i } of specs) {
    engine.addRule({
      name: `G${g}.id${i}`,
      conditions: {
        all: [
          { fact: 'groupName', operator: 'equal', value: `Group${g}` },
          { fact: 'groupTag', operator: 'matchesRegex', value: '([A-Za-z]+) V[0-9]*' },
          { fact: 'integer', operator: 'equal', value: i },
          { fact: 'tag', operator: 'equal', value: `id_tag_${i}` },
          { fact: 'tag', operator: 'inIoc', value: true },
        ],
      },
      event: { type: 'alert' },
    });
  }
  let alerts = 0;
  const start = performance.now();
  for (const event of events) alerts += (await engine.run(event)).events.length;
  return { seconds: (performance.now() - start) / 1000, alerts };
}

// ── measurements ───────────────────────────────────────────────────────────

async function vigilRun(specs, entries, events, sandboxOnly, equalityIndex = true) {
  const engine = await createEngine({ sandboxOnly, outOfOrderMs: 0, equalityIndex });
  engine.iocs.create('id_list', { capacity: entries.length, falsePositiveRate: 0.001 });
  engine.iocs.add('id_list', entries);
  const result = engine.putRules(vgl(specs));
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  let alerts = 0;
  let digest = 0;
  engine.onAlert((alert) => {
    alerts++;
    digest = alertDigest(digest, alert);
  });
  settle();
  const batchMs = [];
  const start = performance.now();
  for (let i = 0; i < events.length; i += BATCH) {
    const t = performance.now();
    engine.push(events.slice(i, i + BATCH));
    batchMs.push(performance.now() - t);
  }
  const seconds = (performance.now() - start) / 1000;
  engine.dispose();
  return { seconds, alerts, digest, batchMs };
}

/**
 * Every timed run (of every engine and peer) starts after a full GC when node runs with
 * --expose-gc (`npm run bench` does), so no run pays for the garbage its set-up left — loading the
 * 1M-entry IOC list into a fresh engine leaves a lot.
 */
function settle() {
  globalThis.gc?.();
}

/**
 * An order-sensitive digest of alerts (rule and event time), so "alerts identical" is checked, not
 * only their count: every engine here raises alerts in event order, rules in file order.
 */
function alertDigest(digest, alert) {
  const text = `${alert.rule}@${alert.timestamp}`;
  for (let i = 0; i < text.length; i++) digest = (Math.imul(digest, 31) + text.charCodeAt(i)) | 0;
  return digest;
}

function timeHandLoop(specs, iocSet, events, loop = handWrittenLoop) {
  const run = loop(specs, iocSet);
  const out = [];
  settle();
  const batchMs = [];
  const start = performance.now();
  // In the batches Vigil gets (sliced the same way), each timed, for the per-batch minimum.
  for (let i = 0; i < events.length; i += BATCH) {
    const t = performance.now();
    run(events.slice(i, i + BATCH), out);
    batchMs.push(performance.now() - t);
  }
  const seconds = (performance.now() - start) / 1000;
  return { seconds, alerts: out.length, digest: out.reduce(alertDigest, 0), batchMs };
}

/** The hand-written loop over the JSON-lines file: read, split, parse, match. */
function timeHandLoopOverFile(specs, iocSet, file) {
  const run = handWrittenLoop(specs, iocSet);
  const start = performance.now();
  const text = readFileSync(file, 'utf8');
  const out = [];
  let from = 0;
  const batch = [];
  while (from < text.length) {
    let to = text.indexOf('\n', from);
    if (to < 0) to = text.length;
    if (to > from) batch.push(JSON.parse(text.slice(from, to)));
    if (batch.length === 1024) {
      run(batch, out);
      batch.length = 0;
    }
    from = to + 1;
  }
  run(batch, out);
  return { seconds: (performance.now() - start) / 1000, alerts: out.length };
}

/** The CLI's total time on an empty input: loading QuickJS, the WebAssembly, the rules and the 1M-entry IOC list. */
function cliStartup(specs, dir) {
  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, '');
  return timeCli(specs, dir, empty, false).seconds;
}

function timeCli(specs, dir, eventsFile, sandboxOnly) {
  const rulesFile = join(dir, `rules-${specs.length}.vgl`);
  writeFileSync(rulesFile, vgl(specs));
  const outFile = join(dir, 'alerts.jsonl');
  const argv = [join(root, 'bin/vigil'), 'run', '--rules', rulesFile, '--ioc', `id_list=${join(dir, 'ioc.txt')}`, '--out', outFile, '--out-of-order', '0'];
  if (sandboxOnly) argv.push('--sandbox-only');
  argv.push(eventsFile);
  const start = performance.now();
  const child = spawnSync(process.execPath, argv, { encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  if (child.status !== 0) throw new Error(`vigil run failed: ${child.stderr}`);
  const alerts = readFileSync(outFile, 'utf8').split('\n').filter(Boolean).length;
  return { seconds, alerts };
}

/**
 * Medians of whole runs, and (for runs timed batch by batch) the rate from each batch's fastest
 * time over the runs: on this shared 2-core machine a run is often preempted, a 1,024-event batch
 * (a fraction of a millisecond) seldom, so the per-batch minimum shows the ratio with little of
 * the machine's load in it.
 */
async function repeat(label, reps, fn) {
  const rates = [];
  let alerts;
  let digest;
  let fastest;
  let events;
  for (let r = 0; r < reps; r++) {
    const result = await fn();
    if (alerts !== undefined && alerts !== result.alerts) throw new Error(`${label}: alert count changed between runs`);
    alerts = result.alerts;
    digest = result.digest;
    events = result.events;
    rates.push(result.events / result.seconds);
    if (result.batchMs) fastest = fastest ? fastest.map((ms, k) => Math.min(ms, result.batchMs[k])) : result.batchMs;
  }
  const batchMinRate = fastest ? events / (fastest.reduce((a, b) => a + b, 0) / 1000) : undefined;
  return { label, rate: median(rates), batchMinRate, alerts, digest };
}

async function main() {
  console.log(`Vigil rules benchmark — ${EVENTS.toLocaleString()} events, ${IOC_SIZE.toLocaleString()} IOC entries, median of ${REPS} runs, node ${process.version}\n`);
  const events = makeEvents(EVENTS);
  const entries = iocEntries();
  const iocSet = new Set(entries);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const eventsFile = join(dir, 'events.jsonl');
  writeFileSync(eventsFile, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  writeFileSync(join(dir, 'ioc.txt'), entries.join('\n') + '\n');

  const rows = [];
  const same = (label, a, b) => {
    if (a.alerts !== b.alerts || a.digest !== b.digest) throw new Error(`alerts differ (${label}): ${a.label} ${a.alerts}, ${b.label} ${b.alerts}`);
  };
  const libraryAt36 = {};
  for (const perGroup of args.library ? [6] : [1, 2, 3, 4, 5, 6]) {
    const specs = ruleSpecs(perGroup);
    const hand = await repeat('hand', REPS, () => ({ ...timeHandLoop(specs, iocSet, events), events: EVENTS }));
    const lib = await repeat('lib', REPS, async () => ({ ...(await vigilRun(specs, entries, events, false)), events: EVENTS }));
    same(`${specs.length} rules`, lib, hand);
    rows.push([`${specs.length} rules`, 'library, fast path', lib.rate, hand.rate, lib.rate / hand.rate, lib.alerts]);
    if (perGroup === 6) Object.assign(libraryAt36, { lib, hand });
  }

  const specs36 = ruleSpecs(6);
  const indexed36 = await repeat('indexed36', REPS, () => ({ ...timeHandLoop(specs36, iocSet, events, indexedHandWrittenLoop), events: EVENTS }));
  same('36 rules', libraryAt36.lib, indexed36);
  rows.push(['36 rules', 'library vs the indexed hand-written loop', libraryAt36.lib.rate, indexed36.rate, libraryAt36.lib.rate / indexed36.rate, libraryAt36.lib.alerts]);
  if (!args.library) {
    const sandbox = await repeat('sandbox', Math.min(REPS, 3), async () => ({ ...(await vigilRun(specs36, entries, events, true)), events: EVENTS }));
    same('36 rules, sandbox', sandbox, libraryAt36.hand);
    rows.push(['36 rules', 'library, --sandbox-only', sandbox.rate, libraryAt36.hand.rate, sandbox.rate / libraryAt36.hand.rate, sandbox.alerts]);
  }
  const noIndex36 = await repeat('noIndex36', Math.min(REPS, 3), async () => ({ ...(await vigilRun(specs36, entries, events, false, false)), events: EVENTS }));
  same('36 rules, no index', noIndex36, libraryAt36.hand);
  rows.push(['36 rules', 'library, without the rules index', noIndex36.rate, libraryAt36.hand.rate, noIndex36.rate / libraryAt36.hand.rate, noIndex36.alerts]);

  const specs1000 = ruleSpecs(167).slice(0, 1000);
  const hand1000 = await repeat('hand1000', Math.min(REPS, 3), () => ({ ...timeHandLoop(specs1000, iocSet, events), events: EVENTS }));
  const indexed1000 = await repeat('indexed1000', REPS, () => ({ ...timeHandLoop(specs1000, iocSet, events, indexedHandWrittenLoop), events: EVENTS }));
  const lib1000 = await repeat('lib1000', REPS, async () => ({ ...(await vigilRun(specs1000, entries, events, false)), events: EVENTS }));
  same('1000 rules', lib1000, hand1000);
  same('1000 rules, indexed loop', lib1000, indexed1000);
  rows.push(['1000 rules', 'library, fast path', lib1000.rate, hand1000.rate, lib1000.rate / hand1000.rate, lib1000.alerts]);
  rows.push(['1000 rules', 'library vs the indexed hand-written loop', lib1000.rate, indexed1000.rate, lib1000.rate / indexed1000.rate, lib1000.alerts]);
  const noIndex1000 = await repeat('noIndex1000', Math.min(REPS, 3), async () => ({ ...(await vigilRun(specs1000, entries, events, false, false)), events: EVENTS }));
  same('1000 rules, no index', noIndex1000, hand1000);
  rows.push(['1000 rules', 'library, without the rules index', noIndex1000.rate, hand1000.rate, noIndex1000.rate / hand1000.rate, noIndex1000.alerts]);

  const summary = () => {
    console.log(`\nVigil vs the indexed hand-written loop: ${(libraryAt36.lib.rate / indexed36.rate).toFixed(2)}× at 36 rules, ${(lib1000.rate / indexed1000.rate).toFixed(2)}× at 1,000 rules (targets ≥ 1.0×)`);
    console.log(`1,000 rules vs 36 rules (library): ${((lib1000.rate / libraryAt36.lib.rate) * 100).toFixed(0)} % (target ≥ 50 %)`);
    const perBatch = (a, b) => `${Math.round(a.batchMinRate).toLocaleString('en-US')} vs ${Math.round(b.batchMinRate).toLocaleString('en-US')} events/s, ${(a.batchMinRate / b.batchMinRate).toFixed(2)}×`;
    console.log(`per-batch minimum over the runs, Vigil vs the indexed loop: 36 rules ${perBatch(libraryAt36.lib, indexed36)}; 1,000 rules ${perBatch(lib1000, indexed1000)}; 1,000 vs 36 rules ${((lib1000.batchMinRate / libraryAt36.lib.batchMinRate) * 100).toFixed(0)} %`);
    console.log(`rules index: ${(libraryAt36.lib.rate / noIndex36.rate).toFixed(1)}× at 36 rules, ${(lib1000.rate / noIndex1000.rate).toFixed(1)}× at 1,000 rules`);
    const row36 = libraryAt36.lib.rate / indexed36.rate;
    const row1000 = lib1000.rate / indexed1000.rate;
    summaryRow({ bench: 'rules', workload: 'thesis workload, 36 rules, library (peer: indexed hand-written loop)', vigil: libraryAt36.lib.rate, peer: indexed36.rate, unit: 'events/s', ratio: row36, target: '≥ 1.0×', met: row36 >= 1 });
    summaryRow({ bench: 'rules', workload: 'same, 1,000 rules (peer: indexed hand-written loop)', vigil: lib1000.rate, peer: indexed1000.rate, unit: 'events/s', ratio: row1000, target: '≥ 1.0×', met: row1000 >= 1 });
    summaryRow({ bench: 'rules', workload: '1,000 rules against Vigil at 36 rules', vigil: lib1000.rate, peer: libraryAt36.lib.rate, unit: 'events/s', ratio: lib1000.rate / libraryAt36.lib.rate, target: '≥ 0.5×', met: lib1000.rate / libraryAt36.lib.rate >= 0.5 });
  };
  if (args.library) {
    printTable(['workload', 'engine', 'events/s', 'peer events/s', 'ratio', 'alerts'], rows);
    summary();
    rmSync(dir, { recursive: true, force: true });
    return;
  }

  const handFile = await repeat('handFile', REPS, () => ({ ...timeHandLoopOverFile(specs36, iocSet, eventsFile), events: EVENTS }));
  const cli = await repeat('cli', Math.min(REPS, 3), () => ({ ...timeCli(specs36, dir, eventsFile, false), events: EVENTS }));
  const cliSandbox = await repeat('cliSandbox', Math.min(REPS, 3), () => ({ ...timeCli(specs36, dir, eventsFile, true), events: EVENTS }));
  rows.push(['36 rules', 'CLI over JSON lines', cli.rate, handFile.rate, cli.rate / handFile.rate, cli.alerts]);
  const startup = median([0, 1, 2].map(() => cliStartup(specs36, dir)));
  const cliSteady = EVENTS / (EVENTS / cli.rate - startup);
  rows.push(['36 rules', `CLI, less ${startup.toFixed(2)} s start-up`, cliSteady, handFile.rate, cliSteady / handFile.rate, cli.alerts]);
  rows.push(['36 rules', 'CLI, --sandbox-only', cliSandbox.rate, handFile.rate, cliSandbox.rate / handFile.rate, cliSandbox.alerts]);

  const jreEvents = events.slice(0, Math.min(EVENTS, args.quick ? 5_000 : 20_000));
  const jre = await repeat('jre', Math.min(REPS, 3), async () => ({ ...(await jsonRulesEngineRun(specs36, iocSet, jreEvents)), events: jreEvents.length }));
  rows.push(['36 rules', `json-rules-engine 7.3.1 (${jreEvents.length.toLocaleString()} events)`, jre.rate, libraryAt36.hand.rate, jre.rate / libraryAt36.hand.rate, '—']);

  printTable(['workload', 'engine', 'events/s', 'peer events/s', 'ratio', 'alerts'], rows);
  console.log(`\nVigil library vs json-rules-engine at 36 rules: ${(libraryAt36.lib.rate / jre.rate).toFixed(1)}×`);
  summary();
  console.log('ratio = Vigil ÷ peer; the peer of the library rows is the hand-written loop over in-memory events,');
  console.log('the peer of the CLI rows the hand-written loop reading and parsing the same JSON-lines file.');
  rmSync(dir, { recursive: true, force: true });
}

await main();
