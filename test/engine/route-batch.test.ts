// Batch routing (Router.routeBatch, what the pipeline uses) against its oracles: the router's
// event-by-event `route` / `routeBy` (themselves checked against JavaScript in
// router-differential.test.ts), and, through the engine, a plain hand-written model of the thesis
// workload's rules (group, then `integer` and `tag` equalities, a regex and an IOC list), whose
// alerts must come out the same and in the same order whatever the batch sizes, with and without
// the equality index.
import { parseExpressionAt } from 'acorn';
import { afterEach, describe, expect, it } from 'vitest';
import { ruleEqualities } from '../../src/engine/equality-index.js';
import { Router, type RoutedRule } from '../../src/engine/router.js';
import { seededRandom } from '../../src/bench/common.js';
import { harness, type Harness } from './helpers.js';

const literals = [`3`, `0`, `-0`, `'3'`, `'03'`, `''`, `'x'`, `'id_tag_' + 3`, `1e3`, `'1e3'`, `'true'`, `1`];
const values: unknown[] = [3, '3', '03', 0, -0, '', 'x', 'id_tag_3', true, false, null, undefined, 1000, '1e3', [3], { a: 1 }, NaN, 1, '1'];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

/** A FILTER of one to three conjuncts on `fields`: equalities (inline-tested or called) and others. */
function filterText(random: () => number, fields: readonly string[]): string {
  const conjunct = () => {
    const read = `e.${pick(random, fields)}`;
    switch (Math.floor(random() * 5)) {
      case 0:
      case 1:
        return `${read} ${pick(random, ['==', '==='])} ${pick(random, literals)}`;
      case 2:
        return `[${pick(random, literals)}, ${pick(random, literals)}].includes(${read})`;
      case 3:
        return `(${read} == ${pick(random, literals)} || ${read} === ${pick(random, literals)})`;
      default:
        return `${read} != ${pick(random, literals)}`;
    }
  };
  return `(e) => ${Array.from({ length: 1 + Math.floor(random() * 3) }, conjunct).join(' && ')}`;
}

interface TestRule extends RoutedRule {
  name: string;
}

/**
 * Rules routed by one or two SOURCES fields (one of them `rule`, as alert-fed rules are), some with
 * none (always reached). With `oneField`, FILTERs compare only `a` and rules without an equality
 * select k = 'p': the buckets of k = 'v' and 'w' then hold one conjunct index and nothing else,
 * the case routeBatch looks up inline.
 */
function randomRules(random: () => number, count: number, oneField: boolean): TestRule[] {
  return Array.from({ length: count }, (_, order) => {
    const selectors: { field: string; values: string[] }[] = [];
    const roll = random();
    if (roll < 0.1) {
      // no selector: every event reaches it
    } else if (roll < 0.25) {
      selectors.push({ field: 'rule', values: [pick(random, ['x', 'y'])] });
    } else {
      selectors.push({ field: 'k', values: random() < 0.7 ? ['v'] : ['v', 'w'] });
      if (random() < 0.3) selectors.push({ field: 'j', values: [pick(random, ['1', 'true', 'p'])] });
    }
    const text = filterText(random, oneField ? ['a'] : ['a', 'b', 'c']);
    const equality = random() < 0.8 ? ruleEqualities(parseExpressionAt(text, 0, { ecmaVersion: 'latest' })) : undefined;
    if (oneField && !equality && selectors[0]?.field === 'k') selectors[0] = { field: 'k', values: ['p'] };
    return { name: `r${order}`, order, selectors, equality };
  });
}

function randomEvent(random: () => number): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const field of ['a', 'b', 'c']) {
    const value = pick(random, values);
    if (value !== undefined) event[field] = value;
  }
  if (random() < 0.9) event.k = pick(random, ['v', 'w', 'z', 1, 'p']);
  if (random() < 0.5) event.j = pick(random, [1, true, 'p', 'q']);
  if (random() < 0.3) event.rule = pick(random, ['x', 'y']);
  return event;
}

/** The oracle's answer: the rules `route` (or `routeBy(only)`) offers each event, grouped per rule in first-offered order. */
function eventByEvent(router: Router<TestRule>, batch: Record<string, unknown>[], only?: string) {
  const byRule = new Map<TestRule, number[]>();
  batch.forEach((event, i) => {
    const visit = (rule: TestRule) => {
      const list = byRule.get(rule) ?? [];
      list.push(i);
      byRule.set(rule, list);
    };
    if (only === undefined) router.route(event, visit);
    else router.routeBy(only, event, visit);
  });
  return { rules: [...byRule.keys()].map((r) => r.name), indices: [...byRule.values()] };
}

