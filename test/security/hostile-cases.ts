/**
 * The hostile-rule and hostile-input corpus (issue 11). Each case is a rule (or input) an attacker
 * or a hurried user could write; the suites run every case beside a set of benign rules through
 * the library, `vigil run` and the HTTP API, and assert that the benign rules' alerts are
 * byte-identical to a run without the case, that the case ends within its budget, and that it ends
 * in one of the outcomes it allows:
 * - `refused`: the rule does not load; the error names where (line:col);
 * - `deactivated`: the rule loads, trips a limit, is deactivated with its reason;
 * - `bounded`: the rule runs to completion in time linear in its input (a linear-time regex engine,
 *   the sandbox's capped built-ins) and stays active;
 * - `rejected`: hostile input lines are refused at the door with their line number.
 */

export type Outcome = 'refused' | 'deactivated' | 'bounded' | 'rejected';

export interface HostileCase {
  name: string;
  kind: 'regex-exponential' | 'regex-polynomial' | 'allocation' | 'sparse-array' | 'string-bomb' | 'cpu' | 'deep-json' | 'window' | 'fan-out' | 'forgery';
  /** VGL text of the hostile rule(s). */
  rules?: string;
  /** Hostile events (objects) pushed interleaved with the benign stream. */
  events?: () => Record<string, unknown>[];
  /** Hostile raw input lines (JSON lines front ends only: the CLI and the HTTP API). */
  lines?: () => string[];
  outcomes: Outcome[];
  /** Extra milliseconds the case may take beyond the benign run (its budget, before the 100 ms grace). Default 600. */
  budgetMs?: number;
}

/** The benign rules: a simple rule, an event-time aggregation, a state machine and an alert-fed rule. */
export const BENIGN_RULES = `
RULE "failed login"
SOURCES kind = "auth"
FILTER function (e) { return e.outcome == 'failure'; }
SINK function (e) { return { user: e.user, from: e.src }; }

RULE "brute force"
SOURCES kind = "auth"
FILTER function (e) { return e.outcome == 'failure'; }
USING ts
AGGREGATE BY user
WITHIN 1:min, 1:min
HAVING function (events) { return events.length >= 3 ? { user: events[0].user, failures: events.length } : null; }
SINK function (a) { return a; }

RULE "session order"
SOURCES kind = "auth"
USING ts
STATE MACHINE BY user ON outcome
  INITIAL: failure -> FAILED, success -> TERM;
  FAILED: failure -> FAILED, success -> TERM;
TIMEOUT 10:min
SINK function (v) { return { user: v.key.user, state: v.state, got: v.eventType }; }

RULE "brute force then more"
SOURCES rule = "brute force"
SINK function (a) { return { user: a.user, escalated: true }; }
`;

export const T0 = Date.UTC(2026, 0, 1);

/** The benign stream: 400 auth events over 20 minutes, brute forces included. */
export function benignEvents(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let seed = 11;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 400; i++) {
    const user = `u${Math.floor(random() * 12)}`;
    out.push({ kind: 'auth', user, outcome: random() < 0.6 ? 'failure' : random() < 0.1 ? 'login' : 'success', src: `198.51.100.${i % 50}`, ts: T0 + i * 3000 });
  }
  return out;
}

const hostile = (fields: Record<string, unknown>, n = 5) => () => Array.from({ length: n }, (_, i) => ({ kind: "hostile", ts: T0 + (i % 100) * 10, ...fields }));
const simple = (name: string, filter: string) => `RULE "${name}"\nSOURCES kind = "hostile"\nFILTER function (e) { ${filter} }\nSINK function (e) { return { hit: true }; }\n`;
const having = (name: string, body: string, within = '10:min, 10:min') =>
  `RULE "${name}"\nSOURCES kind = "hostile"\nUSING ts\nAGGREGATE BY kind\nWITHIN ${within}\nHAVING function (events) { ${body} }\nSINK function (a) { return { n: a.count }; }\n`;
const sink = (name: string, body: string) => `RULE "${name}"\nSOURCES kind = "hostile"\nSINK function (e) { ${body} }\n`;

