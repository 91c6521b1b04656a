/**
 * Hostile rules. Every case must END promptly — with a SandboxViolation of the expected kind, a
 * refusal at create time, or a per-item error — and never hang or take the shared wasm module down.
 */
import { describe, expect, test } from 'vitest';
import { SandboxViolation, type SandboxLimits, type ViolationKind } from '../../src/sandbox/sandbox.js';
import { sandbox } from '../sandbox/helpers.js';

const EVENT = [{ x: 1 }];
const BOUND_MS = 3000;
/** Generous CPU budget, so that the memory limit is what stops the rule. */
const SLOW: Partial<SandboxLimits> = { cpuMsPerEvent: 2500, maxBatchMs: 2500 };

/** Runs `body` as a FILTER on one event and expects a violation of `kind` within the time bound. */
async function expectViolation(
  body: string,
  kind: ViolationKind,
  role: 'filter' | 'sink' = 'filter',
  limits: Partial<SandboxLimits> = {},
): Promise<SandboxViolation> {
  const sb = await sandbox({ [role]: `function (event) { ${body} }` }, limits);
  const started = performance.now();
  let caught: unknown;
  try {
    sb[role](EVENT);
  } catch (e) {
    caught = e;
  }
  const elapsed = performance.now() - started;
  expect(caught, `expected a ${kind} violation`).toBeInstanceOf(SandboxViolation);
  const v = caught as SandboxViolation;
  expect(v.kind, v.message).toBe(kind);
  expect(elapsed).toBeLessThan(BOUND_MS);
  // Dead from now on: the same kind again, immediately.
  expect(() => sb[role](EVENT)).toThrow(SandboxViolation);
  try {
    sb[role](EVENT);
  } catch (e) {
    expect((e as SandboxViolation).kind).toBe(kind);
  }
  sb.dispose();
  return v;
}

async function expectRefused(fn: string, kind: ViolationKind = 'refused'): Promise<void> {
  const started = performance.now();
  await expect(sandbox({ filter: fn })).rejects.toMatchObject({ kind });
  expect(performance.now() - started).toBeLessThan(BOUND_MS);
}

describe('limits the interrupt handler and the allocator enforce', () => {
  test('infinite loop → cpu', () => expectViolation('while (true) {}', 'cpu'));
  test('infinite loop that catches its interruption → cpu', () =>
    expectViolation('for (;;) { try { while (true) {} } catch (e) {} }', 'cpu'));
  test('deep recursion → stack', () => expectViolation('function f(n) { return f(n + 1) + 1; } return f(0);', 'stack'));
  test('recursion that swallows the overflow, then allocates → stack or cpu, never a hang', async () => {
    const v = await expectViolation('function f() { try { f(); } catch (e) { f(); } } f();', 'cpu').catch(() => null);
    void v;
  });
  test('allocating 100 MB (kept) → memory', () =>
    expectViolation('globalThis.a = []; for (let i = 0; i < 100; i++) a.push(new Uint8Array(1024 * 1024)); return a.length;', 'memory'));
  test('allocating 100 MB in a long-running loop → memory', () =>
    expectViolation('const a = []; for (let i = 0; i < 100; i++) { a.push(new Uint8Array(1024 * 1024)); for (let j = 0; j < 1e5; j++); } return a.length;', 'memory', 'filter', SLOW));
  test('allocating 100 MB of small objects → memory', () =>
    expectViolation('const a = []; for (let i = 0; i < 1e7; i++) a.push({ i }); return a.length;', 'memory', 'filter', SLOW));
  test('retaining 100 MB of strings → memory', () =>
    expectViolation("globalThis.keep = []; for (let i = 0; i < 100; i++) keep.push(String(i).padEnd(1e6, 'y')); return keep.length;", 'memory', 'filter', SLOW));
  test('one huge allocation → memory', async () => {
    await expectViolation("return 'x'.repeat(1e9).length;", 'memory');
    await expectViolation('return new ArrayBuffer(1e9).byteLength;', 'memory');
    await expectViolation('return new Float64Array(1e8).length;', 'memory');
    await expectViolation("return ''.padEnd(1e9, 'x').length;", 'memory');
  });
  test('string doubling ends promptly', async () => {
    const sb = await sandbox({ filter: "function (e) { let s = 'x'; for (;;) { s += s; s.indexOf('y'); } }" });
    const t = performance.now();
    expect(() => sb.filter(EVENT)).toThrow(SandboxViolation);
    expect(performance.now() - t).toBeLessThan(BOUND_MS);
  });
  test('catastrophic regexes run on the linear-time engine: answered, not cut for cpu', async () => {
    const sb = await sandbox({
      sink: `function (e) {
        const s = 'a'.repeat(e.n);
        return [/(a+)+b/.test(s), utils.matches(s, '(a|a)*b'), new RegExp('(x+x+)+y').test(s), s.match('(a*)*b'), (s + 'b').search(/(a|aa)+b/)];
      }`,
    }, { cpuMsPerEvent: 1000 });
    const started = performance.now();
    expect(sb.sink([{ n: 40 }, { n: 5000 }]).results).toEqual([[false, false, false, null, 0], [false, false, false, null, 0]]);
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    sb.dispose();
  });
  test('new Set over a billion holes → cpu', () => expectViolation('return new Set(new Array(1e9)).size;', 'cpu'));
});

