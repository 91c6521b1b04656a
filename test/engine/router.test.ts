import { parseExpressionAt } from 'acorn';
import { describe, expect, it } from 'vitest';
import { ruleEqualities, valueKeys } from '../../src/engine/equality-index.js';
import { Router, type RoutedRule } from '../../src/engine/router.js';

interface TestRule extends RoutedRule {
  name: string;
  filter: (e: Record<string, unknown>) => unknown;
}

function seeded(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

const literals = [`3`, `0`, `-1`, `'3'`, `'03'`, `''`, `' 3 '`, `'x'`, `'id_tag_' + 3`, `1 + 2`, `'1e3'`, `1000`, `'true'`, `'Infinity'`];
const values: unknown[] = [3, '3', '03', 0, '', ' ', -1, '-1', 'x', 'id_tag_3', true, false, null, undefined, 1000, '1e3', [3], { a: 1 }, NaN, -0, 'Infinity', Infinity];

describe('the rules index', () => {
  it('offers an event every rule whose FILTER could pass it (compared with a brute-force scan)', () => {
    const random = seeded(7);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
    const rules: TestRule[] = [];
    for (let i = 0; i < 400; i++) {
      const op = random() < 0.5 ? '==' : '===';
      const field = pick(['a', 'b']);
      const lit = pick(literals);
      const text = random() < 0.5 ? `function (e) { return e.${field} ${op} ${lit} && e.z !== 1; }` : `(e) => ${lit} ${op} e['${field}']`;
      const node = parseExpressionAt(text, 0, { ecmaVersion: 'latest' });
      // The reference: the same function as JavaScript (tests only).
      const filter = new Function(`return (${text})`)() as TestRule['filter'];
      rules.push({ name: `r${i}: ${text}`, order: i, selectors: [{ field: 'k', values: ['v'] }], equality: ruleEqualities(node), filter });
    }
    expect(rules.filter((r) => r.equality).length).toBe(400);
    const router = new Router<TestRule>();
    for (const r of rules) router.add(r);
    for (const a of values) {
      for (const b of values) {
        const event = { k: 'v', a, b };
        const offered: TestRule[] = [];
        router.route(event, (r) => offered.push(r));
        const passing = rules.filter((r) => r.filter(event));
        const missing = passing.filter((r) => !offered.includes(r)).map((r) => r.name);
        expect(missing, `event ${JSON.stringify({ a, b })}`).toEqual([]);
        expect(offered.map((r) => r.order)).toEqual([...offered.map((r) => r.order)].sort((x, y) => x - y));
        expect(new Set(offered).size).toBe(offered.length);
      }
    }
  });

  it('narrows 1,000 rules that differ by one equality test to the few an event can pass', () => {
    const router = new Router<RoutedRule>();
    for (let i = 0; i < 1000; i++) {
      const node = parseExpressionAt(`function (e) { return e['integer'] == ${i % 167} && e.tag == 'id_tag_' + ${i % 167}; }`, 0, { ecmaVersion: 'latest' });
      router.add({ order: i, selectors: [{ field: 'group', values: [`G${Math.floor(i / 167)}`] }], equality: ruleEqualities(node) });
    }
    const offered = (event: Record<string, unknown>) => {
      const out: number[] = [];
      router.route(event, (r) => out.push(r.order));
      return out;
    };
    expect(offered({ group: 'G2', integer: 7, tag: 'id_tag_7' })).toEqual([341]);
    // The second equality is checked too: an event whose tag differs meets no rule.
    expect(offered({ group: 'G2', integer: 7, tag: 'id_tag_8' })).toEqual([]);
    expect(offered({ group: 'G2', integer: '7', tag: 'id_tag_7' })).toEqual([341]);
  });

  it('offers rules added or removed after a number was looked up (the look-up memo follows the rules)', () => {
    const router = new Router<RoutedRule>();
    const rule = (order: number, text: string): RoutedRule => ({
      order,
      selectors: [{ field: 'k', values: ['v'] }],
      equality: ruleEqualities(parseExpressionAt(text, 0, { ecmaVersion: 'latest' })),
    });
    const offered = (integer: unknown) => {
      const out: number[] = [];
      router.route({ k: 'v', integer }, (r) => out.push(r.order));
      return out;
    };
    const loose = rule(2, `(e) => e.integer == '7'`);
    router.add(loose);
    expect(offered(7)).toEqual([2]);
    expect(offered(8)).toEqual([]);
    const strict = rule(1, `(e) => e.integer === 7`);
    router.add(strict);
    router.add(rule(3, `(e) => e.integer == 8`));
    expect(offered(7)).toEqual([1, 2]);
    expect(offered(8)).toEqual([3]);
    expect(offered('7')).toEqual([2]);
    router.remove(loose);
    expect(offered(7)).toEqual([1]);
    router.remove(strict);
    expect(offered(7)).toEqual([]);
  });

  it('does not index what it cannot read exactly', () => {
    const conj = (text: string) => ruleEqualities(parseExpressionAt(text, 0, { ecmaVersion: 'latest' }));
    expect(conj(`function (e) { return e.a.b == 1; }`)).toBeUndefined();
    expect(conj(`function (e) { return e.a == 1 || e.b == 2; }`)).toBeUndefined();
    expect(conj(`function (e) { const x = 1; return e.a == x; }`)).toBeUndefined();
    expect(conj(`function (e) { return e[k] == 1; }`)).toBeUndefined();
    expect(conj(`function (e) { return e.a != 1 && e.b == 'q'; }`)?.indexed).toMatchObject({ field: 'b', keys: ['sq'] });
    // Inherited names read the prototype in the FILTER but only own fields in the router.
    expect(conj(`function (e) { return e.constructor == 'x'; }`)).toBeUndefined();
    // A conjunct after one that may write to the event (or call anything) is not used.
    expect(conj(`function (e) { return (e.a = 1) && e.a == 1; }`)).toBeUndefined();
    expect(conj(`function (e) { return Object.assign(e, { a: 1 }) && e.a == 1; }`)).toBeUndefined();
    expect(conj(`function (e) { return e.a == 1 && f(e) && e.b == 2; }`)?.checked).toEqual([]);
    expect(conj(`function (e) { return utils.matches(e.t, 'x') && e.a == 1; }`)?.indexed).toMatchObject({ field: 'a' });
    expect(valueKeys({ toString: () => '3' })).toBeUndefined();
  });

  it('removes rules from every index', () => {
    const router = new Router<RoutedRule>();
    const node = parseExpressionAt(`function (e) { return e.x == 1; }`, 0, { ecmaVersion: 'latest' });
    const a = { order: 0, selectors: [{ field: 'k', values: ['v'] }], equality: ruleEqualities(node) };
    const b = { order: 1, selectors: [{ field: 'k', values: ['v'] }, { field: 'j', values: ['w'] }] };
    router.add(a);
    router.add(b);
    const seen = () => {
      const out: RoutedRule[] = [];
      router.route({ k: 'v', j: 'w', x: 1 }, (r) => out.push(r));
      return out;
    };
    expect(seen()).toEqual([a, b]);
    router.remove(a);
    expect(seen()).toEqual([b]);
    router.remove(b);
    expect(seen()).toEqual([]);
    expect(router.hasField('k')).toBe(false);
  });
});
