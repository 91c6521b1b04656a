/**
 * STATE MACHINE BY keys ON field, its state lines, TIMEOUT and RESET ON ALERT: parsing, the AST,
 * the checks, syntax errors, tokenizing, and the rules written before the clause existed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkRules,
  compileCheck,
  parseRules,
  tokenize,
  type Diagnostic,
  type Span,
  type StateMachine,
} from '../../src/lang/index.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** [line, column, endLine, endColumn, severity, code, message] of each diagnostic. */
function brief(d: Diagnostic): [number, number, number, number, string, string, string] {
  return [d.line, d.column, d.endLine, d.endColumn, d.severity, d.code, d.message];
}

/** Every diagnostic of parsing and checking `text`. */
function problems(text: string) {
  return compileCheck(text, 'sm.vgl').diagnostics.map(brief);
}

/** The state machine of the only rule of `text`, which must have no diagnostics. */
function machineOf(text: string): StateMachine {
  const { rules, diagnostics } = compileCheck(text, 'sm.vgl');
  expect(diagnostics.map(brief)).toEqual([]);
  expect(rules).toHaveLength(1);
  return rules[0]!.stateMachine!;
}

/** A span of `text` from 1-based line/column to line/column, offsets computed from the text. */
function spanIn(text: string) {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const at = (line: number, column: number) => ({ line, column, offset: starts[line - 1]! + column - 1 });
  return (line: number, column: number, endLine: number, endColumn: number): Span => ({
    start: at(line, column),
    end: at(endLine, endColumn),
  });
}

/** Drops spans, for comparing names only. */
function names(machine: StateMachine) {
  return machine.states.map((s) => [s.name, s.transitions.map((t) => `${t.event} -> ${t.target}`)]);
}

const HEAD = 'RULE "a"\nSOURCES kind = "packet"\n';
const SINK = 'SINK function (alert) { return alert; }';

