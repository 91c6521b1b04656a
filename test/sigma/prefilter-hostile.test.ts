/**
 * The prefilter under hostile rules and events: rules whose literals would grow an automaton past
 * its limits stay correct (they are left unfiltered: offered every event), and a 1 MB value costs
 * time linear in its length. The oracle is each rule's own `match`.
 */
import { describe, expect, it } from 'vitest';
import { fieldAccess } from '../../src/sigma/field-access.js';
import { LiteralPrefilter } from '../../src/sigma/prefilter.js';
import { compile, ruleText } from './helpers.js';

describe('Sigma prefilter limits and pathological values', () => {
  it('leaves the rules past an automaton limit unfiltered, and still offers every rule whose literals occur', () => {
    const rules = Array.from({ length: 40 }, (_, i) => compile(ruleText(`    selection:\n        CommandLine|contains: 'needle${i}x'`)));
    for (const r of rules) expect(r.requires).toBeDefined();
    // Room for about 10 literals of 9 units per field automaton.
    const prefilter = new LiteralPrefilter<{ order: number; rule: (typeof rules)[number] }>({ maxPatterns: 10, maxPatternUnits: 1000 });
    rules.forEach((rule, order) => prefilter.add({ order, rule }, rule.requires!));
    const stats = prefilter.stats();
    expect(stats.patterns).toBe(10);
    expect(stats.unfiltered).toBe(30);
    for (let i = 0; i < 40; i++) {
      const event = { CommandLine: `cmd /c NEEDLE${i}X` };
      const offered = prefilter.candidates(event).map((c) => c.rule);
      const matching = rules.filter((r) => r.match(event));
      expect(matching).toHaveLength(1);
      expect(offered).toContain(matching[0]);
      // Filtered rules whose literal is absent are not offered.
      expect(offered.length).toBe(i < 10 ? 31 : 30);
    }
  });

  it('scans a 1 MB command line in time linear in its length', () => {
    const access = fieldAccess(['CommandLine']);
    const prefilter = new LiteralPrefilter<{ order: number }>();
    // Literals that keep the automaton deep on a run of one character.
    for (let i = 0; i < 300; i++) prefilter.add({ order: i }, [[{ access, literal: `${'a'.repeat(1 + (i % 60))}${String.fromCharCode(98 + (i % 20))}` }]]);
    const timeOf = (length: number) => {
      const start = performance.now();
      for (let r = 0; r < 3; r++) prefilter.candidates({ CommandLine: 'A'.repeat(length) + String(r) });
      return performance.now() - start;
    };
    timeOf(100_000);
    const small = Math.max(timeOf(125_000), 1);
    const large = timeOf(1_000_000);
    expect(large / small).toBeLessThan(30);
    expect(prefilter.candidates({ CommandLine: `${'a'.repeat(1_000_000)}b` }).map((c) => c.order)).toEqual(Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 20 === 0));
  });
});
