import { describe, expect, it } from 'vitest';
import { formatDiagnostic, parseRules, type Diagnostic } from '../../src/lang/index.js';
import { createNodeEngine } from '../../src/runtime/node.js';

/** [line, column, endLine, endColumn, code, message] of each diagnostic. */
function brief(d: Diagnostic): [number, number, number, number, string, string] {
  return [d.line, d.column, d.endLine, d.endColumn, d.code, d.message];
}

function problems(text: string) {
  const result = parseRules(text, 'bad.vgl');
  return { names: result.rules.map((r) => r.name), diagnostics: result.diagnostics.map(brief), raw: result.diagnostics };
}

const SINK = 'SINK function (e) { return e; }';

describe('syntax errors', () => {
  it('reports a missing keyword in the middle of a rule', () => {
    const r = problems(`RULE "a"\nSOURCES kind = "auth"\nAGGREGATE user\nWITHIN 1:min, 1:min\n${SINK}\n`);
    expect(r.diagnostics).toEqual([[3, 11, 3, 15, 'syntax', "expected BY after AGGREGATE, found 'user'"]]);
    expect(r.names).toEqual([]);
    expect(r.raw[0]).toMatchObject({ severity: 'error', file: 'bad.vgl', rule: 'a' });
    expect(formatDiagnostic(r.raw[0]!)).toBe(
      "bad.vgl:3:11: error: expected BY after AGGREGATE, found 'user'\n3 | AGGREGATE user\n              ^^^^",
    );
  });

  it('reports a missing comma between AGGREGATE BY fields', () => {
    const r = problems(`RULE "a"\nSOURCES kind = "auth"\nAGGREGATE BY user server\nWITHIN 1:min, 1:min\n${SINK}`);
    expect(r.diagnostics).toEqual([[3, 19, 3, 25, 'syntax', "expected ',' between AGGREGATE BY fields, found 'server'"]]);
  });

  it('reports a missing WITHIN slide', () => {
    const r = problems(`RULE "a"\nSOURCES kind = "auth"\nAGGREGATE BY user\nWITHIN 1:min 10:sec\n${SINK}`);
    expect(r.diagnostics).toEqual([
      [4, 14, 4, 16, 'syntax', "expected ',' and the window slide after the WITHIN length, e.g. WITHIN 1:min, 10:sec, found '10'"],
    ]);
  });

  it('points after the last token when something is missing at the end of a line', () => {
    const r = problems(`RULE "a"\nSOURCES kind =\n${SINK}`);
    expect(r.diagnostics).toEqual([
      [2, 15, 2, 15, 'syntax', `expected a quoted string or a list like ["a", "b"] after '=', found 'SINK'`],
    ]);
  });

  it('asks for a quoted rule name', () => {
    const r = problems(`RULE brute\nSOURCES kind = "auth"\n${SINK}`);
    expect(r.diagnostics).toEqual([
      [1, 6, 1, 11, 'syntax', `expected the rule name in quotes after RULE, e.g. RULE "brute force", found 'brute'`],
    ]);
  });

  it('reports stray input before the first rule and after a rule', () => {
    const r = problems(`hello\nRULE "a"\nSOURCES kind = "auth"\n${SINK}\nbye`);
    expect(r.diagnostics).toEqual([
      [1, 1, 1, 6, 'syntax', "expected RULE, found 'hello'"],
      [5, 1, 5, 4, 'syntax', "expected a clause keyword or RULE after the SINK function, found 'bye'"],
    ]);
    expect(r.raw[0]!.rule).toBeUndefined();
    expect(r.raw[1]!.rule).toBe('a');
  });

  it('reports a stray character', () => {
    const r = problems(`RULE "a"\nSOURCES kind = "auth" #\n${SINK}`);
    expect(r.diagnostics).toEqual([[2, 23, 2, 24, 'syntax', "unexpected character '#'"]]);
  });

  it('reports a malformed IOC FILTERS term', () => {
    const r = problems(`RULE "a"\nSOURCES kind = "auth"\nIOC FILTERS bad(ip)\n${SINK}`);
    expect(r.diagnostics).toEqual([
      [3, 13, 3, 16, 'syntax', "expected an IOC FILTERS term like in list(field) or not in list(field) after IOC FILTERS, found 'bad'"],
    ]);
  });

  it('reports one syntax error per rule, not the echoes of error recovery', () => {
    const r = problems(`RULE "a"\nSOURCES kind = "auth"\nUSING\nAGGREGATE BY x\n${SINK}`);
    expect(r.diagnostics).toEqual([[3, 6, 3, 6, 'syntax', "expected a field name after USING, found 'AGGREGATE'"]]);
  });
});

describe('lexical errors', () => {
  it('reports an unterminated string', () => {
    const r = problems(`RULE "a"\nSOURCES kind = "auth\n${SINK}`);
    expect(r.diagnostics).toEqual([[2, 16, 2, 21, 'unterminated-string', 'unterminated string: add the closing " on the same line']]);
    expect(r.names).toEqual([]);
  });

  it('reports an unterminated comment', () => {
    const r = problems(`RULE "a" /* open\nSOURCES kind = "auth"\n${SINK}`);
    expect(r.diagnostics).toEqual([[1, 10, 1, 12, 'unterminated-comment', 'unterminated comment: /* has no closing */']]);
  });
});

