// What a regular expression costs per input character on the engine it runs on, beside the estimate
// src/lang/host-regex.ts holds to MAX_REGEX_COST (`regexPlan(…).cost`, in built-in engine steps):
// hostile patterns (counted repeats, nested counts, lookarounds over long counts, many groups), the
// patterns at the limit, and the costliest regexes of the SigmaHQ corpus. It calibrates the limit
// and RE2JS_STEPS_PER_INSTRUCTION: the worst pattern under the limit must cost at most a few µs per
// character.
//
// A pattern P is measured as P followed by a control character the inputs never hold, so that no
// attempt succeeds and every start position is tried (its worst case), unless the row gives its own
// input (a pattern ending in a loop keeps its engine only as written). The inputs are random strings
// of P's own language cut short and run together, with and without spaces, and runs of one letter,
// so that as many attempts and threads as possible stay alive; the costliest counts.
//   estimate        regexPlan's cost of the measured pattern, with no limit (the plan of P itself:
//                   its engine, or 'refused' when over the limit)
//   test µs/char    `re.test(input)` on the engine the measured pattern would run on (re2js: its DFA,
//                   falling back to its NFA when the DFA's cache thrashes)
//   exec µs/char    re2js only: `re.exec(input + one match)`, so that the search with groups (the NFA
//                   with capture slots) runs over the whole input
//   peer µs/char    the built-in RegExp on the same input, where it is safe (provably linear); '-'
//                   where it may backtrack catastrophically
//
//   node bench/regex-cost.mjs [--budget MS] [--only SUBSTRING]      (after npm run build:ts)
import { MAX_REGEX_COST, regexPlan } from '../dist/lang/host-regex.js';
import { analyzeBacktracking } from '../dist/lang/regex-linear.js';
import { LinearRegExp } from '../dist/lang/regex-re2.js';
import { parseRegex } from '../dist/lang/regex-syntax.js';
import { printTable, seededRandom } from './lib.mjs';

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
/** ms one run should take: the input grows (from 1,000 characters, up to 1 MiB) until it does. */
const BUDGET_MS = Number(option('--budget') ?? 150);
const ONLY = option('--only');

const repeated = (n, parts) => Array.from({ length: n }, () => parts).join('');