describe('STATE MACHINE: the AST', () => {
  const text = fixture('state-machine.vgl');

  it('reads the example of the README exactly', () => {
    const span = spanIn(text);
    const { rules, diagnostics } = compileCheck(text, 'state-machine.vgl');
    expect(diagnostics).toEqual([]);
    expect(rules).toHaveLength(1);
    const rule = rules[0]!;
    expect(rule.name).toBe('Protocol violation');
    expect(rule.using).toEqual({ field: 'timestamp', span: span(3, 9, 3, 18) });
    expect(rule.aggregateBy).toBeUndefined();
    expect(rule.within).toBeUndefined();
    expect(rule.sortBy).toBeUndefined();
    expect(rule.having).toBeUndefined();
    expect(rule.sink.text).toBe('function (alert) { return alert; }');
    expect(rule.stateMachine).toEqual({
      keyFields: [{ field: 'sourceAddress', span: span(4, 20, 4, 33) }],
      on: { field: 'type', span: span(4, 37, 4, 41) },
      states: [
        {
          name: 'INITIAL',
          span: span(5, 5, 5, 12),
          transitions: [
            { event: 'a', target: 'W', span: span(5, 14, 5, 20) },
            { event: 'c', target: 'X', span: span(5, 22, 5, 28) },
          ],
        },
        { name: 'W', span: span(6, 5, 6, 6), transitions: [{ event: 'b', target: 'Y', span: span(6, 8, 6, 14) }] },
        {
          name: 'X',
          span: span(7, 5, 7, 6),
          transitions: [
            { event: 'b', target: 'Y', span: span(7, 8, 7, 14) },
            { event: 'd', target: 'Z', span: span(7, 16, 7, 22) },
          ],
        },
        { name: 'Y', span: span(8, 5, 8, 6), transitions: [{ event: 'e', target: 'Z', span: span(8, 8, 8, 14) }] },
        { name: 'Z', span: span(9, 5, 9, 6), transitions: [{ event: 'g', target: 'TERM', span: span(9, 8, 9, 17) }] },
      ],
      timeout: { amount: 5, unit: 'min', ms: 300_000, span: span(10, 11, 10, 16) },
      resetOnAlert: true,
      span: span(4, 3, 9, 18),
    } satisfies StateMachine);
  });

  it('leaves out TIMEOUT and gives resetOnAlert false when they are not written', () => {
    const machine = machineOf(`${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> TERM;\n${SINK}`);
    expect(machine.resetOnAlert).toBe(false);
    expect('timeout' in machine).toBe(false);
  });

  it('reads quoted and numeric event names, and quoted state names', () => {
    const machine = machineOf(
      `${HEAD}STATE MACHINE BY k ON event.code\n` +
        `  INITIAL: "SYN" -> 'half open', 4625 -> failed, 1.5 -> TERM, 'a\\tb' -> TERM;\n` +
        `  'half open': "SYN-ACK" -> TERM, '' -> TERM;\n` +
        `  failed: "4625" -> failed, 4624 -> TERM;\n${SINK}`,
    );
    expect(machine.on.field).toBe('event.code');
    expect(names(machine)).toEqual([
      ['INITIAL', ['SYN -> half open', '4625 -> failed', '1.5 -> TERM', 'a\tb -> TERM']],
      ['half open', ['SYN-ACK -> TERM', ' -> TERM']],
      ['failed', ['4625 -> failed', '4624 -> TERM']],
    ]);
  });

  it('reads INITIAL and TERM in any case, other state names as written', () => {
    const machine = machineOf(`${HEAD}state machine by k on type\n  initial: a -> Open;\n  Open: b -> term, c -> open;\n  open: d -> Term;\n${SINK}`);
    expect(names(machine)).toEqual([
      ['INITIAL', ['a -> Open']],
      ['Open', ['b -> TERM', 'c -> open']],
      ['open', ['d -> TERM']],
    ]);
  });

  it('reads several key fields: dotted, quoted and named like keywords', () => {
    const text = `${HEAD}STATE MACHINE BY source.ip, 'user name', state, timeout, on ON "event type"\n  INITIAL: a -> TERM;\n${SINK}`;
    const machine = machineOf(text);
    const span = spanIn(text);
    expect(machine.keyFields).toEqual([
      { field: 'source.ip', span: span(3, 18, 3, 27) },
      { field: 'user name', span: span(3, 29, 3, 40) },
      { field: 'state', span: span(3, 42, 3, 47) },
      { field: 'timeout', span: span(3, 49, 3, 56) },
      { field: 'on', span: span(3, 58, 3, 60) },
    ]);
    expect(machine.on).toEqual({ field: 'event type', span: span(3, 64, 3, 76) });
  });

  it('lets the new keywords be bare state names, event names and fields', () => {
    const machine = machineOf(
      `RULE "a"\nSOURCES state = "x"\nUSING timeout\nSTATE MACHINE BY state ON reset\n` +
        `  INITIAL: state -> machine, on -> reset, alert -> timeout;\n` +
        `  machine: initial -> INITIAL, term -> TERM;\n  reset: x -> TERM;\n  timeout: y -> TERM;\n` +
        `TIMEOUT 1:h\nRESET ON ALERT\n${SINK}`,
    );
    expect(names(machine)).toEqual([
      ['INITIAL', ['state -> machine', 'on -> reset', 'alert -> timeout']],
      ['machine', ['initial -> INITIAL', 'term -> TERM']],
      ['reset', ['x -> TERM']],
      ['timeout', ['y -> TERM']],
    ]);
    expect(machine.timeout?.ms).toBe(3_600_000);
    expect(machine.resetOnAlert).toBe(true);
  });

  it('keeps rules that use the new keywords as field names parsing as before', () => {
    const text =
      `RULE "old"\nSOURCES state = "open", machine = ["a"]\nIOC FILTERS in bad(reset) not in good(initial)\n` +
      `USING timeout\nAGGREGATE BY state, on, term, alert\nWITHIN 1:min, 1:min\nSORT BY reset DESC\n${SINK}`;
    const { rules, diagnostics } = compileCheck(text);
    expect(diagnostics).toEqual([]);
    const rule = rules[0]!;
    expect(rule.sources.map((s) => s.field)).toEqual(['state', 'machine']);
    expect(rule.iocFilters.map((t) => t.field)).toEqual(['reset', 'initial']);
    expect(rule.using?.field).toBe('timeout');
    expect(rule.aggregateBy?.map((f) => f.field)).toEqual(['state', 'on', 'term', 'alert']);
    expect(rule.sortBy).toMatchObject({ field: 'reset', descending: true });
    expect(rule.stateMachine).toBeUndefined();
  });

  it('reads a rule on one line, and a state line over several lines', () => {
    const machine = machineOf(`RULE "a" SOURCES k = "v" STATE MACHINE BY k ON t INITIAL: a -> W, b -> TERM; W: c -> TERM; ${SINK}`);
    expect(names(machine)).toEqual([['INITIAL', ['a -> W', 'b -> TERM']], ['W', ['c -> TERM']]]);
    const multi = machineOf(`${HEAD}STATE MACHINE BY k ON t\n  INITIAL:\n    a -> W,\n    b -> TERM\n  ;\n  W: c -> TERM;\n${SINK}`);
    expect(multi.states[0]!.transitions.map((t) => t.span.start.line)).toEqual([5, 6]);
  });

  it('reads a FILTER whose parameter is named state or timeout, before STATE MACHINE', () => {
    const { rules, diagnostics } = compileCheck(
      `RULE "a" SOURCES k = "v" FILTER state => state.x == 1 STATE MACHINE BY k ON t INITIAL: a -> TERM;\n` +
        `TIMEOUT 1:min SINK timeout => timeout`,
    );
    expect(diagnostics).toEqual([]);
    expect(rules[0]!.filter!.text).toBe('state => state.x == 1');
    expect(rules[0]!.sink.text).toBe('timeout => timeout');
    expect(rules[0]!.stateMachine!.timeout?.ms).toBe(60_000);
  });

  it('parses TIMEOUT without USING (processing time) without a diagnostic', () => {
    const machine = machineOf(`${HEAD}STATE MACHINE BY k ON t\n  INITIAL: a -> TERM;\nTIMEOUT 30:sec\n${SINK}`);
    expect(machine.timeout).toMatchObject({ amount: 30, unit: 'sec', ms: 30_000 });
  });
});