describe('native loops QuickJS cannot interrupt (length caps)', () => {
  test("new Array(1e9) + ''", () => expectViolation("return (new Array(1e9) + '').length;", 'cpu'));
  test('new Array(1e9).join()', () => expectViolation('return new Array(1e9).join().length;', 'cpu'));
  test("new Array(1e9).join('')", () => expectViolation("return new Array(1e9).join('').length;", 'cpu'));
  test('indexOf on a huge sparse array', () => expectViolation('return new Array(1e9).indexOf(1);', 'cpu'));
  test('includes on a huge sparse array', () => expectViolation('return new Array(1e9).includes(1);', 'cpu'));
  test('lastIndexOf on a huge sparse array', () => expectViolation('return new Array(1e9).lastIndexOf(1);', 'cpu'));
  test('arr.length = 4e9 then join', () => expectViolation("const a = []; a.length = 4e9; return a.join('');", 'cpu'));
  test('a[4e9 - 2] = 1 then indexOf', () => expectViolation('const a = []; a[4e9 - 2] = 1; return a.indexOf(2);', 'cpu'));
  test('Array.prototype.join.call({ length: 1e9 })', () =>
    expectViolation('return Array.prototype.join.call({ length: 1e9 }).length;', 'cpu'));
  test('Array.prototype.indexOf.call on an array-like', () =>
    expectViolation("return Array.prototype.indexOf.call({ length: '4000000000' }, 1);", 'cpu'));
  test('forEach / sort / reverse / slice / splice / copyWithin over holes', async () => {
    for (const op of ['forEach(() => 0)', 'sort()', 'reverse()', 'slice(0)', 'splice(0, 1)', 'copyWithin(0, 1)', 'shift()', 'unshift(1)', 'concat([])']) {
      await expectViolation(`return new Array(1e9).${op};`, 'cpu');
    }
  });
  test('concat spreading an array-like', () =>
    expectViolation('return [].concat({ length: 1e9, [Symbol.isConcatSpreadable]: true }).length;', 'cpu'));
  test('flat over a nested sparse array', () => expectViolation('return [new Array(1e9)].flat().length;', 'cpu'));
  test('Iterator.prototype.drop over a billion holes', () =>
    expectViolation('return new Array(1e9).values().drop(1e9).toArray().length;', 'cpu'));
  test('a length getter that lies the second time is rejected', async () => {
    const sb = await sandbox({
      filter: "function (e) { let n = 0; const o = { get length() { return n++ ? 1e9 : 1; } }; return Array.prototype.join.call(o, ''); }",
    });
    const out = sb.filter(EVENT);
    expect(out.errors.get(0)).toMatch(/accessor length/);
    sb.dispose();
  });
  test('quadratic naive string search', () =>
    expectViolation("const s = 'a'.repeat(2e5), t = 'a'.repeat(1e5) + 'b'; return s.indexOf(t);", 'cpu'));
  test('quadratic split / replaceAll / includes', async () => {
    for (const op of ['split(t)', "replaceAll(t, '')", 'includes(t)', 'lastIndexOf(t)']) {
      await expectViolation(`const s = 'a'.repeat(2e5), t = 'a'.repeat(1e5) + 'b'; return s.${op};`, 'cpu');
    }
  });
  test('a very long regex source', () => expectViolation("return new RegExp('a'.repeat(1e5) + 'b').test('a');", 'cpu'));
});

