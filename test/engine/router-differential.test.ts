// The extended rules index against its oracle, the engine without it: random rules whose FILTERs
// mix indexable equalities (==, ===, `includes` lists, `||` of equalities, on either side, in any
// position) with other conjuncts, and random events full of JavaScript's equality corner cases
// (numeric strings, -0, NaN, null, missing fields, booleans, arrays, objects). With and without
// the index, the alerts must be the same, in the same order.
import { parseExpressionAt } from 'acorn';
import { afterEach, describe, expect, it } from 'vitest';
import { ruleEqualities } from '../../src/engine/equality-index.js';
import { Router, type RoutedRule } from '../../src/engine/router.js';
import { harness, plain, type Harness } from './helpers.js';

function seeded(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

const literals = [`3`, `0`, `-0`, `-1`, `'3'`, `'03'`, `''`, `' 3 '`, `'x'`, `'id_tag_' + 3`, `1 + 2`, `'1e3'`, `1000`, `'true'`, `'1'`, `1`, `'Infinity'`, `1e400`, `'-0'`];
const values: unknown[] = [3, '3', '03', 0, -0, '', ' ', -1, '-1', 'x', 'id_tag_3', true, false, null, undefined, 1000, '1e3', [3], ['x'], { a: 1 }, NaN, 'Infinity', Infinity, 1, '1', '-0'];
const fields = ['a', 'b', 'c'];

function conjunctText(random: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const field = pick(fields);
  const read = random() < 0.8 ? `e.${field}` : `e['${field}']`;
  switch (Math.floor(random() * 8)) {
    case 0:
    case 1:
      return `${read} ${pick(['==', '==='])} ${pick(literals)}`;
    case 2:
      return `${pick(literals)} ${pick(['==', '==='])} ${read}`;
    case 3:
      return `[${[pick(literals), pick(literals), pick(literals)].slice(0, 1 + Math.floor(random() * 3)).join(', ')}].includes(${read})`;
    case 4:
      return `(${read} ${pick(['==', '==='])} ${pick(literals)} || ${read} ${pick(['==', '==='])} ${pick(literals)})`;
    case 5:
      return `${read} ${pick(['!=', '!=='])} ${pick(literals)}`;
    case 6:
      return `utils.startsWith(${read}, 'x')`;
    default:
      return `${read} > 0`;
  }
}

function filterText(random: () => number): string {
  const parts = Array.from({ length: 1 + Math.floor(random() * 3) }, () => conjunctText(random));
  return random() < 0.5 ? `function (e) { return ${parts.join(' && ')}; }` : `(e) => ${parts.join(' && ')}`;
}

function eventOf(random: () => number, id: number): Record<string, unknown> {
  const event: Record<string, unknown> = { k: 'v', id };
  for (const field of fields) {
    const value = values[Math.floor(random() * values.length)];
    if (value !== undefined || random() < 0.5) event[field] = value;
  }
  return event;
}

describe('the extended rules index', () => {
  it('offers an event every rule whose FILTER could pass it, and skips only rules it cannot pass (router against JavaScript)', () => {
    const random = seeded(11);
    interface TestRule extends RoutedRule {
      name: string;
      filter: (e: Record<string, unknown>) => unknown;
    }
    const rules: TestRule[] = [];
    for (let i = 0; i < 500; i++) {
      const text = filterText(random);
      const utils = { startsWith: (s: unknown, p: unknown) => typeof s === 'string' && s.startsWith(String(p)) };
      // The reference: the same function as JavaScript (tests only).
      const filter = new Function('utils', `return (${text})`)(utils) as TestRule['filter'];
      rules.push({ name: `r${i}: ${text}`, order: i, selectors: [{ field: 'k', values: ['v'] }], equality: ruleEqualities(parseExpressionAt(text, 0, { ecmaVersion: 'latest' })), filter });
    }
    // Most rules have an equality the index can use, many more than one.
    expect(rules.filter((r) => r.equality).length).toBeGreaterThan(300);
    expect(rules.filter((r) => r.equality && r.equality.checked.length).length).toBeGreaterThan(100);
    const router = new Router<TestRule>();
    for (const r of rules) router.add(r);
    let skipped = 0;
    for (let n = 0; n < 3000; n++) {
      const event = eventOf(random, n);
      const offered: TestRule[] = [];
      router.route(event, (r) => offered.push(r));
      const passing = rules.filter((r) => {
        try {
          return r.filter(event);
        } catch {
          return false;
        }
      });
      const missing = passing.filter((r) => !offered.includes(r)).map((r) => r.name);
      expect(missing, `event ${String(JSON.stringify(event))}`).toEqual([]);
      expect(offered.map((r) => r.order)).toEqual([...offered.map((r) => r.order)].sort((x, y) => x - y));
      expect(new Set(offered).size).toBe(offered.length);
      skipped += rules.length - offered.length;
    }
    // The index does skip work (else the test above could not fail).
    expect(skipped).toBeGreaterThan(3000 * 250);
  });

  describe('through the engine: the same alerts with equalityIndex true and false', () => {
    const engines: Harness[] = [];
    afterEach(() => {
      for (const h of engines.splice(0)) h.engine.dispose();
    });

    for (const seed of [1, 2, 3]) {
      it(`random rules × random events (seed ${seed})`, async () => {
        const random = seeded(seed);
        const rules = Array.from({ length: 60 }, (_, i) => `RULE "r${i}"\nSOURCES k = "v"\nFILTER ${filterText(random)}\nSINK function (e) { return { id: e.id }; }\n`).join('\n');
        const indexed = await harness();
        const plainRouting = await harness({ equalityIndex: false });
        engines.push(indexed, plainRouting);
        indexed.rules(rules);
        plainRouting.rules(rules);
        for (let batch = 0; batch < 20; batch++) {
          const events = Array.from({ length: 50 }, (_, i) => eventOf(random, batch * 50 + i));
          indexed.engine.push(events);
          plainRouting.engine.push(events);
        }
        const expected = plain(plainRouting.take());
        expect(expected.length).toBeGreaterThan(50);
        expect(plain(indexed.take())).toEqual(expected);
        // The index did narrow: fewer events reached the FILTERs.
        const routed = (h: Harness) => Object.values(h.engine.metrics().rules).reduce((sum, r) => sum + r.routed, 0);
        expect(routed(indexed)).toBeLessThan(routed(plainRouting) / 2);
      });
    }

    it('in the sandbox too (every FILTER in QuickJS, events cross as JSON)', async () => {
      const random = seeded(99);
      const rules = Array.from({ length: 12 }, (_, i) => `RULE "s${i}"\nSOURCES k = "v"\nFILTER ${filterText(random)}\nSINK function (e) { return { id: e.id }; }\n`).join('\n');
      const indexed = await harness({ sandboxOnly: true });
      const plainRouting = await harness({ sandboxOnly: true, equalityIndex: false });
      engines.push(indexed, plainRouting);
      indexed.rules(rules);
      plainRouting.rules(rules);
      const events = Array.from({ length: 400 }, (_, i) => eventOf(random, i));
      indexed.engine.push(events);
      plainRouting.engine.push(events);
      const expected = plain(plainRouting.take());
      expect(expected.length).toBeGreaterThan(10);
      expect(plain(indexed.take())).toEqual(expected);
    });
  });
});
