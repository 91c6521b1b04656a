/**
 * `vigil check` refuses what the engine cannot afford (WITHIN clauses whose panes per window or
 * windows per second pass the documented limits) and what would forge the engine's own alerts
 * (rule names starting with `vigil.`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WindowStore } from '../../src/engine/window.js';
import { compileCheck, DEFAULT_WINDOW_LIMITS } from '../../src/lang/check.js';
import type { HotPaths } from '../../src/wasm/hotpaths.js';
import { harness, type Harness } from '../engine/helpers.js';
import { freshHotPaths, rng, root } from '../wasm/build-wasm.js';

const rule = (within: string, name = 'r') => `RULE "${name}"\nSOURCES k = "v"\nAGGREGATE BY a\nWITHIN ${within}\nSINK e => e\n`;
const costly = (text: string) => compileCheck(text, 'rules.vgl').diagnostics.filter((d) => d.code === 'window-too-costly');

let h: Harness | undefined;
afterEach(() => {
  h?.engine.dispose();
  h = undefined;
});

describe('window cost', () => {
  it('WITHIN 10:min, 1:ms passes check and then kills the run with WasmAbortError (regression)', async () => {
    const found = costly(rule('10:min, 1:ms'));
    // Named at the clause: line 4 of the file is `WITHIN 10:min, 1:ms`.
    expect(found.map((d) => [d.line, d.column, d.endColumn])).toEqual([
      [4, 1, 20],
      [4, 1, 20],
    ]);
    expect(found.map((d) => d.message).sort().join('\n')).toMatch(/^WITHIN 10:min, 1:ms fires 1,000 windows per key and second[^\n]*\nWITHIN 10:min, 1:ms keeps 600,000 panes per window/);
    // The engine refuses the rule instead of running it.
    h = await harness();
    const applied = h.engine.putRules(rule('10:min, 1:ms'));
    expect(applied.ok).toBe(false);
    expect(h.engine.rules()).toEqual([]);
  });

  let hot: HotPaths;
  beforeAll(async () => {
    hot = (await freshHotPaths()).hot;
  });

  it('refuses exactly the clauses whose store would pass the limits (the store itself is the oracle)', () => {
    const next = rng(11);
    const units: Array<[string, number]> = [['ms', 1], ['sec', 1000], ['min', 60_000]];
    for (let i = 0; i < 300; i++) {
      const [lu, lm] = units[Math.floor(next() * units.length)]!;
      const [su, sm] = units[Math.floor(next() * units.length)]!;
      const length = 1 + Math.floor(next() * 120);
      const slide = 1 + Math.floor(next() * 120);
      if (slide * sm > length * lm) continue;
      const store = new WindowStore({ lengthMs: length * lm, slideMs: slide * sm, allowedLatenessMs: 0 }, hot.windowBuffers);
      const panes = (length * lm) / store.paneMs;
      const perSecond = 1000 / (slide * sm);
      const expected = (panes > DEFAULT_WINDOW_LIMITS.maxPanesPerWindow ? 1 : 0) + (perSecond > DEFAULT_WINDOW_LIMITS.maxWindowsPerSecond ? 1 : 0);
      expect(costly(rule(`${length}:${lu}, ${slide}:${su}`)).length, `WITHIN ${length}:${lu}, ${slide}:${su}`).toBe(expected);
    }
  });

  it('takes limits from the context', () => {
    const text = rule('1:min, 1:sec');
    expect(compileCheck(text, 'r.vgl', { windowLimits: { maxPanesPerWindow: 59 } }).diagnostics.map((d) => d.code)).toEqual(['window-too-costly']);
    expect(compileCheck(text, 'r.vgl', { windowLimits: { maxPanesPerWindow: 60 } }).diagnostics).toEqual([]);
  });

  it('accepts every WITHIN clause of the rule files in rules/, examples/, test/ and web/', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.vgl')) files.push(path);
      }
    };
    for (const dir of ['rules', 'examples', 'test', 'web']) walk(join(root, dir));
    expect(files.length).toBeGreaterThan(5);
    let clauses = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      clauses += (text.match(/\bWITHIN\b/gi) ?? []).length;
      expect(costly(text).map((d) => `${file}:${d.line}: ${d.message}`)).toEqual([]);
    }
    expect(clauses).toBeGreaterThan(10);
  });
});

describe('regular expressions', () => {
  it('reports a pattern no engine runs safely, at its line:column, wherever it is compiled', () => {
    const lines = [
      'RULE "r"',
      'SOURCES k = "v"',
      'FILTER function (e) {',
      "  return /^(a+)\\1$/.test(e.x) || utils.matches(e.y, '(?=(a+)+$)') || e.z.match('(') != null",
      '    || /(x+x+)+y/.test(e.w) || /fail(ed|ure)/.test(e.v);',
      '}',
      'SINK e => e',
    ];
    const found = compileCheck(lines.join('\n'), 'r.vgl').diagnostics.filter((d) => d.code === 'unsafe-regex');
    // Where each pattern is written (1-based columns of line 4), found by searching the text.
    const where = (written: string) => [4, lines[3]!.indexOf(written) + 1, lines[3]!.indexOf(written) + written.length + 1];
    // The (x+x+)+y pattern runs on re2js and fail(ed|ure) on the built-in engine: neither is reported.
    expect(found.map((d) => [d.line, d.column, d.endColumn])).toEqual([where('/^(a+)\\1$/'), where("'(?=(a+)+$)'"), where("'('")]);
    expect(found[0]!.message).toMatch(/backreference/);
    expect(found[1]!.message).toMatch(/lookahead/);
    expect(found[2]!.message).toMatch(/not a valid regular expression/);
  });

  it('reports a pattern too costly per input character at its line:column, with its estimate and the limit', () => {
    const lines = [
      'RULE "r"',
      'SOURCES k = "v"',
      'FILTER function (e) {',
      "  return /(\\w+\\s*){1000}/.test(e.x) || utils.matches(e.y, '[a-z]{3000}') || /[a-z]{999}/.test(e.z);",
      '}',
      'SINK e => e',
    ];
    const found = compileCheck(lines.join('\n'), 'r.vgl').diagnostics.filter((d) => d.code === 'unsafe-regex');
    const where = (written: string) => [4, lines[3]!.indexOf(written) + 1, lines[3]!.indexOf(written) + written.length + 1];
    // [a-z]{999} is under the limit (999 steps per character on the built-in engine): not reported.
    expect(found.map((d) => [d.line, d.column, d.endColumn])).toEqual([where('/(\\w+\\s*){1000}/'), where("'[a-z]{3000}'")]);
    expect(found[0]!.message.startsWith('regular expression /(\\w+\\s*){1000}/ is too costly: ')).toBe(true);
    expect(found[0]!.message).toMatch(/\(re2js\) takes about 30,010 \(6,002 instructions.*; the limit is 2,500 steps per input character$/);
    expect(found[1]!.message).toMatch(/the built-in engine takes about 3,000 steps per input character/);
  });
});

describe('reserved rule names', () => {
  it('a user rule named vigil.rule.deactivated forges the engine alerts (regression)', async () => {
    for (const name of ['vigil.rule.deactivated', 'vigil.late', 'Vigil.anything']) {
      const { diagnostics, rules } = compileCheck(`RULE "${name}" SOURCES k = "v" SINK e => e`, 'r.vgl');
      expect(rules).toEqual([]);
      expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['reserved-rule-name', 1, 6]]);
    }
    h = await harness();
    expect(h.engine.putRules(`RULE "vigil.rule.deactivated" SOURCES k = "v" SINK e => ({ rule: 'x' })`).ok).toBe(false);
    h.engine.push([{ k: 'v' }]);
    expect(h.alerts).toEqual([]);
    // Names that merely contain the word are the user's.
    expect(compileCheck(`RULE "my vigil.rule" SOURCES k = "v" SINK e => e\nRULE "vigilance" SOURCES k = "v" SINK e => e`, 'r.vgl').diagnostics).toEqual([]);
  });
});
