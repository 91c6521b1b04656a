// Thousands of Sigma rules at stream speed (issue 14, item 4): every process_creation rule of the
// SigmaHQ corpus (../shared/sigma) under the evtx-json pipeline, over a generated Sysmon EventID 1
// mix (bench/sigma-events.mjs: about 1 event in 10,000 an attack), through the library — and, in
// the same run, through the obvious hand-written design: each rule compiled to its own closure and
// every rule tried on every event (`perRulePeer` below). Alerts are checked equal (per rule, over
// the rules the peer can compile). Also: the whole corpus's load time through the library, memory.
//
//   npm run bench -- sigma            (builds dist/ first)
//   node bench/sigma.mjs [--events N] [--reps N] [--quick]
//
// Targets (issue 14): ≥ 20× the per-rule peer, ≥ 200,000 events/s, the whole corpus loaded in < 3 s.
// Events/s are given by wall time and by the process's CPU time (on a machine shared with other
// work, CPU time is what this process got).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { createEngine } from '../dist/node.js';
import { median, parseBenchArgs, printTable, summaryRow } from './lib.mjs';
import { sysmonProcessCreation } from './sigma-events.mjs';

const args = parseBenchArgs(process.argv.slice(2), { events: 100_000, reps: 3 });
const root = fileURLToPath(new URL('..', import.meta.url));
const SIGMA = [process.env.VIGIL_SIGMA_DIR, join(root, '../shared/sigma'), join(root, '../../shared/sigma')].find((d) => d && existsSync(join(d, 'rules')));
if (!SIGMA) {
  console.log('no Sigma corpus at ../shared/sigma (or VIGIL_SIGMA_DIR): skipped');
  process.exit(0);
}

function corpusFiles() {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(name)) files.push({ file: path.slice(SIGMA.length + 1), text: readFileSync(path, 'utf8') });
    }
  };
  for (const folder of ['rules', 'rules-emerging-threats', 'rules-threat-hunting']) walk(join(SIGMA, folder));
  return files;
}

// ── the peer: each rule its own closure, every rule tried ────────────────────────────────────

const SYSTEM_FIELDS = { EventID: ['EventID'], Channel: ['Channel'], Computer: ['Computer'], Provider_Name: ['Provider_attributes', 'Name'] };

/** A field reader for the evtx-json layout of a Sysmon event. */
function reader(name) {
  const system = SYSTEM_FIELDS[name];
  if (system) return (e) => system.reduce((v, k) => (v == null ? undefined : v[k]), e.Event?.System);
  return (e) => e.Event?.EventData?.[name];
}

class Unsupported extends Error {}

const WINDASH = /[-/\u2013\u2014\u2015]/g;
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A Sigma string (wildcards, escapes) and its position modifier as a test on the (folded) text. */
function stringTest(raw, position, fold) {
  let hasWild = false;
  let re = '';
  let lit = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && (raw[i + 1] === '*' || raw[i + 1] === '?' || raw[i + 1] === '\\')) {
      lit += raw[++i];
      re += escapeRe(raw[i]);
    } else if (c === '*' || c === '?') {
      hasWild = true;
      re += c === '*' ? '.*' : '.';
    } else {
      lit += c;
      re += escapeRe(c);
    }
  }
  if (!hasWild) {
    const t = fold(lit);
    if (position === 'contains') return (x) => x.includes(t);
    if (position === 'startswith') return (x) => x.startsWith(t);
    if (position === 'endswith') return (x) => x.endsWith(t);
    return (x) => x === t;
  }
  const source = fold(re);
  const regex = new RegExp(`${position === 'contains' || position === 'endswith' ? '' : '^'}${source}${position === 'contains' || position === 'startswith' ? '' : '$'}`, 's');
  return (x) => regex.test(x);
}

function base64(bytes) {
  return Buffer.from(bytes).toString('base64');
}

/** Sigma's base64offset: the three encodings of the value at offsets 0, 1, 2, trimmed to the stable part. */
function base64Offsets(text, utf16) {
  const bytes = utf16 ? Buffer.from(text, 'utf16le') : Buffer.from(text, 'utf8');
  const out = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    const encoded = base64(padded);
    const start = [0, 2, 3][offset];
    const end = encoded.length - [0, 3, 2][(bytes.length + offset) % 3];
    out.push(encoded.slice(start, end));
  }
  return out;
}

