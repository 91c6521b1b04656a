/**
 * `__proto__`, `constructor` and `prototype` are ordinary field names and group keys: read from
 * events (JSON.parse makes them own properties), routed, grouped, keyed in state machines and
 * SUPPRESS, and written out. The expected alerts are worked out by hand below.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fieldReader } from '../../src/lang/fields.js';
import { runVigil } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-proto-'));
const T0 = Date.UTC(2026, 0, 1);

const RULES = `
RULE "echo"
SOURCES kind = "p"
SINK function (e) { return e; }
SUPPRESS FOR 10:min BY "__proto__"

RULE "ctor"
SOURCES "constructor" = "c2"
SINK function (e) { return { t: e.t }; }

RULE "agg"
SOURCES kind = "p"
USING t
AGGREGATE BY "__proto__", "constructor" WITHIN 1:min, 1:min
SINK function (a) { return { n: a.count, who: a["__proto__"], ctor: a.constructor }; }

RULE "sm"
SOURCES kind = "p"
USING t
STATE MACHINE BY "__proto__" ON "prototype"
  INITIAL: login -> IN;
  IN: logout -> TERM;
SINK function (v) { return { who: v.key["__proto__"], state: v.state, got: v.eventType }; }
`;

// Written by hand, so the own "__proto__" keys are exactly as a log line would carry them.
const EVENTS = [
  `{"kind":"p","t":${T0 + 1000},"__proto__":"alice","constructor":"c1","prototype":"login"}`,
  `{"kind":"p","t":${T0 + 2000},"__proto__":"alice","constructor":"c1","prototype":"logout"}`,
  `{"kind":"p","t":${T0 + 3000},"__proto__":"bob","constructor":"c2","prototype":"logout"}`,
  `{"kind":"p","t":${T0 + 4000},"constructor":"c1"}`,
  `{"kind":"p","t":${T0 + 5000},"__proto__":"bob","constructor":"c2","prototype":"logout"}`,
  `{"kind":"p","t":${T0 + 6000},"__proto__":{},"constructor":"c3","prototype":"login"}`,
];

/**
 * echo: one alert per distinct `__proto__` value in 10 minutes: alice (line 1), bob (3), none (4),
 * {} (6) — a missing field is null, not Object.prototype, so line 4 and line 6 are different keys.
 * ctor: the events whose own `constructor` is "c2" (3, 5).
 * sm: alice logs in and out; bob logs out without logging in, twice (violations from INITIAL); line 4
 * has no `prototype` (a diagnostic); line 6 logs in.
 */
const EXPECTED_SIMPLE_AND_MACHINE = [
  `{"rule":"echo",${EVENTS[0]!.slice(1)}`,
  `{"rule":"echo",${EVENTS[2]!.slice(1)}`,
  `{"rule":"ctor","t":${T0 + 3000}}`,
  `{"rule":"sm","who":"bob","state":"INITIAL","got":"logout"}`,
  `{"rule":"echo",${EVENTS[3]!.slice(1)}`,
  `{"rule":"ctor","t":${T0 + 5000}}`,
  `{"rule":"sm","who":"bob","state":"INITIAL","got":"logout"}`,
  `{"rule":"echo",${EVENTS[5]!.slice(1)}`,
];

/** agg: per (__proto__, constructor) in the first minute: alice/c1 ×2, bob/c2 ×2, null/c1 ×1, {}/c3 ×1. */
const window = `"windowStart":${T0},"windowEnd":${T0 + 60_000}`;
const EXPECTED_AGGREGATION = [
  `{"rule":"agg","key":{"__proto__":"alice","constructor":"c1"},${window},"n":2,"who":"alice","ctor":"c1"}`,
  `{"rule":"agg","key":{"__proto__":"bob","constructor":"c2"},${window},"n":2,"who":"bob","ctor":"c2"}`,
  `{"rule":"agg","key":{"__proto__":null,"constructor":"c1"},${window},"n":1,"who":null,"ctor":"c1"}`,
  `{"rule":"agg","key":{"__proto__":{},"constructor":"c3"},${window},"n":1,"who":{},"ctor":"c3"}`,
];

let rules: string;
let events: string;
beforeAll(() => {
  rules = join(dir, 'proto.vgl');
  writeFileSync(rules, RULES);
  events = join(dir, 'proto.jsonl');
  writeFileSync(events, EVENTS.join('\n') + '\n');
});

const outputLines = (text: string) => text.split('\n').filter(Boolean);

describe('__proto__, constructor and prototype as field names (regression: AGGREGATE BY "__proto__" lost its key)', () => {
  for (const mode of ['native', 'sandbox'] as const) {
    const args = () => ['run', '--rules', rules, ...(mode === 'sandbox' ? ['--sandbox-only'] : []), events];

    it(`routes, suppresses and keys state machines by them (${mode})`, async () => {
      const r = await runVigil(args());
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`vigil: vigil.field rule "sm": event has no value in field 'prototype' to move the state machine\n`);
      expect(outputLines(r.stdout).filter((l) => !l.startsWith('{"rule":"agg"'))).toEqual(EXPECTED_SIMPLE_AND_MACHINE);
    });

    // Needs src/engine/engine.ts to build alert keys and SINK's input with recordOf (toAlert,
    // complexEventOf): with `key[f] = value` the "__proto__" field is lost. Turn into it() then.
    it(`groups and writes aggregation keys by them (${mode})`, async () => {
      const r = await runVigil(args());
      expect(outputLines(r.stdout).filter((l) => l.startsWith('{"rule":"agg"'))).toEqual(EXPECTED_AGGREGATION);
    });
  }
});

describe('fieldReader', () => {
  it('reads inherited names only from objects that have them (regression: constructor read the Object function)', () => {
    const withOwn = JSON.parse('{"__proto__":"p","constructor":"c","toString":"t","a":{"constructor":"inner","list":[1,2]}}') as Record<string, unknown>;
    const without = { a: { list: [1, 2] } };
    for (const [path, own] of [['__proto__', 'p'], ['constructor', 'c'], ['toString', 't'], ['a.constructor', 'inner'], ['a.list.length', 2]] as const) {
      expect(fieldReader(path)(withOwn), path).toBe(own);
    }
    for (const path of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a.constructor', 'a.list.map', 'a.__proto__']) {
      expect(fieldReader(path)(without), path).toBeUndefined();
    }
    expect(fieldReader('a.list.length')(without)).toBe(2);
  });
});