describe('STATE MACHINE: checks', () => {
  // The engine builds a dense transition table, states × event types: 20,000 states in a chain
  // (a 750 KB rule) took V8 out of memory, 10,000 took 97 s and 800 MB; 70,000 event types leaked
  // the state table's RangeError as a rule-compile error at the rule name.
  const chain = (states: number) =>
    `${HEAD}STATE MACHINE BY k ON type\n  INITIAL: e0 -> S0;\n` +
    Array.from({ length: states - 1 }, (_, i) => `  S${i}: e${i + 1} -> S${i + 1}, x -> TERM;\n`).join('') +
    `  S${states - 1}: z -> TERM;\n${SINK}`;
  it('reports a machine whose transition table (states × event types) is past 1,048,576 entries, or with more than 65,536 event types', () => {
    // chain(n): n + 1 states (INITIAL, S0..S(n-1)) and n + 2 event types (e0..e(n-1), x, z).
    // 1,023 × 1,024 = 1,047,552 entries: accepted.
    expect(problems(chain(1022))).toEqual([]);
    // 1,024 × 1,025 = 1,049,600 entries.
    expect(problems(chain(1023))).toEqual([
      [3, 1, 3, 27, 'error', 'state-machine-too-large', 'STATE MACHINE has 1,024 states and 1,025 event types, a transition table of 1,049,600 entries; the limit is 1,048,576 (states × event types)'],
    ]);
    // Written tight (base-36 names, no spaces) to stay within a VGL text's 1 MiB (MAX_VGL_TEXT_CHARS).
    const wide = `${HEAD}STATE MACHINE BY k ON type\n  INITIAL: ${Array.from({ length: 70_000 }, (_, i) => `e${i.toString(36)}->TERM`).join(',')};\n${SINK}`;
    expect(problems(wide)).toEqual([
      [3, 1, 3, 27, 'error', 'state-machine-too-large', 'STATE MACHINE has 1 state and 70,000 event types; the limit is 65,536 event types'],
    ]);
  });

  it('reports a machine without an INITIAL state', () => {
    expect(problems(`${HEAD}STATE MACHINE BY k ON type\n  W: a -> X;\n  X: b -> TERM;\n${SINK}`)).toEqual([
      [
        3, 1, 3, 27, 'error', 'missing-initial-state',
        'STATE MACHINE has no INITIAL state, where every key starts: add a state line INITIAL: event -> STATE;',
      ],
    ]);
  });

  it('reports a transition to an undefined state, but not to TERM or INITIAL', () => {
    expect(problems(`${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> W, b -> TERM;\n  X: c -> INITIAL, d -> "Q 2";\n${SINK}`)).toEqual([
      [4, 12, 4, 18, 'error', 'undefined-state', 'state W is not defined: add a state line W: event -> STATE; or end the machine with -> TERM'],
      [5, 3, 5, 4, 'warning', 'unreachable-state', 'state X cannot be reached from INITIAL'],
      [5, 20, 5, 30, 'error', 'undefined-state', 'state "Q 2" is not defined: add a state line "Q 2": event -> STATE; or end the machine with -> TERM'],
    ]);
  });

  it('reports duplicate transitions, naming both places', () => {
    expect(
      problems(`${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> W, 4625 -> TERM;\n  W: b -> TERM,\n     b -> INITIAL, "4625" -> W, 4625 -> W;\n${SINK}`),
    ).toEqual([
      [
        6, 6, 6, 18, 'error', 'duplicate-transition',
        'duplicate transition from state W on event b at line 6, column 6: already defined at line 5, column 6 (b -> TERM)',
      ],
      [
        6, 33, 6, 42, 'error', 'duplicate-transition',
        'duplicate transition from state W on event "4625" at line 6, column 33: already defined at line 6, column 20 ("4625" -> W)',
      ],
    ]);
  });

  it('reports a state defined twice', () => {
    expect(problems(`${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> W;\n  W: b -> TERM;\n  W: c -> TERM;\n${SINK}`)).toEqual([
      [6, 3, 6, 4, 'error', 'duplicate-state', 'state W is defined twice: first on line 5; give all its transitions in one state line'],
    ]);
    expect(problems(`${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> TERM;\n  initial: b -> TERM;\n${SINK}`)).toEqual([
      [5, 3, 5, 10, 'error', 'duplicate-state', 'state INITIAL is defined twice: first on line 4; give all its transitions in one state line'],
    ]);
  });

  it('reports transitions out of TERM', () => {
    expect(problems(`${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> TERM;\n  TERM: b -> INITIAL;\n${SINK}`)).toEqual([
      [5, 3, 5, 7, 'error', 'term-transitions', 'TERM ends the machine (the key is forgotten): it cannot have transitions of its own'],
    ]);
  });

  it('warns about states that cannot be reached from INITIAL', () => {
    expect(
      problems(`${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> W;\n  W: b -> TERM;\n  V: c -> U;\n  U: d -> V;\n${SINK}`),
    ).toEqual([
      [6, 3, 6, 4, 'warning', 'unreachable-state', 'state V cannot be reached from INITIAL'],
      [7, 3, 7, 4, 'warning', 'unreachable-state', 'state U cannot be reached from INITIAL'],
    ]);
  });

  it('accepts states with no path to TERM when another path reaches it', () => {
    expect(problems(`${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> W, b -> TERM;\n  W: c -> W;\n${SINK}`)).toEqual([]);
  });

  it('warns when TERM cannot be reached from INITIAL', () => {
    expect(problems(`${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> W;\n  W: b -> INITIAL;\n${SINK}`)).toEqual([
      [
        3, 1, 3, 27, 'warning', 'unreachable-term',
        'TERM cannot be reached from INITIAL: no sequence of events ends the machine, so without TIMEOUT a key is never forgotten',
      ],
    ]);
    expect(problems(`${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> W;\n  W: b -> INITIAL;\n  X: c -> TERM;\nTIMEOUT 1:min\n${SINK}`)).toEqual([
      [
        3, 1, 3, 27, 'warning', 'unreachable-term',
        'TERM cannot be reached from INITIAL: no sequence of events ends the machine, so a key is only forgotten after TIMEOUT',
      ],
      [6, 3, 6, 4, 'warning', 'unreachable-state', 'state X cannot be reached from INITIAL'],
    ]);
  });

  it('keeps a rule with warnings only', () => {
    const result = compileCheck(`${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> W;\n  W: b -> INITIAL;\n${SINK}`);
    expect(result.rules.map((r) => r.name)).toEqual(['a']);
    const broken = compileCheck(`${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> Q;\n${SINK}`);
    expect(broken.rules).toEqual([]);
  });

  it('reports a zero or negative TIMEOUT', () => {
    const machine = `${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> TERM;\n`;
    expect(problems(`${machine}TIMEOUT 0:min\n${SINK}`)).toEqual([
      [5, 9, 5, 14, 'error', 'invalid-duration', 'TIMEOUT 0:min must be greater than zero'],
    ]);
    expect(problems(`${machine}TIMEOUT -5:sec\n${SINK}`)).toEqual([
      [5, 9, 5, 15, 'error', 'invalid-duration', 'TIMEOUT -5:sec must be greater than zero'],
    ]);
    expect(problems(`${machine}TIMEOUT 5:m\n${SINK}`)).toEqual([
      [5, 11, 5, 12, 'error', 'unknown-unit', "unknown time unit 'm': use ms, sec, min, h or d (e.g. 10:sec)"],
    ]);
  });

  it('reports AGGREGATE BY, WITHIN, SORT BY and HAVING in a rule with a STATE MACHINE, and nothing else about them', () => {
    const text =
      `${HEAD}USING ts\nAGGREGATE BY u\nWITHIN 1:min, 1:min\nSORT BY ts\nHAVING e => true\n` +
      `STATE MACHINE BY k ON type\n  INITIAL: a -> TERM;\n${SINK}`;
    const rest = 'cannot be used with STATE MACHINE (line 8): a rule either aggregates events in windows or runs a state machine';
    expect(problems(text)).toEqual([
      [4, 14, 4, 15, 'error', 'state-machine-with-aggregate', `AGGREGATE BY ${rest}`],
      [5, 1, 5, 20, 'error', 'state-machine-with-aggregate', `WITHIN ${rest}`],
      [6, 9, 6, 11, 'error', 'state-machine-with-aggregate', `SORT BY ${rest}`],
      [7, 8, 7, 17, 'error', 'state-machine-with-aggregate', `HAVING ${rest}`],
    ]);
    // Alone, WITHIN or HAVING would also lack AGGREGATE BY: with a state machine only the mix is reported.
    expect(problems(`${HEAD}WITHIN 1:min, 1:min\nSTATE MACHINE BY k ON type\n  INITIAL: a -> TERM;\n${SINK}`)).toEqual([
      [3, 1, 3, 20, 'error', 'state-machine-with-aggregate', 'WITHIN cannot be used with STATE MACHINE (line 4): a rule either aggregates events in windows or runs a state machine'],
    ]);
  });

  it('reports TIMEOUT and RESET ON ALERT without STATE MACHINE', () => {
    expect(problems(`${HEAD}TIMEOUT 5:min\nRESET ON ALERT\n${SINK}`)).toEqual([
      [3, 1, 3, 8, 'error', 'timeout-without-state-machine', 'TIMEOUT needs STATE MACHINE: it is an option of the state machine of the rule'],
      [4, 1, 4, 15, 'error', 'reset-without-state-machine', 'RESET ON ALERT needs STATE MACHINE: it is an option of the state machine of the rule'],
    ]);
  });

  it('checks through checkRules too, with excerpts', () => {
    const parsed = parseRules(`// header\n${HEAD}STATE MACHINE BY k ON type\n  INITIAL: a -> Q;\n${SINK}`, 'x.vgl');
    const [d] = checkRules(parsed.rules);
    expect(d).toMatchObject({ file: 'x.vgl', rule: 'a', line: 5, column: 12, code: 'undefined-state' });
    expect(d!.excerpt).toBe('5 |   INITIAL: a -> Q;\n               ^^^^^^');
  });
});