/** One field entry (`Field|mods: values`) as a predicate on the event. */
function fieldEntry(key, value) {
  const [field, ...mods] = key.split('|');
  if (field === '') throw new Unsupported('keywords with modifiers');
  const known = ['contains', 'startswith', 'endswith', 'all', 'windash', 'cased', 're', 'i', 'm', 's', 'exists', 'base64offset', 'base64', 'wide', 'utf16le'];
  for (const m of mods) if (!known.includes(m)) throw new Unsupported(m);
  const read = reader(field);
  const values = Array.isArray(value) ? value : [value];
  if (mods.includes('exists')) return (e) => (read(e) !== undefined) === values[0];
  if (values.length === 1 && values[0] === null) return (e) => read(e) == null;
  if (values.some((v) => v === null || typeof v === 'object')) throw new Unsupported('null in a list');
  const cased = mods.includes('cased');
  const windash = mods.includes('windash');
  const fold = (s) => {
    const t = cased ? s : s.toLowerCase();
    return windash ? t.replace(WINDASH, '-') : t;
  };
  let tests;
  if (mods.includes('re')) {
    const flags = `${mods.includes('i') ? 'i' : ''}${mods.includes('m') ? 'm' : ''}${mods.includes('s') ? 's' : ''}`;
    tests = values.map((v) => {
      let pattern = String(v);
      let f = flags;
      const inline = /^\(\?([ims]+)\)/.exec(pattern);
      if (inline) {
        pattern = pattern.slice(inline[0].length);
        for (const c of inline[1]) if (!f.includes(c)) f += c;
      }
      const re = new RegExp(pattern, f);
      return (x) => re.test(x);
    });
    const all = mods.includes('all');
    return (e) => {
      const v = read(e);
      if (v == null || typeof v === 'object') return false;
      const x = String(v);
      return all ? tests.every((t) => t(x)) : tests.some((t) => t(x));
    };
  }
  const position = mods.find((m) => m === 'contains' || m === 'startswith' || m === 'endswith');
  let strings = values.map(String);
  if (mods.includes('base64offset')) {
    if (windash) throw new Unsupported('windash with base64offset');
    const utf16 = mods.includes('wide') || mods.includes('utf16le');
    strings = strings.flatMap((s) => base64Offsets(s, utf16));
  } else if (mods.includes('base64') || mods.includes('wide') || mods.includes('utf16le')) throw new Unsupported('encoding');
  tests = strings.map((s) => stringTest(s, position, cased ? (x) => (windash ? x.replace(WINDASH, '-') : x) : fold));
  const all = mods.includes('all');
  return (e) => {
    const v = read(e);
    if (v == null || typeof v === 'object') return false;
    const x = fold(String(v));
    return all ? tests.every((t) => t(x)) : tests.some((t) => t(x));
  };
}

function selection(node) {
  if (Array.isArray(node)) {
    if (node.every((v) => typeof v === 'string' || typeof v === 'number')) {
      const words = node.map((w) => String(w).toLowerCase());
      return (e) => {
        const texts = Object.values(e.Event?.EventData ?? {}).map((v) => String(v).toLowerCase());
        return words.some((w) => texts.some((t) => t.includes(w)));
      };
    }
    const parts = node.map((n) => {
      if (n === null || typeof n !== 'object' || Array.isArray(n)) throw new Unsupported('mixed list');
      return selection(n);
    });
    return (e) => parts.some((p) => p(e));
  }
  if (node === null || typeof node !== 'object') throw new Unsupported('keyword selection');
  const entries = Object.entries(node).map(([k, v]) => fieldEntry(k, v));
  return (e) => entries.every((p) => p(e));
}

