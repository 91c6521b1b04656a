import { describe, expect, test } from 'vitest';
import { analyseFunction } from '../../src/sandbox/analyse.js';
import { DEFAULT_SANDBOX_LIMITS, SandboxViolation } from '../../src/sandbox/sandbox.js';
import { sandbox } from './helpers.js';

const EVENTS: object[] = [
  { user: 'alice', n: 3, tags: ['a', 'b'], geo: { city: 'Zürich', loc: [47.37, 8.54] } },
  { user: 'Ærøskøbing 東京 🚀', n: 0, tags: [], geo: null },
  { user: 'bob', n: -1, nested: { deep: { deeper: [1, { x: 'y' }] } } },
  { n: 7 },
  { user: '', n: null, toString: 'own field named toString', constructor: 'own constructor' },
];

describe('filter', () => {
  test('truthiness of the return value, like `if`', async () => {
    const values = ['0', "''", 'null', 'undefined', 'NaN', 'false', '1', "'x'", '[]', '({})', '-1', 'Infinity'];
    const sb = await sandbox({ filter: `function (e) { return [${values.join(', ')}][e.i]; }` });
    const out = sb.filter(values.map((_, i) => ({ i })));
    expect(out.results).toEqual([false, false, false, false, false, false, true, true, true, true, true, true]);
    expect(out.errors.size).toBe(0);
    sb.dispose();
  });

  test('arrow functions, comments and a trailing semicolon are accepted', async () => {
    const sb = await sandbox({ filter: '(e) => e.n > 1 // big ones\n;' });
    expect(sb.filter([{ n: 1 }, { n: 2 }]).results).toEqual([false, true]);
    sb.dispose();
  });

  test('the projection optimisation gives the same results as full events', async () => {
    const bodies = [
      "return e.user === 'alice' || e['n'] > 5;",
      "return typeof e.geo === 'object' && e.geo !== null && e.geo.city.startsWith('Z');",
      'return e.nested && e.nested.deep.deeper[1].x === "y";',
      "return String(e.toString).length > 10 && e.constructor !== Object;",
      'return e.tags?.length === 0;',
      "return (e.user || '').length > 10;",
    ];
    for (const body of bodies) {
      const projected = `function (e) { ${body} }`;
      const full = `function (e) { const ev = e; return (function (e) { ${body} })(ev); }`;
      expect(analyseFunction('filter', projected).projection).not.toBeNull();
      expect(analyseFunction('filter', full).projection).toBeNull();
      const a = await sandbox({ filter: projected });
      const b = await sandbox({ filter: full });
      const batch = [...EVENTS, null as unknown as object, 42 as unknown as object];
      const ra = a.filter(batch);
      const rb = b.filter(batch);
      expect(ra.results, body).toEqual(rb.results);
      expect([...ra.errors.keys()], body).toEqual([...rb.errors.keys()]);
      a.dispose();
      b.dispose();
    }
  });

  test('projection analysis', () => {
    expect(analyseFunction('filter', "function (event) { return utils.matches(event['groupTag'], 'x') && event.integer == 3; }"))
      .toMatchObject({ projection: ['groupTag', 'integer'], pure: true });
    expect(analyseFunction('filter', 'function (e) { return e.hasOwnProperty("x"); }').projection).toBeNull();
    expect(analyseFunction('filter', 'function (e) { return check(e); }').projection).toBeNull();
    expect(analyseFunction('filter', 'function (e) { return e[k]; }').projection).toBeNull();
    expect(analyseFunction('filter', 'function (e) { return arguments[0].x; }').projection).toBeNull();
    expect(analyseFunction('filter', 'function (e) { globalThis.count = (globalThis.count || 0) + 1; return e.x; }'))
      .toMatchObject({ projection: ['x'], pure: false });
    expect(analyseFunction('filter', 'function (e) { return Math.random() < e.p; }').pure).toBe(false);
  });

  test('an impure filter runs once per event even when events repeat', async () => {
    const sb = await sandbox({ filter: 'function (e) { globalThis.seen = (globalThis.seen || 0) + 1; return globalThis.seen % 2 === 0 && e.x === 1; }' });
    expect(sb.filter([{ x: 1 }, { x: 1 }, { x: 1 }, { x: 1 }]).results).toEqual([false, true, false, true]);
    sb.dispose();
  });

  test('a pure filter over repeated events gives per-event results and errors', async () => {
    const sb = await sandbox({ filter: "function (e) { return e.kind.length > 3; }" });
    const out = sb.filter([{ kind: 'login' }, { other: 1 }, { kind: 'io' }, { kind: 'login' }, { other: 2 }]);
    expect(out.results).toEqual([true, false, false, true, false]);
    expect([...out.errors.keys()]).toEqual([1, 4]);
    sb.dispose();
  });

  test('large batches are split into several crossings transparently', async () => {
    const sb = await sandbox({ filter: 'function (e) { return e.payload.length > 0 && e.i % 3 === 0; }' }, { maxBatchMs: 5000, cpuMsPerEvent: 5 });
    const payload = 'x'.repeat(2000);
    const batch = Array.from({ length: 3000 }, (_, i) => ({ i, payload }));
    const out = sb.filter(batch);
    expect(out.results).toEqual(batch.map((e) => e.i % 3 === 0));
    sb.dispose();
  });
});