describe('STATE MACHINE: clause order and syntax errors', () => {
  const MACHINE = 'STATE MACHINE BY k ON type\n  INITIAL: a -> TERM;';
  const ORDER = 'clauses go SOURCES, FILTER, IOC FILTERS, USING, STATE MACHINE, TIMEOUT, RESET ON ALERT, SINK, SUPPRESS';

  it('reports clauses out of order with the order of state-machine rules', () => {
    expect(problems(`${HEAD}${MACHINE}\nUSING ts\n${SINK}`)).toEqual([
      [5, 1, 5, 6, 'error', 'clause-order', `USING must come before STATE MACHINE in rule "a"; ${ORDER}`],
    ]);
    expect(problems(`${HEAD}${MACHINE}\nRESET ON ALERT\nTIMEOUT 1:min\n${SINK}`)).toEqual([
      [6, 1, 6, 8, 'error', 'clause-order', `TIMEOUT must come before RESET ON ALERT in rule "a"; ${ORDER}`],
    ]);
    expect(problems(`${HEAD}TIMEOUT 1:min\n${MACHINE}\n${SINK}`)).toEqual([
      [4, 1, 4, 6, 'error', 'clause-order', `STATE MACHINE must come before TIMEOUT in rule "a"; ${ORDER}`],
    ]);
    expect(problems(`${HEAD}${MACHINE}\n${SINK}\nRESET ON ALERT`)).toEqual([
      [6, 1, 6, 6, 'error', 'clause-order', `RESET ON ALERT must come before SINK in rule "a"; ${ORDER}`],
    ]);
  });

  it('keeps the order of aggregation rules in their messages', () => {
    expect(problems(`${HEAD}AGGREGATE BY u\nHAVING e => e\nWITHIN 1:min, 1:min\n${SINK}`)).toEqual([
      [
        5, 1, 5, 7, 'error', 'clause-order',
        'WITHIN must come before HAVING in rule "a"; clauses go SOURCES, FILTER, IOC FILTERS, USING, AGGREGATE BY, WITHIN, SORT BY, HAVING, SINK, SUPPRESS',
      ],
    ]);
  });

  it('reports a mix of the two kinds once, not as clause order', () => {
    expect(problems(`${HEAD}${MACHINE}\nAGGREGATE BY u\n${SINK}`)).toEqual([
      [5, 14, 5, 15, 'error', 'state-machine-with-aggregate', 'AGGREGATE BY cannot be used with STATE MACHINE (line 3): a rule either aggregates events in windows or runs a state machine'],
    ]);
  });

  it('reports duplicate STATE MACHINE, TIMEOUT and RESET ON ALERT clauses', () => {
    expect(problems(`${HEAD}${MACHINE}\n${MACHINE}\nTIMEOUT 1:min\nTIMEOUT 2:min\nRESET ON ALERT\nRESET ON ALERT\n${SINK}`)).toEqual([
      [5, 1, 5, 6, 'error', 'duplicate-clause', 'duplicate STATE MACHINE clause in rule "a"'],
      [8, 1, 8, 8, 'error', 'duplicate-clause', 'duplicate TIMEOUT clause in rule "a"'],
      [10, 1, 10, 6, 'error', 'duplicate-clause', 'duplicate RESET ON ALERT clause in rule "a"'],
    ]);
  });

  const syntax = (body: string) => problems(`${HEAD}${body}\n${SINK}`).map(([l, c, el, ec, , code, message]) => [l, c, el, ec, code, message]);

  it('asks for the ; at the end of the line where it is missing', () => {
    expect(syntax('STATE MACHINE BY k ON type\n  INITIAL: a -> W\n  W: b -> TERM;')).toEqual([
      [4, 18, 4, 18, 'syntax', "expected ';' to end the state line, or ',' and another transition, found 'W'"],
    ]);
    expect(syntax('STATE MACHINE BY k ON type\n  INITIAL: a -> TERM\nTIMEOUT 1:min')).toEqual([
      [4, 21, 4, 21, 'syntax', "expected ';' to end the state line, or ',' and another transition, found 'TIMEOUT'"],
    ]);
  });

  it('explains broken transitions', () => {
    expect(syntax('STATE MACHINE BY k ON type\n  INITIAL: a W;')).toEqual([[4, 14, 4, 15, 'syntax', "expected '->' after 'a', found 'W'"]]);
    expect(syntax('STATE MACHINE BY k ON type\n  INITIAL: a -> ;')).toEqual([
      [4, 17, 4, 18, 'syntax', "expected the target state (a state name or TERM) after '->', found ';'"],
    ]);
    expect(syntax('STATE MACHINE BY k ON type\n  INITIAL: -> W;')).toEqual([
      [4, 12, 4, 14, 'syntax', "expected a transition like SYN -> OPEN after ':' (event names are names, quoted strings or numbers), found '->'"],
    ]);
    expect(syntax('STATE MACHINE BY k ON type\n  INITIAL: a -> TERM, ;')).toEqual([
      [4, 23, 4, 24, 'syntax', "expected a transition like SYN -> OPEN after ',' (event names are names, quoted strings or numbers), found ';'"],
    ]);
    expect(syntax('STATE MACHINE BY k ON type\n  INITIAL a -> TERM;')).toEqual([[4, 11, 4, 12, 'syntax', "expected ':' after INITIAL, found 'a'"]]);
  });

  it('explains a broken header', () => {
    expect(syntax('STATE MACHINE BY k ON type')).toEqual([
      [3, 27, 3, 27, 'syntax', "expected a state line such as INITIAL: SYN -> OPEN; after the ON field, found 'SINK'"],
    ]);
    expect(syntax('STATE MACHINE BY k\n  INITIAL: a -> TERM;')).toEqual([[4, 3, 4, 10, 'syntax', "expected ON or ',' after 'k', found 'INITIAL'"]]);
    expect(syntax('STATE MACHINE BY k ON\n  INITIAL: a -> TERM;')).toEqual([
      [4, 10, 4, 11, 'syntax', "expected the event field after ON (e.g. ON type) before the state lines, found 'INITIAL'"],
    ]);
    expect(syntax('STATE MACHINE BY ON type\n  INITIAL: a -> TERM;')).toEqual([
      [3, 21, 3, 25, 'syntax', 'expected a key field between BY and ON, e.g. STATE MACHINE BY sourceAddress ON type (ON was read as a key field here)'],
    ]);
    expect(syntax('STATE MACHINE k ON type\n  INITIAL: a -> TERM;')).toEqual([[3, 15, 3, 16, 'syntax', "expected BY after MACHINE, found 'k'"]]);
    expect(syntax('STATE BY k ON type\n  INITIAL: a -> TERM;')).toEqual([[3, 7, 3, 9, 'syntax', "expected MACHINE after STATE, found 'BY'"]]);
  });

  it('explains broken TIMEOUT and RESET ON ALERT', () => {
    expect(syntax(`${MACHINE}\nTIMEOUT`)).toEqual([[5, 8, 5, 8, 'syntax', "expected a duration such as 1:min after TIMEOUT, found 'SINK'"]]);
    expect(syntax(`${MACHINE}\nTIMEOUT 5`)).toEqual([
      [5, 10, 5, 10, 'syntax', "expected ':' and a time unit after the number, e.g. 1:min, found 'SINK'"],
    ]);
    expect(syntax(`${MACHINE}\nRESET ALERT`)).toEqual([[5, 7, 5, 12, 'syntax', "expected ON after RESET, found 'ALERT'"]]);
    expect(syntax(`${MACHINE}\nRESET ON`)).toEqual([[5, 9, 5, 9, 'syntax', "expected ALERT after ON, found 'SINK'"]]);
  });

  it('ends a broken FILTER function before STATE MACHINE, TIMEOUT and RESET ON ALERT', () => {
    for (const clause of ['STATE MACHINE BY k ON t INITIAL: a -> TERM;', 'TIMEOUT 1:min', 'RESET ON ALERT']) {
      const r = compileCheck(`RULE "a"\nSOURCES k = "v"\nFILTER function (e) { return e;\n${clause}\n${SINK}\n\nRULE "b" SOURCES k = "v" ${SINK}`);
      expect(r.diagnostics.map(brief)).toEqual([
        [
          3, 31, 3, 32, 'error', 'js-syntax',
          "JavaScript syntax error in FILTER function: it does not end before the next clause (missing '}' or ')'?)",
        ],
      ]);
      expect(r.rules.map((x) => x.name)).toEqual(['b']);
    }
  });
});

