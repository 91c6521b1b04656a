import { describe, expect, it } from 'vitest';
import { checkRules, compileCheck, parseRules, type CheckContext, type Diagnostic } from '../../src/lang/index.js';

/** [line, column, endLine, endColumn, severity, code, message] of each diagnostic. */
function brief(d: Diagnostic): [number, number, number, number, string, string, string] {
  return [d.line, d.column, d.endLine, d.endColumn, d.severity, d.code, d.message];
}

function check(text: string, context?: CheckContext) {
  const parsed = parseRules(text, 'rules.vgl');
  expect(parsed.diagnostics).toEqual([]);
  return checkRules(parsed.rules, context).map(brief);
}

const SINK = 'SINK function (e) { return e; }';

describe('checkRules', () => {
  it('accepts the compatibility rules', () => {
    const parsed = parseRules(
      `RULE "a"\nSOURCES k = "v"\nFILTER e => true\nIOC FILTERS in ids(tag)\n${SINK}\n` +
        `RULE "b"\nSOURCES k = "v"\nAGGREGATE BY u\nWITHIN 1:min, 10:sec\nSORT BY t\nHAVING (events) => events.length > 1\n${SINK}`,
    );
    expect(checkRules(parsed.rules, { iocLists: new Set(['ids']) })).toEqual([]);
  });

  it('reports duplicate rule names in the file', () => {
    expect(check(`RULE "a" SOURCES k = "v" ${SINK}\nRULE "b" SOURCES k = "v" ${SINK}\nRULE "a" SOURCES k = "w" ${SINK}`)).toEqual([
      [3, 6, 3, 9, 'error', 'duplicate-rule', 'duplicate rule name "a": also used on line 1'],
    ]);
  });

  it('reports names that already exist when told which', () => {
    expect(check(`RULE "a" SOURCES k = "v" ${SINK}`, { existingRuleNames: new Set(['a']) })).toEqual([
      [1, 6, 1, 9, 'error', 'duplicate-rule', 'a rule named "a" already exists'],
    ]);
  });

  it('reports an empty rule name', () => {
    expect(check(`RULE "" SOURCES k = "v" ${SINK}`)).toEqual([[1, 6, 1, 8, 'error', 'empty-rule-name', 'the rule name is empty']]);
  });

  it('reports HAVING without AGGREGATE BY', () => {
    expect(check(`RULE "a"\nSOURCES k = "v"\nHAVING events => true\n${SINK}`)).toEqual([
      [3, 8, 3, 22, 'error', 'having-without-aggregate', 'HAVING needs AGGREGATE BY and WITHIN: it runs once per window and key'],
    ]);
  });

  it('reports AGGREGATE BY without WITHIN', () => {
    expect(check(`RULE "a"\nSOURCES k = "v"\nAGGREGATE BY user, host\n${SINK}`)).toEqual([
      [
        3, 14, 3, 24, 'error', 'aggregate-without-within',
        'AGGREGATE BY needs WITHIN: give the window length and slide, e.g. WITHIN 1:min, 1:min',
      ],
    ]);
  });

  it('reports WITHIN without AGGREGATE BY', () => {
    expect(check(`RULE "a"\nSOURCES k = "v"\nWITHIN 1:min, 1:min\n${SINK}`)).toEqual([
      [3, 1, 3, 20, 'error', 'within-without-aggregate', 'WITHIN needs AGGREGATE BY: windows are kept per aggregation key'],
    ]);
  });

  it('warns about SORT BY without aggregation', () => {
    expect(check(`RULE "a"\nSOURCES k = "v"\nSORT BY t DESC\n${SINK}`)).toEqual([
      [3, 9, 3, 10, 'warning', 'sort-without-aggregate', 'SORT BY has no effect without AGGREGATE BY: it orders the events handed to HAVING'],
    ]);
  });

  it('reports a slide longer than the window', () => {
    expect(check(`RULE "a"\nSOURCES k = "v"\nAGGREGATE BY u\nWITHIN 10:sec, 1:min\n${SINK}`)).toEqual([
      [
        4, 16, 4, 21, 'error', 'slide-longer-than-window',
        'WITHIN slide 1:min is longer than the window length 10:sec: events between windows would be missed',
      ],
    ]);
  });

  it('reports zero and negative durations', () => {
    expect(check(`RULE "a"\nSOURCES k = "v"\nAGGREGATE BY u\nWITHIN 0:min, -5:sec\n${SINK}`)).toEqual([
      [4, 8, 4, 13, 'error', 'invalid-duration', 'duration 0:min must be greater than zero'],
      [4, 15, 4, 21, 'error', 'invalid-duration', 'duration -5:sec must be greater than zero'],
    ]);
  });

  it('reports unknown IOC lists only when the lists are known', () => {
    const text = `RULE "a"\nSOURCES k = "v"\nIOC FILTERS in bad_ips(ip), not in allow(user)\n${SINK}`;
    expect(check(text)).toEqual([]);
    expect(check(text, { iocLists: new Set(['bad_ips', 'other']) })).toEqual([
      [3, 29, 3, 47, 'error', 'unknown-ioc-list', "unknown IOC list 'allow' (known lists: bad_ips, other)"],
    ]);
    expect(check(text, { iocLists: new Set() }).map((d) => d[6])).toEqual([
      "unknown IOC list 'bad_ips' (no IOC lists are loaded)",
      "unknown IOC list 'allow' (no IOC lists are loaded)",
    ]);
  });

  it('reports functions with the wrong number of parameters', () => {
    expect(
      check(`RULE "a"\nSOURCES k = "v"\nFILTER function () { return true; }\nAGGREGATE BY u\nWITHIN 1:min, 1:min\nHAVING (a, b) => true\nSINK (e, ctx) => e`),
    ).toEqual([
      [3, 8, 3, 36, 'error', 'function-arity', 'FILTER function must take exactly one parameter, e.g. function (event) { … }; it takes 0'],
      [6, 8, 6, 22, 'error', 'function-arity', 'HAVING function must take exactly one parameter, e.g. function (events) { … }; it takes 2'],
      [7, 6, 7, 19, 'error', 'function-arity', 'SINK function must take exactly one parameter, e.g. function (event) { … }; it takes 2'],
    ]);
  });

  it('reports an empty SOURCES value list', () => {
    expect(check(`RULE "a"\nSOURCES k = "v", host = []\n${SINK}`)).toEqual([
      [2, 18, 2, 27, 'error', 'empty-sources', 'SOURCES host = [] matches no event: give at least one value'],
    ]);
  });

  it('builds excerpts and names the rule', () => {
    const parsed = parseRules(`// header\n\nRULE "a"\nSOURCES k = "v"\nWITHIN 1:min, 1:min\n${SINK}`, 'x.vgl');
    const [d] = checkRules(parsed.rules);
    expect(d).toMatchObject({ file: 'x.vgl', rule: 'a', line: 5, column: 1 });
    expect(d!.excerpt).toBe('5 | WITHIN 1:min, 1:min\n    ^^^^^^^^^^^^^^^^^^^');
  });
});

describe('compileCheck', () => {
  it('parses, checks and drops the rules with errors, keeping those with warnings', () => {
    const text = [
      `RULE "syntax" SOURCES k = ${SINK}`,
      `RULE "semantic" SOURCES k = "v" WITHIN 1:min, 1:min ${SINK}`,
      `RULE "warned" SOURCES k = "v" SORT BY t ${SINK}`,
      `RULE "fine" SOURCES k = "v" IOC FILTERS in ids(x) ${SINK}`,
      `RULE "fine" SOURCES k = "v" ${SINK}`,
    ].join('\n');
    const result = compileCheck(text, 'c.vgl', { iocLists: new Set(['ids']) });
    expect(result.rules.map((r) => r.name)).toEqual(['warned', 'fine']);
    expect(result.rules[1]!.iocFilters).toHaveLength(1);
    expect(result.diagnostics.map((d) => [d.line, d.code, d.rule])).toEqual([
      [1, 'syntax', 'syntax'],
      [2, 'within-without-aggregate', 'semantic'],
      [3, 'sort-without-aggregate', 'warned'],
      [5, 'duplicate-rule', 'fine'],
    ]);
  });
});