describe('JavaScript functions', () => {

  // acorn reads member chains, call chains and && chains without recursing, but every walker after
  // it (the regex check, the router's index, the compilers) recurses once per level: 5,000 levels
  // threw "Maximum call stack size exceeded" out of putRules. The sandbox reads at most 200 levels.
  const deep: [string, string][] = [
    ['member chain', `e${'.a'.repeat(5000)} == 1`],
    ['optional chain', `e${'?.a'.repeat(5000)} == 1`],
    ['&& chain', `e.x == 1${' && e.x == 1'.repeat(5000)}`],
    ['call chain', `e.list${'.map((x) => x)'.repeat(3000)}.length > 0`],
  ];
  it.each(deep)('refuses a function nested deeper than 200 levels (%s) at its place, and the engine goes on', async (_, expression) => {
    const text = `RULE "a"\nSOURCES kind = "x"\nFILTER function (e) { return ${expression}; }\n${SINK}\n`;
    const r = problems(text);
    expect(r.diagnostics).toEqual([[3, 30, 3, 31, 'js-too-deep', 'FILTER function nested deeper than 200 levels']]);
    expect(r.names).toEqual([]);

    const engine = await createNodeEngine({});
    try {
      const result = engine.putRules(text);
      expect(result.ok).toBe(false);
      expect(result.diagnostics.map((d) => [d.line, d.column, d.code])).toEqual([[3, 30, 'js-too-deep']]);
      expect(engine.putRules(`RULE "b"\nSOURCES kind = "x"\n${SINK}\n`).ok).toBe(true);
    } finally {
      engine.dispose();
    }
  });

  it('accepts 190 levels', () => {
    const r = problems(`RULE "a"\nSOURCES kind = "x"\nFILTER function (e) { return e${'.a'.repeat(190)} == 1; }\n${SINK}\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.names).toEqual(['a']);
  });
  it('points a JavaScript syntax error at its file line and column', () => {
    const text = `RULE "a"\nSOURCES kind = "auth"\nFILTER function (e) {\n  const ok = e.outcome === 'failure';\n  return ok &&& e.user;\n}\n${SINK}`;
    const r = problems(text);
    expect(r.diagnostics).toEqual([[5, 15, 5, 16, 'js-syntax', 'JavaScript syntax error in FILTER function: Unexpected token']]);
    expect(r.raw[0]!.excerpt).toBe('5 |   return ok &&& e.user;\n                  ^');
  });

  it('reports a function that is never closed and keeps the next rule', () => {
    const r = problems(`RULE "a"\nSOURCES kind = "auth"\nFILTER function (e) { return e.x === 1;\n${SINK}\n\nRULE "b"\nSOURCES kind = "auth"\n${SINK}`);
    expect(r.diagnostics).toEqual([
      [3, 39, 3, 40, 'js-syntax', "JavaScript syntax error in FILTER function: it does not end before the next clause (missing '}' or ')'?)"],
    ]);
    expect(r.raw[0]!.rule).toBe('a');
    expect(r.names).toEqual(['b']);
  });

  it('requires a function after FILTER, HAVING and SINK', () => {
    expect(problems(`RULE "a"\nSOURCES kind = "auth"\nFILTER event.x == 1\n${SINK}`).diagnostics).toEqual([
      [3, 8, 3, 20, 'expected-function', 'FILTER expects a JavaScript function, e.g. function (event) { … }'],
    ]);
    expect(problems(`RULE "a"\nSOURCES kind = "auth"\nSINK 42`).diagnostics).toEqual([
      [3, 6, 3, 8, 'expected-function', 'SINK expects a JavaScript function, e.g. function (event) { … }'],
    ]);
    expect(problems(`RULE "a"\nSOURCES kind = "auth"\nAGGREGATE BY u\nWITHIN 1:min, 1:min\nHAVING (events.length > 3)\n${SINK}`).diagnostics).toEqual([
      [5, 8, 5, 27, 'expected-function', 'HAVING expects a JavaScript function, e.g. function (events) { … }'],
    ]);
  });

  it('tells an arrow function from a parenthesised expression', () => {
    const ok = parseRules(`RULE "a" SOURCES k = "v" SINK (e, f = (g) => (g)) => e`);
    expect(ok.diagnostics).toEqual([]);
    expect(ok.rules[0]!.sink.params).toEqual(['e', 'f = (g) => (g)']);
    expect(problems(`RULE "a"\nSOURCES k = "v"\nFILTER (e.x == 1) // why not?\n${SINK}`).diagnostics).toEqual([
      [3, 8, 3, 18, 'expected-function', 'FILTER expects a JavaScript function, e.g. function (event) { … }'],
    ]);
  });

  it('reports a clause keyword with nothing after it', () => {
    expect(problems(`RULE "a"\nSOURCES kind = "auth"\nFILTER\n${SINK}`).diagnostics).toEqual([
      [3, 7, 3, 7, 'syntax', 'FILTER expects a JavaScript function, e.g. function (event) { … }'],
    ]);
    expect(problems(`RULE "a"\nSOURCES kind = "auth"\nSINK\n`).diagnostics).toEqual([
      [3, 5, 3, 5, 'syntax', 'SINK expects a JavaScript function, e.g. function (event) { … }'],
    ]);
  });

  it('rejects async and generator functions', () => {
    expect(problems(`RULE "a" SOURCES k = "v" SINK async (e) => e`).diagnostics).toEqual([
      [1, 31, 1, 45, 'async-function', 'SINK function cannot be async: rule functions run synchronously'],
    ]);
    expect(problems(`RULE "a" SOURCES k = "v" SINK function* (e) { yield e; }`).diagnostics[0]![4]).toBe('generator-function');
  });

  it('reads a function followed by a comment and the next clause', () => {
    const r = problems(`RULE "a"\nSOURCES k = "v"\nFILTER e => e.x // not part of it\n/* nor this */ ${SINK}`);
    expect(r.diagnostics).toEqual([]);
    expect(parseRules(`RULE "a"\nSOURCES k = "v"\nFILTER e => e.x // not part of it\n${SINK}`).rules[0]!.filter!.text).toBe('e => e.x');
  });
});

