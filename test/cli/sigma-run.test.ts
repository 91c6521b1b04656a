/**
 * Sigma from the command line: `vigil check` and `vigil run` take .yml rule files and folders of
 * them beside .vgl, with --sigma-pipeline. The oracle for the alerts is each rule's compiled
 * matcher applied to each event in a plain loop (src/sigma is tested against naive matchers).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSigma } from '../../src/sigma/index.js';
import { CASES } from '../sigma/evtx-cases.js';
import { sigmaMaterialDir } from '../sigma/helpers.js';
import { runVigil } from './run-cli.js';

const ROOT = sigmaMaterialDir();

describe.skipIf(!ROOT)('Sigma rules on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sigma-cli-'));
  const rules = join(dir, 'rules');
  mkdirSync(join(rules, 'nested'), { recursive: true });
  CASES.forEach((c, i) => copyFileSync(join(ROOT!, c.file), join(rules, i % 2 ? 'nested' : '', basename(c.file))));
  writeFileSync(join(rules, 'extra.vgl'), 'RULE "any powershell" SOURCES Event.System.Channel = "Microsoft-Windows-Sysmon/Operational" FILTER function (e) { return String(e.Event.EventData.Image).endsWith("powershell.exe"); } SINK function (e) { return { image: e.Event.EventData.Image }; }\n');
  const events = [...CASES.flatMap((c) => [c.match, c.nearMiss])];
  const input = join(dir, 'events.jsonl');
  writeFileSync(input, events.map((e) => JSON.stringify(e)).join('\n') + '\n');

  it('vigil check reads a folder of Sigma and VGL rules under a pipeline', async () => {
    const { code, stdout, stderr } = await runVigil(['check', rules, '--sigma-pipeline', 'evtx-json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    for (const c of CASES) expect(stdout).toContain(`rule "${c.title}" ok`);
    expect(stdout).toContain('rule "any powershell" ok');
  });

  it('vigil run raises what the rules match, in event order, for Sigma and VGL alike', async () => {
    const { code, stdout, stderr } = await runVigil(['run', '--no-guard', '--rules', rules, '--sigma-pipeline', 'evtx-json', input]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const alerts = stdout.trim().split('\n').map((l) => JSON.parse(l) as { rule: string; sigma?: { id: string } });
    const plans = loadSigma(
      CASES.map((c) => ({ file: c.file, text: readFileSync(join(ROOT!, c.file), 'utf8') })),
      { pipeline: 'evtx-json' },
    ).rules;
    // Rules apply in the order of their files (`--rules <dir>` walks a folder sorted by name).
    const listed = CASES.map((c, i) => ({ title: c.title, path: join(rules, i % 2 ? 'nested' : '', basename(c.file)) }));
    listed.push({ title: 'any powershell', path: join(rules, 'extra.vgl') });
    const ruleOrder = walkOrder(listed);
    // Per event, in rule order: the Sigma rules whose matcher takes it, and the VGL rule when its FILTER holds.
    const expected = events.flatMap((event) => {
      const matched = plans.filter((p) => p.match(event)).map((p) => p.name);
      const system = (event.Event as { System: { Channel: string } }).System;
      const image = String((event.Event as { EventData?: { Image?: unknown } }).EventData?.Image ?? '');
      if (system.Channel === 'Microsoft-Windows-Sysmon/Operational' && image.endsWith('powershell.exe')) matched.push('any powershell');
      return matched.sort((a, b) => ruleOrder.indexOf(a) - ruleOrder.indexOf(b));
    });
    expect(alerts.map((a) => a.rule)).toEqual(expected);
    expect(alerts.filter((a) => a.sigma).length).toBe(CASES.length);
  });

  it('a pipeline file is read and its errors name its lines', async () => {
    const bad = join(dir, 'bad-pipeline.yml');
    writeFileSync(bad, 'name: mine\nfields: [not, a, map]\n');
    const { code, stderr } = await runVigil(['check', rules, '--sigma-pipeline', bad]);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:`));
  });
});

/** The order `--rules <dir>` applies files in: a folder's entries sorted by name, folders walked where they sort. */
function walkOrder(listed: { title: string; path: string }[]): string[] {
  return [...listed].sort((a, b) => compareWalk(a.path, b.path)).map((r) => r.title);
}

function compareWalk(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]!.localeCompare(y[i]!);
  return x.length - y.length;
}
