/**
 * VGL text is parsed at 0.2–0.5 MB/s (the generated ANTLR parser), so a 50 MB rule text blocked the
 * engine for minutes. A text longer than MAX_VGL_TEXT_CHARS is refused before it is parsed, by every
 * door rule text comes in by: the library (parseRules, compileCheck, putRules), `vigil check` and
 * `vigil run`, and the HTTP API's PUT /rules. And the work per diagnostic no longer grows with the
 * text: 1 MiB of errors took 148–342 s, each diagnostic splitting the whole text for its excerpt.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/edge/config.js';
import { createHttpHandler } from '../../src/edge/http.js';
import { EngineInstance } from '../../src/edge/instance.js';
import { compileCheck, MAX_VGL_TEXT_CHARS, parseRules } from '../../src/lang/index.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { runVigil } from '../cli/run-cli.js';

const RULE = 'RULE "r"\nSOURCES kind = "x"\nSINK function (e) { return e; }\n';
/** One character past the limit, made of comments (which parse fastest, were the text parsed). */
const tooLong = RULE + '// ' + 'x'.repeat(MAX_VGL_TEXT_CHARS - RULE.length - 3) + '\n';
const message = `the rule text is ${tooLong.length} characters long, more than the limit of ${MAX_VGL_TEXT_CHARS} (split it into several texts or files)`;

const disposers: (() => unknown)[] = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});

describe('the size of a VGL text', () => {
  it('is at most 1 MiB, four times the 1,000-rule text of bench/rules.mjs', () => {
    expect(MAX_VGL_TEXT_CHARS).toBe(1024 * 1024);
    const fits = RULE + '// ' + 'x'.repeat(MAX_VGL_TEXT_CHARS - RULE.length - 4) + '\n';
    expect(fits.length).toBe(MAX_VGL_TEXT_CHARS);
    expect(parseRules(fits, 'fits.vgl')).toMatchObject({ rules: [{ name: 'r' }], diagnostics: [] });
  });

  it('past it, parseRules and compileCheck refuse the text at once, saying why', () => {
    const started = performance.now();
    for (const result of [parseRules(tooLong, 'big.vgl'), compileCheck(tooLong, 'big.vgl', { iocLists: new Set() })]) {
      expect(result.rules).toEqual([]);
      expect(result.diagnostics).toEqual([
        expect.objectContaining({ severity: 'error', code: 'rules-too-large', file: 'big.vgl', line: 1, column: 1, message }),
      ]);
    }
    // 50 MB, as the finding sent: refused without being read.
    expect(parseRules('RULE '.repeat(10_000_000)).diagnostics[0]!.code).toBe('rules-too-large');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('past it, putRules applies nothing', async () => {
    const engine = await createNodeEngine({});
    disposers.push(() => engine.dispose());
    const result = engine.putRules(tooLong, { file: 'big.vgl' });
    expect(result).toMatchObject({ ok: false, added: [], diagnostics: [{ code: 'rules-too-large', message }] });
    expect(engine.rules()).toEqual([]);
  });

  it('past it, vigil check and vigil run say so for the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-size-'));
    const file = join(dir, 'big.vgl');
    writeFileSync(file, tooLong);
    const check = await runVigil(['check', file]);
    expect(check.code).not.toBe(0);
    expect(check.stdout + check.stderr).toContain(`${file}:1:1: error: ${message}`);
    const run = await runVigil(['run', '--no-guard', '--rules', file], '{"kind":"x"}\n');
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain(message);
  });

  it('past it, PUT /rules answers with the diagnostic and applies nothing', async () => {
    const engine = await createNodeEngine({});
    disposers.push(() => engine.dispose());
    const instance = await EngineInstance.open(engine);
    const handler = createHttpHandler(instance, readConfig({ VIGIL_TOKEN: 't' }).http);
    const response = await handler(new Request('http://vigil.test/rules/big', { method: 'PUT', body: tooLong, headers: { authorization: 'Bearer t' } }));
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(await response.text()).toContain(message);
    expect(engine.rules()).toEqual([]);
  });
});

describe('diagnostics over a large text', () => {
  it('cost the same each however far into the text they are', () => {
    // 256 KiB of rules that all have the same name (thousands of duplicate-rule errors) and of
    // keywords out of place (thousands of syntax errors): 3.1 s and 6.8 s when each diagnostic split
    // the whole text; well under a second each now, on a quiet machine.
    const duplicates = RULE.repeat(Math.floor((256 * 1024) / RULE.length));
    const garbage = 'RULE RULE SOURCES '.repeat(Math.floor((256 * 1024) / 18));
    for (const text of [duplicates, garbage]) {
      const started = performance.now();
      const { diagnostics } = compileCheck(text, 'x.vgl', { iocLists: new Set() });
      expect(diagnostics.length).toBeGreaterThan(1_000);
      expect(performance.now() - started).toBeLessThan(5_000);
    }
    // The excerpt is still the diagnostic's own line, far into the text.
    const last = compileCheck(duplicates, 'x.vgl', { iocLists: new Set() }).diagnostics.at(-1)!;
    expect(last.excerpt.split('\n')[0]).toBe(`${last.line} | RULE "r"`);
  });
});