describe('having', () => {
  test('each event exposes its fields directly and under e.fields', async () => {
    const sb = await sandbox({
      having: `function (events) {
        if (events.length === 0) return false;
        if (events.length === 1) return true;
        return { count: events.length, users: events.map((e) => e.fields['user']), same: events.every((e) => e.fields.user === e.user),
                 keys: Object.keys(events[0]) };
      }`,
    });
    const out = sb.having([[], [{ user: 'a' }], [{ user: 'a', n: 1 }, { user: 'b' }]]);
    expect(out.results).toEqual([false, true, { count: 2, users: ['a', 'b'], same: true, keys: ['user', 'n'] }]);
    sb.dispose();
  });

  test("an event's own `fields` field wins", async () => {
    const sb = await sandbox({ having: 'function (events) { return events[0].fields; }' });
    expect(sb.having([[{ fields: { a: 1 } }]]).results).toEqual([{ a: 1 }]);
    sb.dispose();
  });
});

describe('sink', () => {
  test('null and undefined stay null; values come back as data', async () => {
    const sb = await sandbox({
      sink: `function (e) {
        if (e.n === 0) return null;
        if (e.n === 1) return undefined;
        if (e.n === 2) return function () {};
        return { user: e.user, tags: e.tags, geo: e.geo, nested: e.nested, n: e.n, upper: utils.upper(e.user) };
      }`,
    });
    const inputs = [
      { n: 0 },
      { n: 1 },
      { n: 2 },
      { n: 3, user: 'Ærøskøbing 東京 🚀', tags: ['a'], geo: { loc: [1.5, -2] }, nested: { a: [{ b: null }] } },
    ];
    const out = sb.sink(inputs);
    expect(out.results).toEqual([
      null,
      null,
      null,
      { n: 3, user: 'Ærøskøbing 東京 🚀', upper: 'ÆRØSKØBING 東京 🚀', tags: ['a'], geo: { loc: [1.5, -2] }, nested: { a: [{ b: null }] } },
    ]);
    sb.dispose();
  });

  test('a cyclic result is an item error', async () => {
    const sb = await sandbox({ sink: 'function (e) { const o = { e }; o.self = o; return e.n ? o : { ok: true }; }' });
    const out = sb.sink([{ n: 0 }, { n: 1 }]);
    expect(out.results).toEqual([{ ok: true }, null]);
    expect(out.errors.get(1)).toMatch(/TypeError/);
    sb.dispose();
  });
});

describe('lifecycle', () => {
  test('calling a function the rule does not have, or after dispose, is a programming error', async () => {
    const sb = await sandbox({ filter: 'function (e) { return true; }' });
    expect(() => sb.sink([{}])).toThrow(/no SINK/);
    sb.dispose();
    sb.dispose();
    expect(() => sb.filter([{}])).toThrow(/disposed/);
  });

  test('compile errors carry the position inside the function', async () => {
    try {
      await sandbox({ filter: 'function (e) {\n  return e.x ==== 1;\n}' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SandboxViolation);
      expect(e).toMatchObject({ kind: 'compile', line: 2 });
    }
  });

  test('empty batches cross nothing', async () => {
    const sb = await sandbox({ filter: 'function (e) { while (true) {} }' });
    expect(sb.filter([])).toEqual({ results: [], errors: new Map() });
    sb.dispose();
  });

  test('the default limits are the documented ones', () => {
    expect(DEFAULT_SANDBOX_LIMITS).toEqual({ cpuMsPerEvent: 10, maxBatchMs: 500, cpuMsPerWindowEvent: 0.05, memoryBytes: 16 * 1024 * 1024, stackBytes: 256 * 1024 });
  });
});
