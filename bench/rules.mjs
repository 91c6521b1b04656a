// The reference paper's evaluation workload, through Vigil and side by side with a hand-written
// JavaScript loop and json-rules-engine 7.3.1 doing the same work, in one run.
//
//   npm run bench -- rules            (builds dist/ first)
//   node bench/rules.mjs [--events N] [--reps N] [--quick]
//
// Prints events/s medians and ratios. Targets (not tests): 36 rules via the library ≥ 40 % of the
// hand-written loop; via the CLI ≥ 80 % of the hand-written loop over JSON lines; sandbox-only
// ≥ 150k events/s; 1,000 rules ≥ 50 % of the 36-rule throughput.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine as JsonRulesEngine } from 'json-rules-engine';
import { createEngine } from '../dist/node.js';
import { median, parseBenchArgs, printTable } from './lib.mjs';
import { iocEntries as thesisIocEntries, makeEvents as makeThesisEvents, ruleSpecs, vgl } from './thesis-workload.mjs';

const args = parseBenchArgs(process.argv.slice(2), { events: 200_000, reps: 5 });
const EVENTS = args.events;
const REPS = args.reps;
const IOC_SIZE = args.quick ? 100_000 : 1_000_000;
const root = fileURLToPath(new URL('..', import.meta.url));

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
  engine.onAlert(() => alerts++);
  const batch = 1024;
  const start = performance.now();
  for (let i = 0; i < events.length; i += batch) engine.push(events.slice(i, i + batch));
  const seconds = (performance.now() - start) / 1000;
  engine.dispose();
  return { seconds, alerts };
}

function timeHandLoop(specs, iocSet, events) {
  const run = handWrittenLoop(specs, iocSet);
  const out = [];
  const start = performance.now();
  run(events, out);
  return { seconds: (performance.now() - start) / 1000, alerts: out.length };
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

async function repeat(label, reps, fn) {
  const rates = [];
  let alerts;
  for (let r = 0; r < reps; r++) {
    const result = await fn();
    if (alerts !== undefined && alerts !== result.alerts) throw new Error(`${label}: alert count changed between runs`);
    alerts = result.alerts;
    rates.push(result.events / result.seconds);
  }
  return { label, rate: median(rates), alerts };
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
  const libraryAt36 = {};
  for (const perGroup of [1, 2, 3, 4, 5, 6]) {
    const specs = ruleSpecs(perGroup);
    const hand = await repeat('hand', REPS, () => ({ ...timeHandLoop(specs, iocSet, events), events: EVENTS }));
    const lib = await repeat('lib', REPS, async () => ({ ...(await vigilRun(specs, entries, events, false)), events: EVENTS }));
    if (lib.alerts !== hand.alerts) throw new Error(`alert counts differ at ${specs.length} rules: vigil ${lib.alerts}, hand ${hand.alerts}`);
    rows.push([`${specs.length} rules`, 'library, fast path', lib.rate, hand.rate, lib.rate / hand.rate, lib.alerts]);
    if (perGroup === 6) Object.assign(libraryAt36, { lib, hand });
  }

  const specs36 = ruleSpecs(6);
  const sandbox = await repeat('sandbox', Math.min(REPS, 3), async () => ({ ...(await vigilRun(specs36, entries, events, true)), events: EVENTS }));
  rows.push(['36 rules', 'library, --sandbox-only', sandbox.rate, libraryAt36.hand.rate, sandbox.rate / libraryAt36.hand.rate, sandbox.alerts]);

  const noIndex36 = await repeat('noIndex36', Math.min(REPS, 3), async () => ({ ...(await vigilRun(specs36, entries, events, false, false)), events: EVENTS }));
  rows.push(['36 rules', 'library, without the rules index', noIndex36.rate, libraryAt36.hand.rate, noIndex36.rate / libraryAt36.hand.rate, noIndex36.alerts]);

  const specs1000 = ruleSpecs(167).slice(0, 1000);
  const hand1000 = await repeat('hand1000', Math.min(REPS, 3), () => ({ ...timeHandLoop(specs1000, iocSet, events), events: EVENTS }));
  const lib1000 = await repeat('lib1000', Math.min(REPS, 3), async () => ({ ...(await vigilRun(specs1000, entries, events, false)), events: EVENTS }));
  rows.push(['1000 rules', 'library, fast path', lib1000.rate, hand1000.rate, lib1000.rate / hand1000.rate, lib1000.alerts]);
  const noIndex1000 = await repeat('noIndex1000', Math.min(REPS, 3), async () => ({ ...(await vigilRun(specs1000, entries, events, false, false)), events: EVENTS }));
  rows.push(['1000 rules', 'library, without the rules index', noIndex1000.rate, hand1000.rate, noIndex1000.rate / hand1000.rate, noIndex1000.alerts]);

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
  console.log(`1,000 rules vs 36 rules (library): ${((lib1000.rate / libraryAt36.lib.rate) * 100).toFixed(0)} %`);
  console.log(`rules index: ${(libraryAt36.lib.rate / noIndex36.rate).toFixed(1)}× at 36 rules, ${(lib1000.rate / noIndex1000.rate).toFixed(1)}× at 1,000 rules`);
  console.log('ratio = Vigil ÷ peer; the peer of the library rows is the hand-written loop over in-memory events,');
  console.log('the peer of the CLI rows the hand-written loop reading and parsing the same JSON-lines file.');
  rmSync(dir, { recursive: true, force: true });
}

await main();