/** The condition grammar: or, and, not, parentheses, `1 of x*`, `all of them`. */
function condition(text, selections) {
  const tokens = text.match(/\(|\)|[^\s()]+/g);
  let pos = 0;
  const names = Object.keys(selections);
  const matching = (pattern) => {
    if (pattern === 'them') return names.filter((n) => !n.startsWith('_'));
    const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`);
    return names.filter((n) => re.test(n));
  };
  const or = () => {
    const items = [and()];
    while (tokens[pos] === 'or') {
      pos++;
      items.push(and());
    }
    return items.length === 1 ? items[0] : (e) => items.some((f) => f(e));
  };
  const and = () => {
    const items = [not()];
    while (tokens[pos] === 'and') {
      pos++;
      items.push(not());
    }
    return items.length === 1 ? items[0] : (e) => items.every((f) => f(e));
  };
  const not = () => {
    if (tokens[pos] === 'not') {
      pos++;
      const inner = not();
      return (e) => !inner(e);
    }
    return primary();
  };
  const primary = () => {
    const t = tokens[pos++];
    if (t === '(') {
      const inner = or();
      pos++;
      return inner;
    }
    if ((t === 'all' || t === 'any' || /^\d+$/.test(t)) && tokens[pos] === 'of') {
      const items = matching(tokens[pos + 1]).map((n) => selections[n]);
      pos += 2;
      if (t === 'all') return (e) => items.every((f) => f(e));
      const need = t === 'any' ? 1 : Number(t);
      return (e) => items.filter((f) => f(e)).length >= need;
    }
    if (!selections[t]) throw new Unsupported(`condition ${text}`);
    return selections[t];
  };
  return or();
}

/** Each process_creation rule of `files` compiled to its own closure; the rules it cannot compile are named. */
function perRulePeer(files) {
  const rules = [];
  const unsupported = [];
  for (const { file, text } of files) {
    for (const doc of parseAllDocuments(text)) {
      const js = doc.toJS();
      if (!js?.detection || js.logsource?.category !== 'process_creation' || js.logsource?.product !== 'windows') continue;
      try {
        const selections = {};
        for (const [name, node] of Object.entries(js.detection)) if (name !== 'condition') selections[name] = selection(node);
        const conditions = Array.isArray(js.detection.condition) ? js.detection.condition : [js.detection.condition];
        const matchers = conditions.map((c) => condition(c, selections));
        rules.push({ title: js.title, match: matchers.length === 1 ? matchers[0] : (e) => matchers.some((m) => m(e)) });
      } catch (error) {
        if (!(error instanceof Unsupported) && !(error instanceof SyntaxError)) throw error;
        unsupported.push({ file, title: js.title, reason: error.message });
      }
    }
  }
  const run = (events, counts) => {
    for (const e of events) {
      const sys = e.Event.System;
      if (sys.EventID !== 1 || sys.Channel !== 'Microsoft-Windows-Sysmon/Operational') continue;
      for (const rule of rules) if (rule.match(e)) counts.set(rule.title, (counts.get(rule.title) ?? 0) + 1);
    }
  };
  return { rules, unsupported, run };
}

// ── the run ─────────────────────────────────────────────────────────────────────────────────

function timed(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const heapMb = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const corpus = corpusFiles();
const processCreation = corpus.filter((f) => /category:\s*process_creation\b/.test(f.text) && /product:\s*windows\b/.test(f.text));

const events = sysmonProcessCreation(args.events, { seed: 14 });
const heap0 = heapMb();
const engine = await createEngine({ sigma: { pipeline: 'evtx-json' } });
const load = timed(() => {
  for (const { file, text } of processCreation) engine.putRules(text, { file });
});
const ruleCount = engine.rules().length;
const libraryCounts = new Map();
engine.onAlert((a) => libraryCounts.set(a.rule, (libraryCounts.get(a.rule) ?? 0) + 1));
const BATCH = 1000;
const pushAll = () => {
  for (let i = 0; i < events.length; i += BATCH) engine.push(events.slice(i, i + BATCH));
};
pushAll(); // warm-up (also builds the prefilter's automata)
const heapLoaded = heapMb();
const library = [];
for (let r = 0; r < args.reps; r++) library.push(timed(pushAll));

const peer = perRulePeer(processCreation);
const peerEvents = events.slice(0, Math.max(2000, Math.floor(events.length / 20)));
const peerCounts = new Map();
peer.run(peerEvents.slice(0, 200), new Map()); // warm-up
const peerTimes = [];
for (let r = 0; r < args.reps; r++) {
  peerCounts.clear();
  peerTimes.push(timed(() => peer.run(peerEvents, peerCounts)));
}

// Equal alerts: the library's and the peer's, per rule the peer compiles, over a mix richer in
// attacks (1 in 20) than the timed one, so that the comparison has alerts to compare.
const checkEvents = sysmonProcessCreation(10_000, { seed: 7, attackEvery: 20 });
peerCounts.clear();
peer.run(checkEvents, peerCounts);
const check = await createEngine({ sigma: { pipeline: 'evtx-json' } });
for (const { file, text } of processCreation) check.putRules(text, { file });
const checkCounts = new Map();
check.onAlert((a) => checkCounts.set(a.rule, (checkCounts.get(a.rule) ?? 0) + 1));
for (let i = 0; i < checkEvents.length; i += BATCH) check.push(checkEvents.slice(i, i + BATCH));
const peerTitles = new Set(peer.rules.map((r) => r.title));
const differences = [...new Set([...checkCounts.keys(), ...peerCounts.keys()])]
  .filter((title) => peerTitles.has(title) && (checkCounts.get(title) ?? 0) !== (peerCounts.get(title) ?? 0))
  .map((title) => `${title}: library ${checkCounts.get(title) ?? 0}, peer ${peerCounts.get(title) ?? 0}`);
if (differences.length) {
  console.error(`alerts differ between the library and the peer:\n  ${differences.join('\n  ')}`);
  process.exitCode = 1;
}

// Whole corpus through the library: load time (and what its rules hold).
const heapBeforeCorpus = heapMb();
const corpusEngine = await createEngine({ sigma: { pipeline: 'evtx-json' } });
let corpusRules = 0;
const corpusLoad = timed(() => {
  for (const { file, text } of corpus) corpusRules += corpusEngine.putRules(text, { file }).added.length;
});
const corpusHeap = heapMb() - heapBeforeCorpus;

const rate = (times, n, key) => n / (median(times.map((t) => t[key])) / 1000);
const libraryWall = rate(library, events.length, 'wallMs');
const libraryCpu = rate(library, events.length, 'cpuMs');
const peerWall = rate(peerTimes, peerEvents.length, 'wallMs');
const peerCpu = rate(peerTimes, peerEvents.length, 'cpuMs');
const alertsPerRun = [...libraryCounts.values()].reduce((a, b) => a + b, 0) / (args.reps + 1);
console.log(`whole corpus: ${corpus.length} files, ${corpusRules} rules loaded in ${(corpusLoad.wallMs / 1000).toFixed(2)} s (CPU ${(corpusLoad.cpuMs / 1000).toFixed(2)} s), heap ${corpusHeap.toFixed(0)} MB`);
console.log(`${processCreation.length} process_creation files → ${ruleCount ?? '?'} rules loaded in ${(load.wallMs / 1000).toFixed(2)} s (CPU ${(load.cpuMs / 1000).toFixed(2)} s); the peer compiles ${peer.rules.length} (${peer.unsupported.length} use what it does not: ${[...new Set(peer.unsupported.map((u) => u.reason))].slice(0, 6).join(', ')}…)`);
console.log(`${events.length.toLocaleString('en-US')} Sysmon EventID 1 events, ${alertsPerRun} alerts per pass (${((alertsPerRun / events.length) * 10_000).toFixed(2)} per 10,000 events); heap of the engine with the rules loaded and warmed: ${(heapLoaded - heap0).toFixed(0)} MB`);
printTable(
  ['engine', 'events/s (wall)', 'events/s (CPU)', 'vs peer (CPU)'],
  [
    ['Vigil library (prefilter)', libraryWall, libraryCpu, libraryCpu / peerCpu],
    ['per-rule closures, every rule', peerWall, peerCpu, 1],
  ],
);
summaryRow({ bench: 'sigma', workload: `${ruleCount ?? '?'} process_creation rules, CPU time`, vigil: libraryCpu, peer: peerCpu, unit: 'events/s', ratio: libraryCpu / peerCpu, target: '≥ 20×', met: libraryCpu / peerCpu >= 20 });
summaryRow({ bench: 'sigma', workload: `${ruleCount ?? '?'} process_creation rules, wall time`, vigil: libraryWall, unit: 'events/s', target: '≥ 200,000 events/s', met: libraryWall >= 200_000 });
summaryRow({ bench: 'sigma', workload: `whole corpus load (${corpusRules} rules)`, vigil: corpusLoad.wallMs / 1000, unit: 's', target: '< 3 s', met: corpusLoad.wallMs < 3000 });
console.log(differences.length ? 'alerts: DIFFERENT (see above)' : `alerts: equal per rule over ${checkEvents.length.toLocaleString('en-US')} events with 1 attack in 20 (${[...peerCounts.values()].reduce((a, b) => a + b, 0)} alerts of ${peerCounts.size} rules)`);
