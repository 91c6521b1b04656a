import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRules, type JsFunction, type RuleAst } from '../../src/lang/index.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function fn(text: string, params: string[], name?: string): Partial<JsFunction> {
  return name ? { text, params, name } : { text, params };
}

describe('parseRules: compatibility fixture', () => {
  const text = fixture('compat.vgl');
  const { rules, diagnostics } = parseRules(text, 'compat.vgl');

  it('parses both rules without diagnostics', () => {
    expect(diagnostics).toEqual([]);
    expect(rules.map((r) => r.name)).toEqual(['G0.id3', 'brute force']);
  });

  it('reads the simple rule', () => {
    const rule = rules[0]!;
    expect(rule.file).toBe('compat.vgl');
    expect(rule.sources.map(({ field, values }) => ({ field, values }))).toEqual([{ field: 'groupName', values: ['Group0'] }]);
    expect(rule.filter).toMatchObject(
      fn(
        "function (event) { return utils.matches(event['groupTag'], '([A-Za-z]+) V[0-9]*') && event['integer'] == 3 && event['tag'] == 'id_tag_' + 3; }",
        ['event'],
      ),
    );
    expect(rule.filter!.name).toBeUndefined();
    expect(rule.iocFilters.map(({ negated, list, field }) => ({ negated, list, field }))).toEqual([
      { negated: false, list: 'id_list', field: 'tag' },
    ]);
    expect(rule.sink).toMatchObject(fn('function (event) { return event; }', ['event']));
    expect(rule.using).toBeUndefined();
    expect(rule.aggregateBy).toBeUndefined();
    expect(rule.within).toBeUndefined();
    expect(rule.sortBy).toBeUndefined();
    expect(rule.having).toBeUndefined();
  });

  it('reads the aggregation rule written in lower case', () => {
    const rule = rules[1]!;
    expect(rule.sources.map(({ field, values }) => ({ field, values }))).toEqual([{ field: 'kind', values: ['auth'] }]);
    expect(rule.filter).toMatchObject(
      fn(`function isFailure(e) { return e.outcome === 'failure' /* } tricky */ && e.msg !== "}" ; }`, ['e'], 'isFailure'),
    );
    expect(rule.iocFilters).toEqual([]);
    expect(rule.using?.field).toBe('timestamp');
    expect(rule.aggregateBy?.map((f) => f.field)).toEqual(['user', 'server']);
    expect(rule.within?.length).toMatchObject({ amount: 1, unit: 'min', ms: 60_000 });
    expect(rule.within?.slide).toMatchObject({ amount: 10, unit: 'sec', ms: 10_000 });
    expect(rule.sortBy).toMatchObject({ field: 'timestamp', descending: false });
    expect(rule.having).toMatchObject(
      fn("function (events) { return events.length >= 5 ? { user: events[0].fields['user'], n: events.length } : null; }", ['events']),
    );
    expect(rule.sink).toMatchObject(fn('function (alert) { return alert; }', ['alert']));
  });

  it('gives positions as 1-based lines and columns with offsets', () => {
    const [simple, brute] = rules as [RuleAst, RuleAst];
    expect(simple.nameSpan).toEqual({ start: { line: 1, column: 6, offset: 5 }, end: { line: 1, column: 14, offset: 13 } });
    expect(simple.span.start).toEqual({ line: 1, column: 1, offset: 0 });
    expect(simple.span.end).toEqual({ line: 5, column: 40, offset: 262 });
    expect(simple.text).toBe(text.slice(0, 262));
    expect(simple.filter!.span.start).toEqual({ line: 3, column: 8, offset: 52 });
    expect(text.slice(simple.filter!.span.start.offset, simple.filter!.span.end.offset)).toBe(simple.filter!.text);
    expect(simple.iocFilters[0]!.span.start).toMatchObject({ line: 4, column: 13 });
    expect(brute.span.start).toEqual({ line: 7, column: 1, offset: 264 });
    expect(brute.text.startsWith("rule 'brute force'\n")).toBe(true);
    expect(brute.text.endsWith('sink function (alert) { return alert; }')).toBe(true);
    expect(brute.within!.length.span.start).toMatchObject({ line: 12, column: 8 });
    expect(brute.within!.slide.span.start).toMatchObject({ line: 12, column: 15 });
    expect(brute.within!.slide.span.end).toMatchObject({ line: 12, column: 21 });
  });

  it('gives acorn nodes relative to the function text', () => {
    const filter = rules[1]!.filter!;
    expect(filter.node.type).toBe('FunctionExpression');
    expect(filter.node.start).toBe(0);
    expect(filter.node.end).toBe(filter.text.length);
    expect(filter.node.loc?.start).toEqual({ line: 1, column: 0 });
  });
});