/** [pattern, flags, label, own input unit (optional)]. */
const ROWS = [
  // Counted repeats of a group holding loops: re2js's program grows with the count, and so does its work per character.
  ['(\\w+\\s*){10}', '', 'hostile'], ['(\\w+\\s*){32}', '', 'under the limit'], ['(\\w+\\s*){100}', '', 'hostile'], ['(\\w+\\s*){300}', '', 'hostile'], ['(\\w+\\s*){1000}', '', 'hostile'],
  ['(?:\\w+\\s*){100}', '', 'hostile'], ['(a|ab|b){24}', '', 'under the limit'], ['(a|ab|b){100}', '', 'hostile'], ['(a|ab|b){300}', '', 'hostile'], ['(?:.*a){65}', '', 'under the limit'], ['(?:.*a){300}', '', 'hostile'],
  ['(?:[a-z]+,){65}', 'i', 'under the limit'], ['(?:\\d+\\.){200}', '', 'hostile'],
  // Nested counts (re2js refuses a product above 1,000; under it the program is the product's size).
  ['((a{10}){10}){10}', '', 'under the limit'], ['((\\w{10}\\s?){10}){10}', '', 'hostile'], ['(?:(?:\\w+ ){10}){10}', '', 'hostile'],
  // Bounded repeats on the built-in engine: every start position may read the whole width.
  ['[a-z]{100}', '', 'hostile'], ['[a-z]{300}', '', 'hostile'], ['[a-z]{999}', '', 'under the limit'], ['[a-z]{3000}', '', 'hostile'],
  ['(?:[a-z]{10}-){90}', '', 'under the limit'],
  // Lookarounds: evaluated at every start position, each reading the lookaround's width.
  ['(?=[a-z]{300})\\w', '', 'hostile'], ['(?=[a-z]{498})\\w', '', 'under the limit'], ['(?=[a-z]{3000})\\w', '', 'hostile'],
  // Capture groups: re2js's search with groups copies every thread's slots at every step.
  [repeated(50, '(\\w)') + '(\\w+\\s*){20}', '', 'hostile'], [repeated(49, '(\\w?)'), '', 'under the limit'], [repeated(200, '(\\w?)'), '', 'hostile'],
  // At the limit of 2,500 steps (raised from 1,000 so that every SigmaHQ regex loads).
  ['(\\w+\\s*){83}', '', 'at the limit'], ['[a-z]{2499}', '', 'at the limit'], ['((a{10}){10}){25}', '', 'at the limit'], ['(?:.*a){165}', '', 'at the limit'], [repeated(120, '(\\w?)'), '', 'at the limit'],
  // The costliest of the SigmaHQ corpus (217 regexes).
  ['.{1000,}', '', 'corpus', 'a'.repeat(999) + '\n'],
  ['(.){200,}', '', 'corpus', 'a'.repeat(199) + '\n'],
  ['\\.exe[\\"\\\']?\\s+[^\\"]{0,64}werfaultsecure\\.exe[\\"\\\']?\\s+\\d{2,10}', 'i', 'corpus'],
  ['-(W|R)\\s?(\\s|"|\')([0-9a-fA-F]{2}\\s?){2,20}(\\s|"|\')', '', 'corpus'],
  ['ping\\s+-n.{6,64}echo EEEE\\s?>\\s?', '', 'corpus'],
  ['-k\\s\\w{1,64}(?:\\s?(?:-p|-s))?', '', 'corpus'],
  ['[^/]{100,}$', '', 'corpus', 'a'.repeat(99) + '/'],
  ['(Copy-Item|cpi) .{2,128} -Destination .{1,32}\\\\Windows\\\\(System32|SysWOW64)', '', 'corpus'],
  ['(Get-Item|gci|Get-ChildItem).{1,64}-Path.{1,64}\\\\(currentcontrolset\\\\services|CurrentVersion\\\\Policies\\\\Explorer\\\\Run|CurrentVersion\\\\Run|CurrentVersion\\\\ShellServiceObjectDelayLoad|CurrentVersion\\\\Windows\\\\winlogon)\\\\', '', 'corpus'],
];

/** A random string of the language of `node` (assertions and lookarounds skipped), in printable ASCII where it can be. */
function sample(node, next, out) {
  switch (node.type) {
    case 'set': {
      const ascii = [];
      for (const [a, b] of node.ranges) for (let c = Math.max(a, 0x20); c <= Math.min(b, 0x7e); c++) ascii.push(c);
      if (ascii.length) out.push(String.fromCharCode(ascii[Math.floor(next() * ascii.length)]));
      return;
    }
    case 'seq':
      for (const item of node.items) sample(item, next, out);
      return;
    case 'alt':
      sample(node.alts[Math.floor(next() * node.alts.length)], next, out);
      return;
    case 'group':
      sample(node.body, next, out);
      return;
    case 'repeat': {
      const max = Math.min(node.max, node.min + 4);
      const n = node.min + Math.floor(next() * (max - node.min + 1));
      for (let i = 0; i < n; i++) sample(node.body, next, out);
      return;
    }
    default:
      return;
  }
}

const KINDS = ['language', 'language+space', 'a…', 'a b…'];

function input(root, kind, length) {
  if (kind === 'a…') return 'a'.repeat(length);
  if (kind === 'a b…') return 'a '.repeat(length / 2);
  const next = seededRandom(7);
  const separator = kind === 'language' ? '' : ' ';
  const parts = [];
  for (let n = 0; n < length; ) {
    const out = [];
    sample(root, next, out);
    // A random cut of a random match: many attempts get far.
    const part = out.join('').slice(0, 1 + Math.floor(next() * Math.max(1, out.length)));
    parts.push(part);
    n += part.length + separator.length;
  }
  return parts.join(separator).slice(0, length);
}

