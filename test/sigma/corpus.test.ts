/**
 * The whole SigmaHQ corpus (../shared/sigma, 3,700+ rules): every rule parses and compiles under each
 * built-in pipeline or is refused with a stated reason; the refusals are counted per reason and
 * printed, and at least 99 % must compile.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSigma, type SigmaSource } from '../../src/sigma/index.js';
import { sigmaMaterialDir } from './helpers.js';

const ROOT = sigmaMaterialDir() ?? '../shared/sigma';
const FOLDERS = ['rules', 'rules-emerging-threats', 'rules-threat-hunting'];
const present = existsSync(join(ROOT, 'rules'));
if (!present) console.warn(`the Sigma corpus is not at ../shared/sigma (nor VIGIL_SIGMA_DIR): skipping the corpus test`);

function corpus(): SigmaSource[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(name)) files.push(path);
    }
  };
  for (const f of FOLDERS) walk(join(ROOT, f));
  return files.map((file) => ({ file: file.slice(ROOT.length + 1), text: readFileSync(file, 'utf8') }));
}

/** A reason without the rule-specific details, so that refusals can be counted by kind. */
function reason(code: string, message: string): string {
  return `${code}: ${message.replace(/'[^']*'/g, "'…'").replace(/%[^%\s]+%/g, '%…%').replace(/\d+/g, 'N')}`;
}

describe.skipIf(!present)('the SigmaHQ corpus', () => {
  const sources = present ? corpus() : [];

  it.each(['flat', 'evtx-json', 'ecs'])('compiles under the %s pipeline (≥ 99 %, every refusal with its reason)', (pipeline) => {
    expect(sources.length).toBeGreaterThan(3700);
    const c = loadSigma(sources, { pipeline });
    const errors = c.diagnostics.filter((d) => d.severity === 'error');
    // Each corpus file holds one rule: every file is either compiled or refused with a diagnostic naming it.
    const refused = new Set(errors.map((d) => d.file));
    const compiled = new Set(c.rules.map((r) => r.file));
    for (const s of sources) expect(compiled.has(s.file) !== refused.has(s.file), s.file).toBe(true);
    for (const d of errors) {
      expect(d.line).toBeGreaterThan(0);
      expect(d.message.length).toBeGreaterThan(10);
    }
    const byReason = new Map<string, number>();
    for (const d of errors) byReason.set(reason(d.code, d.message), (byReason.get(reason(d.code, d.message)) ?? 0) + 1);
    const warnings = new Map<string, number>();
    for (const d of c.diagnostics.filter((x) => x.severity === 'warning')) warnings.set(reason(d.code, d.message), (warnings.get(reason(d.code, d.message)) ?? 0) + 1);
    const rate = c.rules.length / sources.length;
    console.log(
      [
        `pipeline ${pipeline}: ${c.rules.length} of ${sources.length} rules compiled (${(100 * rate).toFixed(2)} %)`,
        ...[...byReason].sort((a, b) => b[1] - a[1]).map(([r, n]) => `  refused ${n}× ${r}`),
        ...[...warnings].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([r, n]) => `  warning ${n}× ${r}`),
        ...errors.map((d) => `  ${d.file}:${d.line}:${d.column}: ${d.message}`),
      ].join('\n'),
    );
    expect(rate).toBeGreaterThanOrEqual(0.99);
  });

  it('no compiled rule throws on events of odd shapes', () => {
    const c = loadSigma(sources, { pipeline: 'evtx-json' });
    const odd: Record<string, unknown>[] = [
      {},
      { Event: null },
      { Event: { System: { EventID: '1', Channel: 'Microsoft-Windows-Sysmon/Operational' }, EventData: { CommandLine: ['a', 1, null, { x: 1 }], Image: 42, __proto__: 'x' } } },
      { Event: { System: { EventID: { '#text': 4688, '#attributes': { Qualifiers: 0 } }, Channel: 'Security' }, EventData: null } },
      JSON.parse('{"Event":{"System":{"Channel":"Security","EventID":4625},"EventData":{"__proto__":{"polluted":1},"constructor":"x"}}}') as Record<string, unknown>,
    ];
    let matches = 0;
    for (const r of c.rules) for (const e of odd) if (r.match(e)) matches++;
    // Something matches (rules with `not` conditions and absent fields), and nothing threw.
    expect(matches).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