describe('parseRules: variants', () => {
  const { rules, diagnostics } = parseRules(fixture('variants.vgl'), 'variants.vgl');

  it('parses every variant', () => {
    expect(diagnostics).toEqual([]);
    expect(rules.map((r) => r.name)).toEqual(['tumbling', 'alerts of brute force', 'braces in strings']);
  });

  it('accepts WITHIN 1:sec,1:sec without spaces', () => {
    expect(rules[0]!.within!.length).toMatchObject({ amount: 1, unit: 'sec', ms: 1000 });
    expect(rules[0]!.within!.slide).toMatchObject({ amount: 1, unit: 'sec', ms: 1000 });
  });

  it('accepts a rule without FILTER that selects alerts by the `rule` field', () => {
    const rule = rules[1]!;
    expect(rule.filter).toBeUndefined();
    expect(rule.sources.map(({ field, values }) => ({ field, values }))).toEqual([
      { field: 'rule', values: ['brute force'] },
      { field: 'severity', values: ['high', 'critical'] },
    ]);
    expect(rule.sink).toMatchObject(fn('(alert) => ({ ...alert, escalated: true })', ['alert']));
    expect(rule.sink.node.type).toBe('ArrowFunctionExpression');
  });

  it('reads template literals, regexes and strings with braces, dotted and quoted fields', () => {
    const rule = rules[2]!;
    expect(rule.sources[0]).toMatchObject({ field: 'source.kind', values: ['web'] });
    expect(rule.filter).toMatchObject(
      fn("(e) => `${e.path}}{` !== '}' && /[{}]+\\/x/.test(e.query) && e.tag === \"{\"", ['e']),
    );
    expect(rule.iocFilters.map(({ negated, list, field }) => ({ negated, list, field }))).toEqual([
      { negated: true, list: 'allow_list', field: 'source.ip' },
      { negated: false, list: 'bad-ips', field: 'source.ip' },
      { negated: false, list: 'bad_users', field: 'user name' },
    ]);
    expect(rule.using?.field).toBe('@timestamp');
    expect(rule.aggregateBy?.map((f) => f.field)).toEqual(['source.ip']);
    expect(rule.within?.length.ms).toBe(300_000);
    expect(rule.within?.slide.ms).toBe(30_000);
    expect(rule.sortBy).toMatchObject({ field: '@timestamp', descending: true });
    expect(rule.having).toMatchObject(fn('events => events.some((e) => e.status >= 500)', ['events']));
    expect(rule.sink).toMatchObject(
      fn('function shape(event) {\n  const msg = `template with a } brace and ${event.x}`;\n  return { msg, re: /}/g.source };\n}', ['event'], 'shape'),
    );
    expect(rule.sink.span.start.line).toBe(25);
    expect(rule.sink.span.end).toMatchObject({ line: 28, column: 2 });
  });
});

describe('parseRules: details', () => {
  it('applies JavaScript escapes in strings', () => {
    const { rules, diagnostics } = parseRules(String.raw`RULE "say \"hi\"\tA" SOURCES k = ['it\'s', "\u0041\x42\u{43}"] SINK e => e`);
    expect(diagnostics).toEqual([]);
    expect(rules[0]!.name).toBe('say "hi"\tA');
    expect(rules[0]!.sources[0]!.values).toEqual(["it's", 'ABC']);
  });

  it('accepts destructuring, defaults and arrow shorthand, giving pattern params as source text', () => {
    const { rules } = parseRules('RULE "r" SOURCES k = "v" SINK ({ user, ip }, extra = 1) => user');
    expect(rules[0]!.sink.params).toEqual(['{ user, ip }', 'extra = 1']);
    const single = parseRules('RULE "r" SOURCES k = "v" SINK e => e').rules[0]!;
    expect(single.sink).toMatchObject({ text: 'e => e', params: ['e'] });
  });

  it('accepts a parenthesised function', () => {
    const { rules, diagnostics } = parseRules('RULE "r" SOURCES k = "v" SINK (function (e) { return e; })');
    expect(diagnostics).toEqual([]);
    expect(rules[0]!.sink).toMatchObject({ text: '(function (e) { return e; })', params: ['e'] });
    expect(rules[0]!.sink.node.type).toBe('FunctionExpression');
  });

  it('accepts several rules on one line and clauses on several lines', () => {
    const { rules, diagnostics } = parseRules(
      'RULE "a" SOURCES k = "v" SINK e => e RULE "b" SOURCES k =\n  [\n "x",\n "y",\n ]\nSINK e => e',
    );
    expect(diagnostics).toEqual([]);
    expect(rules.map((r) => r.name)).toEqual(['a', 'b']);
    expect(rules[1]!.sources[0]!.values).toEqual(['x', 'y']);
  });

  it('accepts an empty file and a file of comments', () => {
    expect(parseRules('')).toEqual({ rules: [], diagnostics: [] });
    expect(parseRules('// nothing\n/* here */\n')).toEqual({ rules: [], diagnostics: [] });
  });

  it('keeps decimal and negative durations for the checker', () => {
    const { rules, diagnostics } = parseRules('RULE "r" SOURCES k = "v" AGGREGATE BY a WITHIN 1.5:min, -2:h SINK e => e');
    expect(diagnostics).toEqual([]);
    expect(rules[0]!.within!.length).toMatchObject({ amount: 1.5, unit: 'min', ms: 90_000 });
    expect(rules[0]!.within!.slide).toMatchObject({ amount: -2, unit: 'h', ms: -7_200_000 });
  });

  it('reads units case-insensitively, and d and ms', () => {
    const { rules } = parseRules('RULE "r" SOURCES k = "v" AGGREGATE BY a WITHIN 1:D, 500:MS SINK e => e');
    expect(rules[0]!.within!.length).toMatchObject({ unit: 'd', ms: 86_400_000 });
    expect(rules[0]!.within!.slide).toMatchObject({ unit: 'ms', ms: 500 });
  });

  it('does not print anything', () => {
    const spies = (['log', 'error', 'warn'] as const).map((m) => {
      const original = console[m];
      const calls: unknown[] = [];
      console[m] = (...args: unknown[]) => void calls.push(args);
      return { m, original, calls };
    });
    try {
      parseRules('RULE x SOURCES = SINK 1 # "open');
    } finally {
      for (const s of spies) console[s.m] = s.original;
    }
    expect(spies.flatMap((s) => s.calls)).toEqual([]);
  });
});