describe('STATE MACHINE: tokenize', () => {
  it('classifies keywords, state and event names, and punctuation', () => {
    const text =
      'RULE "p"\n  SOURCES kind = "packet"\n  USING timestamp\n  STATE MACHINE BY sourceAddress, state ON type\n' +
      '    INITIAL: a -> W, "SYN" -> TERM, 4625 -> reset;\n    reset: on -> Term;\n  TIMEOUT 5:min\n  RESET ON ALERT\n  SINK e => e';
    expect(tokenize(text).map((t) => `${t.line}:${t.column} ${t.type} ${text.slice(t.start, t.end)}`)).toEqual([
      '1:1 keyword RULE',
      '1:6 string "p"',
      '2:3 keyword SOURCES',
      '2:11 identifier kind',
      '2:16 punctuation =',
      '2:18 string "packet"',
      '3:3 keyword USING',
      '3:9 identifier timestamp',
      '4:3 keyword STATE',
      '4:9 keyword MACHINE',
      '4:17 keyword BY',
      '4:20 identifier sourceAddress',
      '4:33 punctuation ,',
      '4:35 identifier state',
      '4:41 keyword ON',
      '4:44 identifier type',
      '5:5 keyword INITIAL',
      '5:12 punctuation :',
      '5:14 identifier a',
      '5:16 punctuation ->',
      '5:19 identifier W',
      '5:20 punctuation ,',
      '5:22 string "SYN"',
      '5:28 punctuation ->',
      '5:31 keyword TERM',
      '5:35 punctuation ,',
      '5:37 number 4625',
      '5:42 punctuation ->',
      '5:45 identifier reset',
      '5:50 punctuation ;',
      '6:5 identifier reset',
      '6:10 punctuation :',
      '6:12 identifier on',
      '6:15 punctuation ->',
      '6:18 keyword Term',
      '6:22 punctuation ;',
      '7:3 keyword TIMEOUT',
      '7:11 number 5',
      '7:12 punctuation :',
      '7:13 unit min',
      '8:3 keyword RESET',
      '8:9 keyword ON',
      '8:12 keyword ALERT',
      '9:3 keyword SINK',
      '9:8 function e => e',
    ]);
  });

  it('classifies the new keywords as field names in other clauses', () => {
    const text = 'RULE "x" SOURCES state = "a" USING timeout AGGREGATE BY reset, on WITHIN 1:min, 1:min SINK e => e';
    const types = Object.fromEntries(tokenize(text).map((t) => [text.slice(t.start, t.end), t.type]));
    expect(types).toMatchObject({ state: 'identifier', timeout: 'identifier', reset: 'identifier', on: 'identifier' });
  });

  it('still classifies a broken rule, token by token', () => {
    const text = 'RULE "x" STATE MACHINE BY k ON t INITIAL: a -> ; SINK';
    expect(tokenize(text).map((t) => `${t.type} ${text.slice(t.start, t.end)}`)).toEqual([
      'keyword RULE',
      'string "x"',
      'keyword STATE',
      'keyword MACHINE',
      'keyword BY',
      'identifier k',
      'keyword ON',
      'identifier t',
      'keyword INITIAL',
      'punctuation :',
      'identifier a',
      'punctuation ->',
      'punctuation ;',
      'keyword SINK',
    ]);
  });
});

describe('rules written before STATE MACHINE', () => {
  // Generated by the parser as it was before STATE MACHINE was added (acorn nodes left out).
  const baseline = JSON.parse(fixture('state-machine-baseline.json')) as Record<string, unknown>;

  for (const name of ['compat.vgl', 'variants.vgl']) {
    it(`parses and tokenizes ${name} exactly as before`, () => {
      const text = fixture(name);
      const parsed = parseRules(text, name);
      const now = {
        rules: JSON.parse(JSON.stringify(parsed.rules, (k, v) => (k === 'node' ? undefined : v))),
        diagnostics: parsed.diagnostics,
        tokens: tokenize(text),
      };
      expect(now).toEqual(baseline[name]);
    });
  }
});