describe('native recursion that would overflow the host stack (depth caps)', () => {
  test('JSON.parse of deep nesting', () => expectViolation("return JSON.parse('['.repeat(20000) + ']'.repeat(20000));", 'stack'));
  test('JSON.stringify of deep nesting', () =>
    expectViolation('let o = 1; for (let i = 0; i < 20000; i++) o = [o]; return JSON.stringify(o).length;', 'stack', 'filter', SLOW));
  test('a SINK returning a deeply nested value', () =>
    expectViolation('let o = 1; for (let i = 0; i < 20000; i++) o = { o }; return o;', 'stack', 'sink', SLOW));
  test('RegExp from a deeply nested pattern', () =>
    expectViolation("return new RegExp('(?:'.repeat(1000) + ')'.repeat(1000)).test('a');", 'stack'));
  test("String.prototype.match with a deeply nested pattern string", () =>
    expectViolation("return 'a'.match('(?:'.repeat(1000) + ')'.repeat(1000));", 'stack'));
  test('bound-function chains', () =>
    expectViolation('let f = function () {}; for (let i = 0; i < 5000; i++) f = f.bind(null); return ({}) instanceof f;', 'stack'));
  test('deeply nested source is refused at create time', () =>
    expectRefused(`function (e) { return ${'('.repeat(1000)}1${')'.repeat(1000)}; }`));
  test('a deeply nested regex literal is refused at create time', () =>
    expectRefused(`function (e) { return /${'(?:'.repeat(1000)}a${')'.repeat(1000)}/.test(e.x); }`));
  test('a deeply nested input event is an item error, not a crash', async () => {
    const sb = await sandbox({ filter: 'function (e) { return e.deep !== 0; }' });
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = [deep];
    const out = sb.filter([{ x: 1 }, { deep }, { x: 2 }]);
    expect(out.results).toEqual([true, false, true]);
    expect(out.errors.get(1)).toMatch(/nested deeper/);
    sb.dispose();
  });
});

describe('BigInt is refused up front and absent in the VM', () => {
  test('BigInt literal', () => expectRefused('function (e) { return (2n ** 100000000n) > 0n; }'));
  test('BigInt global', () => expectRefused('function (e) { return BigInt(e.x) > 0; }'));
  test('BigInt64Array / BigUint64Array', async () => {
    await expectRefused('function (e) { return new BigInt64Array(1).length; }');
    await expectRefused('function (e) { return new BigUint64Array(1).length; }');
  });
  test('DataView BigInt accessors', () => expectRefused('function (e) { return new DataView(new ArrayBuffer(8)).getBigInt64(0); }'));
  test('nothing BigInt is reachable dynamically', async () => {
    const sb = await sandbox({
      sink: `function (e) {
        const g = globalThis;
        return [typeof g['Big' + 'Int'], typeof g['Big' + 'Int64Array'], typeof g['BigUint' + '64Array'],
                typeof DataView.prototype['get' + 'BigInt64'], typeof DataView.prototype['set' + 'BigUint64']];
      }`,
    });
    expect(sb.sink(EVENT).results[0]).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'undefined']);
    sb.dispose();
  });
  test('eval cannot smuggle a BigInt literal in', async () => {
    const sb = await sandbox({ filter: "function (e) { return eval('2n ** 100000000n'); }" });
    const out = sb.filter(EVENT);
    expect(out.errors.get(0)).toMatch(/EvalError/);
    sb.dispose();
  });
});