/**
 * µs per input character of `run(input)`, the input grown until one run takes BUDGET_MS (or 1 MiB),
 * then the best of three more runs (the machine is shared: the least disturbed run is the cost).
 */
function perChar(run, makeInput) {
  for (let length = 1000; ; length *= 4) {
    const text = makeInput(length);
    const started = performance.now();
    run(text);
    if (performance.now() - started < BUDGET_MS && length < 1 << 20) continue;
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const again = performance.now();
      run(text);
      best = Math.min(best, performance.now() - again);
    }
    return (best * 1000) / text.length;
  }
}

function safeOnBuiltin(pattern, flags) {
  try {
    return analyzeBacktracking(parseRegex(pattern, flags)).problem === undefined;
  } catch {
    return false;
  }
}

function measure([pattern, flags, , unit]) {
  const own = unit !== undefined;
  const measured = own ? pattern : `(?:${pattern})[\\x00-\\x1f]`;
  const plan = regexPlan(measured, flags, Infinity);
  if (plan.engine === 'none') return { error: plan.reason };
  const re = plan.engine === 'builtin' ? new RegExp(measured, flags) : new LinearRegExp(measured, flags, { shortInputs: false });
  const root = parseRegex(pattern, flags).root;
  const kinds = own ? ['own'] : KINDS;
  const makeInput = (kind, n) => (kind === 'own' ? unit.repeat(Math.ceil(n / unit.length)) : input(root, kind, n));
  const peerRe = safeOnBuiltin(measured, flags) ? new RegExp(measured, flags) : undefined;
  let test = 0;
  let peer = 0;
  let worst = kinds[0];
  for (const kind of kinds) {
    const t = perChar((s) => {
      if (re.test(s)) throw new Error(`/${measured}/ matched its input`);
    }, (n) => makeInput(kind, n));
    if (t > test) [test, worst] = [t, kind];
    if (peerRe) peer = Math.max(peer, plan.engine === 'builtin' ? t : perChar((s) => peerRe.test(s), (n) => makeInput(kind, n)));
  }
  let exec;
  if (plan.engine === 're2js' && !own) {
    const out = [];
    sample(root, seededRandom(9), out);
    const match = `${out.join('')}\x00`;
    exec = perChar((s) => {
      if (!re.exec(s)) throw new Error(`/${measured}/ missed its match`);
    }, (n) => makeInput(worst, n) + match);
  }
  const self = regexPlan(pattern, flags);
  return { engine: plan.engine, estimate: plan.cost, self: self.engine === 'none' ? 'refused' : self.engine, test, worst, exec, peer: peerRe ? peer : undefined };
}

console.log(`MAX_REGEX_COST = ${MAX_REGEX_COST} steps per input character\n`);
const rows = [];
for (const row of ROWS) {
  const [pattern, flags, label] = row;
  if (ONLY !== undefined && !pattern.includes(ONLY)) continue;
  const shown = `/${pattern.length > 44 ? `${pattern.slice(0, 41)}…` : pattern}/${flags}`;
  const m = measure(row);
  const line = m.error ? [shown, label, 'none', '-', '-', '-', '-', '-', '-'] : [shown, label, m.self, m.engine, m.estimate, m.test, m.worst, m.exec ?? '-', m.peer ?? '-'];
  rows.push(line);
  // Progress on stderr: the slowest rows take a while.
  console.error(line.map((v) => (typeof v === 'number' ? Number(v.toPrecision(3)) : v)).join('  '));
}
console.log();
printTable(['pattern', 'kind', 'plan', 'measured on', 'estimate', 'test µs/char', 'worst input', 'exec µs/char', 'peer µs/char'], rows);