describe('batch routing', () => {
  for (const [seed, oneField] of [
    [1, false],
    [2, false],
    [3, true],
    [4, true],
  ] as const) {
    it(`gives each rule the events that event-by-event routing offers it, in order (seed ${seed}${oneField ? ', one conjunct field' : ''})`, () => {
      const random = seededRandom(seed);
      const rules = randomRules(random, 300, oneField);
      const router = new Router<TestRule>();
      for (const rule of rules) router.add(rule);
      let offered = 0;
      for (let b = 0; b < 40; b++) {
        const batch = Array.from({ length: 1 + Math.floor(random() * 200) }, () => randomEvent(random));
        for (const only of [undefined, 'rule']) {
          const routed = router.routeBatch(batch, only);
          expect({ rules: routed.rules.map((r) => r.name), indices: routed.indices }).toEqual(eventByEvent(router, batch, only));
          offered += routed.indices.reduce((sum, list) => sum + list.length, 0);
        }
        // Rules come and go between batches: what a removed rule collected must not linger.
        if (b % 10 === 9) {
          const gone = rules.splice(Math.floor(random() * rules.length), 1)[0]!;
          router.remove(gone);
          expect(router.routeBatch(batch).rules).not.toContain(gone);
        }
      }
      // The comparison is not empty, and skipping happens (else the index would not be under test).
      expect(offered).toBeGreaterThan(10_000);
      expect(offered).toBeLessThan(40 * 100 * 2 * 300 * 0.5);
    });
  }

  // Every rule reached through `k` and indexed by an equality on `a`: the shape Router turns around
  // (the number in `a` looked up first, then `k`). Numbers in `a` cover its corner cases: -0, NaN,
  // fractions, negatives, numbers past the small-integer memo, Infinity; rules are removed and added
  // between batches, so the turned-around memo must follow them.
  for (const seed of [5, 6]) {
    it(`turned around (one SOURCES field, one indexed FILTER field), gives each rule what event-by-event routing offers it (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const numbers = [0, -0, 1, 3, 3.5, -1, 1000, 4095, 4096, 1e9, NaN, Infinity, 2];
      const literalsOfA = [`3`, `0`, `-0`, `'3'`, `1e3`, `'1e3'`, `4095`, `4096`, `1e9`, `-1`, `3.5`, `'x'`, `1`, `2`];
      const next = (order: number): TestRule => {
        const first = `e.a ${pick(random, ['==', '==='])} ${pick(random, literalsOfA)}`;
        const rest = random() < 0.5 ? '' : ` && ${filterText(random, ['a'])}`.replace('(e) => ', '');
        const text = random() < 0.2 ? `(e) => [${pick(random, literalsOfA)}, ${pick(random, literalsOfA)}].includes(e.a)${rest}` : `(e) => ${first}${rest}`;
        const values = pick(random, [['v'], ['w'], ['v', 'w'], ['1'], ['z', 'v']]);
        return { name: `t${order}`, order, selectors: [{ field: 'k', values }], equality: ruleEqualities(parseExpressionAt(text, 0, { ecmaVersion: 'latest' })) };
      };
      const rules = Array.from({ length: 200 }, (_, order) => next(order));
      expect(rules.every((r) => r.equality?.indexed.field === 'a')).toBe(true);
      const router = new Router<TestRule>();
      for (const rule of rules) router.add(rule);
      let order = rules.length;
      let offered = 0;
      for (let b = 0; b < 40; b++) {
        const batch = Array.from({ length: 1 + Math.floor(random() * 300) }, () => {
          const event = randomEvent(random);
          if (random() < 0.7) event.a = pick(random, numbers);
          if (random() < 0.95) event.k = pick(random, ['v', 'w', 'z', 1, '1', 'p']);
          delete event.rule;
          return event;
        });
        const routed = router.routeBatch(batch);
        expect({ rules: routed.rules.map((r) => r.name), indices: routed.indices }).toEqual(eventByEvent(router, batch));
        offered += routed.indices.reduce((sum, list) => sum + list.length, 0);
        expect((router as unknown as { inverted: unknown }).inverted, 'the index is turned around').toBeTruthy();
        // A rule added, or one removed, between batches (never both: each must refresh the index on its own).
        if (b % 4 === 1) router.remove(rules.splice(Math.floor(random() * rules.length), 1)[0]!);
        if (b % 4 === 3) {
          for (let k = 0; k < 5; k++) {
            const added = next(order++);
            rules.push(added);
            router.add(added);
          }
        }
      }
      expect(offered).toBeGreaterThan(2_000);
    });
  }

  it('routes an empty batch and a batch no rule takes to nothing', () => {
    const router = new Router<TestRule>();
    router.add({ name: 'r', order: 0, selectors: [{ field: 'k', values: ['v'] }] });
    expect(router.routeBatch([])).toEqual({ rules: [], indices: [] });
    expect(router.routeBatch([{ k: 'w' }, { j: 1 }])).toEqual({ rules: [], indices: [] });
    expect(router.routeBatch([{ k: 'w' }], 'nothing')).toEqual({ rules: [], indices: [] });
  });
});

describe('the thesis workload through the engine against a hand-written model', () => {
  const engines: Harness[] = [];
  afterEach(() => {
    for (const h of engines.splice(0)) h.engine.dispose();
  });

  const specs: { g: number; i: number }[] = [];
  for (let g = 0; g < 3; g++) for (let i = 0; i < 8; i++) specs.push({ g, i });
  const rulesText = specs
    .map(
      ({ g, i }) => `RULE "G${g}.id${i}"
SOURCES groupName = ['Group${g}']
FILTER function (event) { return utils.matches(event['groupTag'], '([A-Za-z]+) V[0-9]*') && event['integer'] == ${i} && event['tag'] == 'id_tag_' + ${i}; }
IOC FILTERS in id_list(tag)
SINK function (event) { return { n: event.n }; }
`,
    )
    .join('\n');
  const iocList = ['id_tag_0', 'id_tag_1', 'id_tag_2', 'id_tag_3', 'id_tag_5', 'id_tag_6', 'id_tag_7'];

  /** Events with the workload's fields and their corner cases: numeric strings, booleans, objects, missing fields, -0, fractions, numbers past the router's small-integer memo, NaN. */
  function events(random: () => number, n: number): Record<string, unknown>[] {
    return Array.from({ length: n }, (_, k) => {
      const i = Math.floor(random() * 10);
      const event: Record<string, unknown> = {
        n: k,
        groupName: `Group${Math.floor(random() * 4)}`,
        groupTag: random() < 0.9 ? 'Demo V01' : '1234',
        integer: pick(random, [i, i, i, String(i), `0${i}`, true, [i], null, i === 0 ? -0 : i + 0.5, 4096 + i, NaN]),
        tag: random() < 0.7 ? `id_tag_${i}` : pick(random, [`id_tag_${(i + 1) % 10}`, { toString: () => `id_tag_${i}` }, i]),
      };
      if (random() < 0.05) delete event.integer;
      return event;
    });
  }

  /** The hand-written model: every rule in file order for every event, as JavaScript evaluates the FILTER. */
  function model(input: Record<string, unknown>[]): { rule: string; n: unknown }[] {
    const out: { rule: string; n: unknown }[] = [];
    const regex = /([A-Za-z]+) V[0-9]*/;
    for (const event of input) {
      for (const { g, i } of specs) {
        if (event.groupName !== `Group${g}`) continue;
        const passes = typeof event.groupTag === 'string' && regex.test(event.groupTag) && event.integer == i && event.tag == `id_tag_${i}`;
        // IOC FILTERS look the field's text up (strings only: an object has no text and is in no list).
        if (passes && typeof event.tag === 'string' && iocList.includes(event.tag)) out.push({ rule: `G${g}.id${i}`, n: event.n });
      }
    }
    return out;
  }

  for (const equalityIndex of [true, false]) {
    it(`raises the model's alerts, in its order, in batches of any size (equalityIndex ${equalityIndex})`, async () => {
      const random = seededRandom(equalityIndex ? 7 : 8);
      const h = await harness({ equalityIndex, outOfOrderMs: 0 });
      engines.push(h);
      h.engine.iocs.create('id_list', { capacity: 64, falsePositiveRate: 0.001 });
      h.engine.iocs.add('id_list', iocList);
      h.rules(rulesText);
      const input = events(random, 6000);
      for (let from = 0; from < input.length; ) {
        const size = pick(random, [1, 7, 64, 1024, 2500]);
        h.engine.push(input.slice(from, from + size));
        from += size;
      }
      const expected = model(input);
      expect(expected.length).toBeGreaterThan(100);
      expect(h.take().map((a) => ({ rule: a.rule, n: a.n }))).toEqual(expected);
    });
  }
});