describe('what a rule can reach', () => {
  test('no host globals; eval and Function constructors throw EvalError', async () => {
    const sb = await sandbox({
      sink: `function (e) {
        const g = globalThis;
        const names = ['process', 'require', 'fetch', 'WebAssembly', 'XMLHttpRequest', 'Deno', 'Bun', 'module',
          'setTimeout', 'Proxy', 'Promise', 'WeakRef', 'FinalizationRegistry', 'SharedArrayBuffer', 'Atomics', 'std', 'os'];
        const present = names.filter((n) => typeof g[n] !== 'undefined');
        const attempts = {
          eval: () => eval('1'),
          indirectEval: () => (0, g.eval)('1'),
          Function: () => Function('return 1')(),
          ctor: () => (function () {}).constructor('return 1')(),
          generator: () => (function* () {}).constructor('yield 1'),
        };
        const errors = {};
        for (const k of Object.keys(attempts)) { try { attempts[k](); errors[k] = 'no error'; } catch (x) { errors[k] = x.name; } }
        return { present, errors };
      }`,
    });
    const [r] = sb.sink(EVENT).results as [{ present: string[]; errors: Record<string, string> }];
    expect(r.present).toEqual([]);
    expect(r.errors).toEqual({ eval: 'EvalError', indirectEval: 'EvalError', Function: 'EvalError', ctor: 'EvalError', generator: 'EvalError' });
    sb.dispose();
  });
  test('import() is refused at create time', () => expectRefused("function (e) { return import('fs'); }"));
  test('async functions are refused at create time', () => expectRefused('async function (e) { return true; }'));
  test('text that is not one function expression', async () => {
    await expectRefused('function (e) { return 1; }); (function () { while (true) {} }', 'compile');
    await expectRefused('function (e) { return ; ', 'compile');
    await expectRefused('1 + 1', 'compile');
  });
  test('prototype tampering does not disable the guards', () =>
    expectViolation(
      "String.prototype.charCodeAt = () => 0; try { Array.prototype.join = function () { return ''; }; } catch (x) {} return new Array(1e9).join('');",
      'cpu',
    ));
});

describe('isolation between rules and over time', () => {
  test('a function that throws for one item: error recorded, other items fine', async () => {
    const sb = await sandbox({ filter: 'function (e) { return e.user.name === "root"; }' });
    const out = sb.filter([{ user: { name: 'root' } }, { x: 1 }, { user: { name: 'bob' } }, { user: { name: 'root' } }]);
    expect(out.results).toEqual([true, false, false, true]);
    expect([...out.errors.keys()]).toEqual([1]);
    expect(out.errors.get(1)).toMatch(/^TypeError/);
    sb.dispose();
  });
  test("one rule's violation leaves another rule working", async () => {
    const good = await sandbox({ filter: 'function (e) { return e.x > 1; }' }, {}, 'good');
    const bad = await sandbox({ filter: 'function (e) { while (true) {} }' }, {}, 'bad');
    expect(() => bad.filter([{ x: 1 }])).toThrow(SandboxViolation);
    expect(good.filter([{ x: 1 }, { x: 2 }]).results).toEqual([false, true]);
    bad.dispose();
    const bad2 = await sandbox({ filter: 'function (e) { const a = []; for (;;) a.push(new Array(1e5).fill(1)); }' }, {}, 'bad2');
    expect(() => bad2.filter([{ x: 1 }])).toThrow(SandboxViolation);
    expect(good.filter([{ x: 3 }]).results).toEqual([true]);
    good.dispose();
  });
  test('violation reports the items completed before it', async () => {
    const sb = await sandbox({ filter: 'function (e) { if (e.n === 3) while (true) {} return true; }' });
    try {
      sb.filter([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ kind: 'cpu', completed: 3, rule: 'test' });
    }
  });
  test('memory stays flat across many batches', async () => {
    const sb = await sandbox({
      filter: "function (e) { const parts = e.msg.split(' '); return utils.matches(e.msg, 'a+b') && parts.length > 1; }",
      sink: 'function (e) { return { msg: e.msg.toUpperCase(), n: e.n, list: [e.n, e.n + 1] }; }',
    });
    const batch = Array.from({ length: 200 }, (_, n) => ({ msg: `aab message ${n}`, n }));
    for (let i = 0; i < 20; i++) {
      sb.filter(batch);
      sb.sink(batch);
    }
    const before = sb.memoryUsed;
    for (let i = 0; i < 300; i++) {
      sb.filter(batch);
      sb.sink(batch);
    }
    const after = sb.memoryUsed;
    expect(after - before).toBeLessThan(64 * 1024);
    sb.dispose();
  });
});