const X40 = 'x'.repeat(40);
const A30 = 'a'.repeat(30);

export const CASES: HostileCase[] = [
  // ── regular expressions that backtrack exponentially ─────────────────────
  { name: 'regex literal (x+x+)+y on 40 x', kind: 'regex-exponential', rules: simple('re1', 'return /(x+x+)+y/.test(e.msg);'), events: hostile({ msg: X40 }), outcomes: ['bounded', 'deactivated', 'refused'] },
  { name: 'regex (a|aa)+$ on 30 a + b', kind: 'regex-exponential', rules: simple('re2', 'return /(a|aa)+$/.test(e.msg);'), events: hostile({ msg: A30 + 'b' }), outcomes: ['bounded', 'deactivated', 'refused'] },
  { name: 'utils.matches ^(a+)+$', kind: 'regex-exponential', rules: simple('re3', "return utils.matches(e.msg, '^(a+)+$');"), events: hostile({ msg: A30 + '!' }), outcomes: ['bounded', 'deactivated', 'refused'] },
  { name: 'regex (\\w+\\s?)*$ on a long word', kind: 'regex-exponential', rules: simple('re4', 'return /(\\w+\\s?)*$/.test(e.msg);'), events: hostile({ msg: 'a'.repeat(40) + '!' }), outcomes: ['bounded', 'deactivated', 'refused'] },
  { name: 'regex in split', kind: 'regex-exponential', rules: simple('re5', 'return e.msg.split(/(x+x+)+y/).length > 1;'), events: hostile({ msg: X40 }), outcomes: ['bounded', 'deactivated', 'refused'] },
  { name: 'regex in replace', kind: 'regex-exponential', rules: simple('re6', "return e.msg.replace(/(a|a)*b/, '') == '';"), events: hostile({ msg: A30 }), outcomes: ['bounded', 'deactivated', 'refused'] },
  { name: 'regex (x+x+)+y in a sandboxed loop', kind: 'regex-exponential', rules: simple('re7', 'let n = 0; for (let i = 0; i < 2; i++) if (/(x+x+)+y/.test(e.msg)) n++; return n > 0;'), events: hostile({ msg: X40 }), outcomes: ['bounded', 'deactivated', 'refused'] },
  { name: 'new RegExp from the event (attacker pattern)', kind: 'regex-exponential', rules: simple('re8', "return new RegExp(e.pattern).test(e.msg);"), events: hostile({ msg: X40, pattern: '(x+x+)+y' }), outcomes: ['bounded', 'deactivated', 'refused'] },
  { name: 'regex in HAVING over window events', kind: 'regex-exponential', rules: having('re9', 'return events.some((x) => /(x+x+)+y/.test(x.msg));'), events: hostile({ msg: X40 }), outcomes: ['bounded', 'deactivated', 'refused'] },
  { name: 'backreference (a+)\\1$', kind: 'regex-exponential', rules: simple('re10', 'return /(a+)+\\1$/.test(e.msg);'), events: hostile({ msg: A30 + 'b' }), outcomes: ['refused', 'deactivated', 'bounded'] },
  { name: 'lookahead with nested quantifier', kind: 'regex-exponential', rules: simple('re11', 'return /(?=(a+)+b)/.test(e.msg);'), events: hostile({ msg: A30 }), outcomes: ['refused', 'deactivated', 'bounded'] },
  // ── polynomial backtracking ──────────────────────────────────────────────
  { name: 'regex (.*a){12} polynomial', kind: 'regex-polynomial', rules: simple('rp1', 'return /(.*a){12}$/.test(e.msg);'), events: hostile({ msg: 'a'.repeat(2000) + 'b' }), outcomes: ['bounded', 'deactivated', 'refused'] },
  { name: 'regex a*a*a*a*a*b polynomial', kind: 'regex-polynomial', rules: simple('rp2', 'return /a*a*a*a*a*a*b/.test(e.msg);'), events: hostile({ msg: 'a'.repeat(3000) }), outcomes: ['bounded', 'deactivated', 'refused'] },
  // Linear, but with the pattern's size as the constant: refused at load for their cost per character.
  { name: 'counted repeat (\\w+\\s*){1000} on 200 KB of words (re2js: 6,003 instructions, each run at every character)', kind: 'regex-polynomial', rules: simple('rp4', 'return /(\\w+\\s*){1000}!/.test(e.msg);'), events: hostile({ msg: 'a '.repeat(100_000) }, 2), outcomes: ['refused'] },
  { name: 'bounded repeat [a-z]{3000} on 200 KB of letters (3,000 attempts read each character)', kind: 'regex-polynomial', rules: simple('rp5', "return utils.matches(e.msg, '[a-z]{3000}!');"), events: hostile({ msg: 'a'.repeat(200_000) }, 2), outcomes: ['refused'] },
  { name: 'regex \\s*x\\s*$ on many spaces', kind: 'regex-polynomial', rules: simple('rp3', "return utils.matches(e.msg, '\\\\s*\\\\s*\\\\s*$x');"), events: hostile({ msg: ' '.repeat(20000) }), outcomes: ['bounded', 'deactivated', 'refused'] },
  // ── allocation amplifiers ────────────────────────────────────────────────
  { name: 'reduce doubling with spread', kind: 'allocation', rules: simple('al1', 'return e.arr.reduce((a) => [...a, ...a], e.arr).length > 0;'), events: hostile({ arr: Array.from({ length: 30 }, (_, i) => i) }), outcomes: ['deactivated', 'refused'] },
  { name: 'reduce doubling with concat', kind: 'allocation', rules: simple('al2', 'return e.arr.reduce((a) => a.concat(a), e.arr).length > 0;'), events: hostile({ arr: Array.from({ length: 30 }, (_, i) => i) }), outcomes: ['deactivated', 'refused'] },
  { name: 'HAVING map slice over a 30k-event window', kind: 'allocation', rules: having('al3', 'return events.map(() => events.slice()).length > 0;'), events: hostile({ v: 1 }, 30_000), outcomes: ['deactivated', 'refused'], budgetMs: 3000 },
  { name: 'repeat by a number from the event', kind: 'allocation', rules: simple('al4', "return 'x'.repeat(e.n).length > 0;"), events: hostile({ n: 1e9 }), outcomes: ['deactivated', 'refused'] },
  { name: 'padEnd by a number from the event', kind: 'allocation', rules: simple('al5', "return ''.padEnd(e.n, 'x').length > 0;"), events: hostile({ n: 1e9 }), outcomes: ['deactivated', 'refused'] },
  { name: 'new Array(n).fill in a loop', kind: 'allocation', rules: simple('al6', 'const keep = []; for (let i = 0; i < 1000; i++) keep.push(new Array(1e6).fill(i)); return keep.length > 0;'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'objects without end', kind: 'allocation', rules: simple('al7', 'const keep = []; for (;;) keep.push({ a: keep.length, b: [1, 2, 3] });'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'array join of a huge length', kind: 'allocation', rules: simple('al8', "return new Array(e.n).join('x').length > 0;"), events: hostile({ n: 5e8 }), outcomes: ['deactivated', 'refused'] },
  { name: 'globals kept across events', kind: 'allocation', rules: simple('al9', "globalThis.k = (globalThis.k || ''); for (let i = 0; i < 100; i++) globalThis.k += 'y'.repeat(100000); return true;"), events: hostile({ v: 1 }, 50), outcomes: ['deactivated'] },
  // ── built-ins over sparse arrays ─────────────────────────────────────────
  { name: 'indexOf on a sparse 2M array, looped', kind: 'sparse-array', rules: simple('sp1', 'const a = []; a[2e6] = 1; for (;;) a.indexOf(2);'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'copyWithin on a sparse 2M array, looped', kind: 'sparse-array', rules: simple('sp2', 'const a = []; a[2e6] = 1; for (;;) a.copyWithin(0, 1);'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'lastIndexOf on a sparse array, looped', kind: 'sparse-array', rules: simple('sp3', 'const a = []; a.length = 4e6; for (;;) a.lastIndexOf(2);'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'includes on a sparse array, looped', kind: 'sparse-array', rules: simple('sp4', 'const a = []; a[3e6] = 1; for (;;) a.includes(2);'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'reverse of a sparse array, looped', kind: 'sparse-array', rules: simple('sp5', 'const a = []; a[2e6] = 1; for (;;) a.reverse();'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'Array.from a huge length', kind: 'sparse-array', rules: simple('sp6', 'return Array.from({ length: 1e9 }).length > 0;'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'fill of a sparse array, looped', kind: 'sparse-array', rules: simple('sp7', 'const a = []; a.length = 3e6; for (;;) a.fill(0, 0, 3e6);'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  // ── string bombs ─────────────────────────────────────────────────────────
  { name: '8 MB flat strings in a loop', kind: 'string-bomb', rules: simple('st1', "const keep = []; for (let i = 0; i < 300; i++) keep.push(('x' + i).repeat(4e6)); return keep.length > 0;"), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'string doubling', kind: 'string-bomb', rules: simple('st2', "let s = 'x'; for (;;) { s += s; s.indexOf('y'); }"), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'repeat 2^28', kind: 'string-bomb', rules: simple('st3', "return 'ab'.repeat(2 ** 28).length > 0;"), events: hostile({ v: 1 }), outcomes: ['deactivated', 'refused'] },
  { name: 'split a huge string into characters', kind: 'string-bomb', rules: simple('st4', "const s = 'x'.repeat(5e6); let n = 0; for (;;) n += s.split('').length;"), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'JSON.parse of a deeply nested field', kind: 'string-bomb', rules: simple('st5', 'return JSON.parse(e.msg) != null;'), events: hostile({ msg: '['.repeat(100000) + ']'.repeat(100000) }), outcomes: ['bounded', 'deactivated'] },
  // ── CPU ──────────────────────────────────────────────────────────────────
  { name: 'infinite loop in FILTER', kind: 'cpu', rules: simple('cp1', 'while (true) {}'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'infinite loop that catches its interruption', kind: 'cpu', rules: simple('cp2', 'for (;;) { try { while (true) {} } catch (x) {} }'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'unbounded recursion', kind: 'cpu', rules: simple('cp3', 'function f(n) { return f(n + 1) + 1; } return f(0) > 0;'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'infinite loop in HAVING', kind: 'cpu', rules: having('cp4', 'for (;;) {}'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'infinite loop in SINK', kind: 'cpu', rules: sink('cp5', 'while (true) {}'), events: hostile({ v: 1 }), outcomes: ['deactivated'] },
  { name: 'async function', kind: 'cpu', rules: simple('cp6', 'return (async () => 1)() != null;'), events: hostile({ v: 1 }), outcomes: ['refused', 'deactivated'] },
  { name: 'quadratic nested loops over a big window', kind: 'cpu', rules: having('cp7', 'let n = 0; for (const a of events) for (const b of events) n++; return n > 0;'), events: hostile({ v: 1 }, 30_000), outcomes: ['deactivated'], budgetMs: 3000 },
  // ── deep JSON and hostile lines at the door ──────────────────────────────
  { name: 'a 10 KB line nested 5,000 deep', kind: 'deep-json', lines: () => ['{"kind":"auth","user":"deep","outcome":"failure","ts":' + T0 + ',"x":' + '['.repeat(5000) + ']'.repeat(5000) + '}'], outcomes: ['rejected'] },
  { name: 'an object nested 129 deep', kind: 'deep-json', lines: () => ['{"kind":"auth","user":"deep","outcome":"failure","ts":' + T0 + ',"x":' + '{"a":'.repeat(128) + '1' + '}'.repeat(128) + '}'], outcomes: ['rejected'] },
  { name: 'a line that is not JSON', kind: 'deep-json', lines: () => ['{"kind":"auth",'], outcomes: ['rejected'] },
  { name: 'prototype keys in events', kind: 'deep-json', lines: () => ['{"kind":"hostile","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"ts":' + T0 + '}'], outcomes: ['rejected', 'bounded'] },
  // ── window explosions ────────────────────────────────────────────────────
  { name: 'WITHIN 10:min, 1:ms', kind: 'window', rules: having('wi1', 'return true;', '10:min, 1:ms'), events: hostile({ v: 1 }), outcomes: ['refused'] },
  { name: 'WITHIN 30:d, 1:sec', kind: 'window', rules: having('wi2', 'return true;', '30:d, 1:sec'), events: hostile({ v: 1 }), outcomes: ['refused'] },
  { name: 'WITHIN 1:h, 1:ms', kind: 'window', rules: having('wi3', 'return true;', '1:h, 1:ms'), events: hostile({ v: 1 }), outcomes: ['refused'] },
  // ── fan-out ──────────────────────────────────────────────────────────────
  {
    name: 'six rules consuming each other\'s alerts',
    kind: 'fan-out',
    rules: Array.from({ length: 6 }, (_, i) => {
      const others = Array.from({ length: 6 }, (_, j) => j).filter((j) => j !== i).map((j) => `"ring${j}"`);
      return `RULE "ring${i}"\nSOURCES rule = ["failed login", ${others.join(', ')}]\nSINK function (a) { return { hop: ${i} }; }\n`;
    }).join('\n'),
    outcomes: ['deactivated'],
    budgetMs: 2000,
  },
  {
    name: 'two rules ping-ponging every alert',
    kind: 'fan-out',
    rules: `RULE "ping"\nSOURCES rule = ["failed login", "pong"]\nSINK function (a) { return { p: 1 }; }\nRULE "pong"\nSOURCES rule = ["ping"]\nSINK function (a) { return { p: 2 }; }\n`,
    outcomes: ['bounded', 'deactivated'],
  },
  // ── forgery ──────────────────────────────────────────────────────────────
  { name: 'a rule named vigil.rule.deactivated', kind: 'forgery', rules: 'RULE "vigil.rule.deactivated"\nSOURCES kind = "auth"\nSINK function (e) { return { deactivatedRule: "brute force", kind: "cpu" }; }\n', outcomes: ['refused'] },
  { name: 'a rule named vigil.anything', kind: 'forgery', rules: 'RULE "vigil.late"\nSOURCES kind = "auth"\nSINK function (e) { return true; }\n', outcomes: ['refused'] },
  { name: 'a SINK claiming another rule name', kind: 'forgery', rules: sink('fo3', "return { rule: 'brute force', user: 'nobody', failures: 99 };"), events: hostile({ v: 1 }), outcomes: ['bounded'] },
];

/** The hostile case's rule names (RULE "…" lines), to tell its alerts from the benign ones. */
export function ruleNames(text: string | undefined): string[] {
  return [...(text ?? '').matchAll(/RULE\s+"([^"]+)"/g)].map((m) => m[1]);
}

/** Alerts that belong to the benign rules (not the case's, not the engine's own). */
export function benignOnly(alerts: Record<string, unknown>[], hostileNames: string[]): Record<string, unknown>[] {
  return alerts.filter((a) => !hostileNames.includes(a.rule as string) && !(a.rule as string).startsWith('vigil.'));
}

/**
 * The benign stream in batches of `batch`, with the case's events spread through it in batches of
 * their own: alerts of re-entered alerts come after the batch that caused them, so the benign
 * batches must be cut where they are cut without the case.
 */
export function batches(benign: Record<string, unknown>[], hostileEvents: Record<string, unknown>[], batch = 100): Record<string, unknown>[][] {
  const benignBatches: Record<string, unknown>[][] = [];
  for (let i = 0; i < benign.length; i += batch) benignBatches.push(benign.slice(i, i + batch));
  const out: Record<string, unknown>[][] = [];
  const per = Math.ceil(hostileEvents.length / benignBatches.length);
  benignBatches.forEach((b, k) => {
    out.push(b);
    const mine = hostileEvents.slice(k * per, (k + 1) * per);
    for (let i = 0; i < mine.length; i += batch) out.push(mine.slice(i, i + batch));
  });
  return out;
}
