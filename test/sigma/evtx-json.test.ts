/**
 * Ten corpus rules under the evtx-json pipeline, each with an event written by hand in the shape
 * evtx_dump writes (Event.System with #attributes, Event.EventData) that must match, and a near miss
 * that must not (one detail changed: a filter applies, a term is missing, another channel or ID).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSigma, type SigmaRulePlan } from '../../src/sigma/index.js';
import { CASES, evtx, SYSMON } from './evtx-cases.js';
import { sigmaMaterialDir } from './helpers.js';

const ROOT = sigmaMaterialDir() ?? '../shared/sigma';
const present = existsSync(join(ROOT, 'rules'));


describe.skipIf(!present)('corpus rules on evtx_dump JSON events', () => {
  const sources = CASES.map((c) => ({ file: c.file, text: readFileSync(join(ROOT, c.file), 'utf8') }));
  const collection = present ? loadSigma(sources, { pipeline: 'evtx-json' }) : undefined;

  it('all ten compile without errors', () => {
    expect(collection!.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(collection!.rules.map((r) => r.name)).toEqual(CASES.map((c) => c.title));
  });

  it.each(CASES.map((c, i) => [c.title, i] as const))('%s: the attack matches, the near miss does not', (_title, i) => {
    const c = CASES[i];
    const rule: SigmaRulePlan = collection!.rules[i];
    expect(rule.match(c.match)).toBe(true);
    expect(rule.match(c.nearMiss)).toBe(false);
    // Of the ten, only this rule matches the attack event.
    expect(collection!.rules.filter((r) => r.match(c.match)).map((r) => r.name)).toEqual([c.title]);
    const fields = rule.matchedFields(c.match);
    expect(fields['Event.System.Channel']).toBe((c.match.Event as { System: { Channel: string } }).System.Channel);
  });

  it('Security 4688 process creation is read through the same rule (NewProcessName for Image)', () => {
    const rule = collection!.rules[0];
    const security = evtx('Security', 4688, { NewProcessName: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: 'powershell -ec SQBFAFgA', ParentProcessName: 'C:\\Windows\\explorer.exe' }, 'Microsoft-Windows-Security-Auditing');
    expect(rule.match(security)).toBe(true);
    expect(rule.selectors).toEqual([
      { field: 'Event.System.Channel', values: ['Microsoft-Windows-Sysmon/Operational', 'Security'] },
      { field: 'Event.System.EventID', values: ['1', '4688'] },
    ]);
  });

  it('the same attack as Winlogbeat writes it, under the ecs pipeline', () => {
    const ecs = loadSigma([sources[0]], { pipeline: 'ecs' }).rules[0];
    const doc = { event: { code: '1' }, winlog: { channel: SYSMON, event_data: {} }, process: { executable: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', command_line: 'powershell.exe -nop -enc SQBFAFgA' } };
    expect(ecs.match(doc)).toBe(true);
    expect(ecs.match({ ...doc, event: { code: '3' } })).toBe(false);
    expect(ecs.matchedFields(doc)).toMatchObject({ 'process.command_line': 'powershell.exe -nop -enc SQBFAFgA', 'event.code': '1' });
  });
});