describe('rule structure', () => {
  it('reports a missing SINK clause', () => {
    const r = problems(`RULE "a"\nSOURCES kind = "auth"\n`);
    expect(r.diagnostics).toEqual([[1, 1, 1, 9, 'missing-clause', 'missing SINK clause in rule "a"']]);
  });

  it('reports a missing SOURCES clause', () => {
    const r = problems(`RULE "a"\n${SINK}`);
    expect(r.diagnostics).toEqual([[1, 1, 1, 9, 'missing-clause', 'missing SOURCES clause in rule "a"']]);
  });

  it('reports an unknown time unit', () => {
    const r = problems(`RULE "a"\nSOURCES kind = "auth"\nAGGREGATE BY user\nWITHIN 1:m, 10:s\n${SINK}`);
    expect(r.diagnostics).toEqual([
      [4, 10, 4, 11, 'unknown-unit', "unknown time unit 'm': use ms, sec, min, h or d (e.g. 10:sec)"],
      [4, 16, 4, 17, 'unknown-unit', "unknown time unit 's': use ms, sec, min, h or d (e.g. 10:sec)"],
    ]);
    expect(r.names).toEqual([]);
  });

  it('reports clauses out of order', () => {
    const r = problems(`RULE "a"\nSOURCES kind = "auth"\n${SINK}\nUSING ts`);
    expect(r.diagnostics).toEqual([
      [
        4, 1, 4, 6, 'clause-order',
        'USING must come before SINK in rule "a"; clauses go SOURCES, FILTER, IOC FILTERS, USING, AGGREGATE BY, WITHIN, SORT BY, HAVING, SINK, SUPPRESS',
      ],
    ]);
  });

  it('reports a duplicate clause', () => {
    const r = problems(`RULE "a"\nSOURCES kind = "auth"\nFILTER e => true\nFILTER e => false\n${SINK}`);
    expect(r.diagnostics).toEqual([[4, 1, 4, 7, 'duplicate-clause', 'duplicate FILTER clause in rule "a"']]);
  });

  it('reports a bad escape in a string', () => {
    const r = problems(String.raw`RULE "a" SOURCES kind = "a\x4" ${SINK}`);
    expect(r.diagnostics).toEqual([[1, 27, 1, 30, 'invalid-string', 'invalid string: Bad character escape sequence']]);
  });
});

describe('several rules', () => {
  it('reports two broken rules and still returns the good third one', () => {
    const text = [
      'RULE "one"',
      'SOURCES kind = "auth"',
      'WITHIN 1:min 1:min',
      SINK,
      '',
      'RULE "two"',
      'SOURCES kind = "auth"',
      'FILTER function (e) { return e.x === ; }',
      SINK,
      '',
      'RULE "three"',
      'SOURCES kind = "auth"',
      SINK,
    ].join('\n');
    const r = problems(text);
    expect(r.diagnostics).toEqual([
      [3, 14, 3, 15, 'syntax', "expected ',' and the window slide after the WITHIN length, e.g. WITHIN 1:min, 10:sec, found '1'"],
      [8, 38, 8, 39, 'js-syntax', 'JavaScript syntax error in FILTER function: Unexpected token'],
    ]);
    expect(r.raw.map((d) => d.rule)).toEqual(['one', 'two']);
    expect(r.names).toEqual(['three']);
  });

  it('returns the good rules around a rule with a lexical error', () => {
    const r = problems(`RULE "a" SOURCES k = "v" ${SINK}\nRULE "b" SOURCES k = "v ${SINK}\nRULE "c" SOURCES k = "v" ${SINK}`);
    expect(r.names).toEqual(['a', 'c']);
    expect(r.diagnostics.map((d) => d[4])).toEqual(['unterminated-string']);
  });
});
