/**
 * The specification's own example files (spec/tests/schema) and the examples in its text: rules,
 * correlations and filters compile, with the structure the text describes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSigma, parseTimespan, type SigmaSource } from '../../src/sigma/index.js';
import { sigmaMaterialDir } from './helpers.js';

const root = join(sigmaMaterialDir() ?? '../shared/sigma', 'spec/tests/schema');
const present = existsSync(root);
if (!present) console.warn(`Sigma specification examples not found at ${root}: skipping`);

function read(dir: string): SigmaSource[] {
  return readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => ({ file: `${dir}/${f}`, text: readFileSync(join(root, dir, f), 'utf8') }));
}

describe.skipIf(!present)('spec/tests/schema', () => {
  it('rules compile under every built-in pipeline', () => {
    for (const pipeline of ['flat', 'evtx-json', 'ecs']) {
      const c = loadSigma(read('rules'), { pipeline });
      expect(c.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(c.rules.map((r) => r.name)).toEqual(['A Title', 'A Title']);
    }
    const [rule1] = loadSigma(read('rules'), { pipeline: 'evtx-json' }).rules.filter((r) => r.file === 'rules/rule_1.yml');
    expect(rule1.sigma).toEqual({
      id: '545a5da6-f103-4919-a519-e9aec1026ee4',
      status: 'test',
      level: 'high',
      tags: ['attack.defense-evasion', 'attack.t1211', 'attack.t1562.001'],
      references: ['https://123.456', 'https://789.963'],
    });
    // logsource product windows / service application → the Application channel.
    expect(rule1.selectors).toEqual([{ field: 'Event.System.Channel', values: ['Application'] }]);
    const event = { Event: { System: { Channel: 'Application', Provider: { '#attributes': { Name: 'Application Error' } } }, EventData: {} } };
    expect(rule1.match(event)).toBe(true);
    expect(rule1.matchedFields(event)).toEqual({ 'Event.System.Channel': 'Application', 'Event.System.Provider.#attributes.Name': 'Application Error' });
    expect(rule1.match({ Event: { System: { Channel: 'System', Provider: { '#attributes': { Name: 'Application Error' } } } } })).toBe(false);
    const ecs = loadSigma(read('rules'), { pipeline: 'flat' }).rules.find((r) => r.file === 'rules/rule_ecs.yml')!;
    expect(ecs.match({ dns: { question: { name: 'SigmaHQ' } } })).toBe(true);
    expect(ecs.equalities).toEqual([{ field: 'dns.question.name', values: ['sigmahq'], caseInsensitive: true }]);
  });

  it('correlations parse into the structure the specification describes', () => {
    // The referenced rules are not part of the examples: give stand-ins with those ids and names.
    const standIns = ['5638f7c0-ac70-491d-8465-2a65075e0d86', 'recon_cmd_a', 'recon_cmd_b', 'recon_cmd_c', 'rule_a_id', 'process_creation', 'website_access'].map((ref, i) => ({
      file: `stand-in-${i}.yml`,
      text: `title: Stand-in ${i}\n${ref.includes('-') ? 'id' : 'name'}: ${ref}\nlogsource:\n    product: windows\ndetection:\n    s:\n        A: 1\n    condition: s\n`,
    }));
    const c = loadSigma([...standIns, ...read('correlation')]);
    expect(c.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const byFile = Object.fromEntries(c.correlations.map((x) => [x.file.replace('correlation/', ''), x]));
    expect(Object.keys(byFile).sort()).toEqual(['event_count.yml', 'event_count_ecs.yml', 'temporal.yml', 'temporal_ordered.yml', 'value_avg.yml', 'value_count.yml', 'value_percentile.yml', 'value_sum.yml']);
    expect(byFile['event_count.yml']).toMatchObject({ title: 'Many failed logins', id: '0e95725d-7320-415d-80f7-004da920fc11', type: 'event_count', rules: ['5638f7c0-ac70-491d-8465-2a65075e0d86'], groupBy: ['ComputerName'], timespanMs: 3_600_000, condition: [{ op: 'gte', value: 100 }], generate: false });
    expect(byFile['value_count.yml']).toMatchObject({ type: 'value_count', groupBy: ['ComputerName', 'WorkstationName'], timespanMs: 86_400_000, field: 'User', condition: [{ op: 'gte', value: 100 }] });
    // temporal without a condition: all the rules.
    expect(byFile['temporal_ordered.yml']).toMatchObject({ type: 'temporal_ordered', rules: ['recon_cmd_a', 'recon_cmd_b', 'recon_cmd_c'], timespanMs: 300_000, condition: [{ op: 'gte', value: 3 }] });
    expect(byFile['value_sum.yml']).toMatchObject({ field: 'bytes_sent', condition: [{ op: 'gt', value: 1_000_000 }] });
    expect(byFile['value_avg.yml']).toMatchObject({ field: 'BytesOut', condition: [{ op: 'gt', value: 500 }] });
    expect(byFile['value_percentile.yml']).toMatchObject({ field: 'Image', condition: [{ op: 'lte', value: 1 }] });
  });

  it('a correlation naming a rule that is not loaded is an error at the reference', () => {
    const c = loadSigma(read('correlation').filter((s) => s.file.endsWith('/temporal.yml')));
    expect(c.correlations).toEqual([]);
    expect(c.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
      ['sigma-correlation', 5, 11],
      ['sigma-correlation', 6, 11],
      ['sigma-correlation', 7, 11],
    ]);
  });

  it('filters apply to the rules they name: the rule matches when it matches and no filter does', () => {
    const target = (id: string, title: string) => ({
      file: `${title}.yml`,
      text: `title: ${title}\nid: ${id}\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    selection:\n        Image|endswith: '\\rar.exe'\n    condition: selection\n`,
    });
    const other = { file: 'other.yml', text: "title: Other\nid: 00000000-0000-0000-0000-000000000000\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    selection:\n        Image|endswith: '\\rar.exe'\n    condition: selection\n" };
    const c = loadSigma([target('6f3e2987-db24-4c78-a860-b4f4095a7095', 'Rar'), other, ...read('filter').filter((s) => s.file.endsWith('filter_1.yml'))], { pipeline: 'evtx-json' });
    expect(c.filters.map((f) => f.title)).toEqual(['Filter Administrator account']);
    const rar = c.rules.find((r) => r.name === 'Rar')!;
    const unfiltered = c.rules.find((r) => r.name === 'Other')!;
    expect(rar.filters).toEqual(['Filter Administrator account']);
    const sysmon = (user: string) => ({ Event: { System: { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1 }, EventData: { Image: 'C:\\Program Files\\WinRAR\\rar.exe', User: user } } });
    expect(rar.match(sysmon('CORP\\bob'))).toBe(true);
    expect(rar.match(sysmon('adm_bob'))).toBe(false);
    expect(unfiltered.match(sysmon('adm_bob'))).toBe(true);
    // The other rule the filter names is not loaded: a warning, nothing else.
    expect(c.diagnostics.map((d) => [d.severity, d.code])).toEqual([['warning', 'sigma-filter']]);
  });

  it('the filter example with a logsource that does not cover the rule is not applied (warning)', () => {
    const rule = { file: 'r.yml', text: "title: R\nid: 6f3e2987-db24-4c78-a860-b4f4095a7095\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    selection:\n        A: 1\n    condition: selection\n" };
    const c = loadSigma([rule, ...read('filter').filter((s) => s.file.endsWith('filter_ecs.yml'))]);
    expect(c.rules[0].filters).toEqual([]);
    expect(c.diagnostics.some((d) => d.code === 'sigma-filter' && /does not cover/.test(d.message))).toBe(true);
  });
});

describe('the correlation specification text', () => {
  const failedLogins = readFileSync(new URL('../fixtures/sigma/spec-chained-failed-logins.yml', import.meta.url), 'utf8');

  it('the multi-document example: two rules, two chained correlations', () => {
    const c = loadSigma([{ file: 'mr.yml', text: failedLogins }], { pipeline: 'evtx-json' });
    expect(c.diagnostics).toEqual([]);
    expect(c.rules.map((r) => [r.name, r.ruleName])).toEqual([['Single failed login', 'failed_login'], ['Successful login', 'successful_login']]);
    expect(c.correlations.map((x) => [x.type, x.rules, x.name])).toEqual([
      ['temporal_ordered', ['multiple_failed_login', 'successful_login'], undefined],
      ['event_count', ['failed_login'], 'multiple_failed_login'],
    ]);
    const failed = c.rules[0];
    expect(failed.selectors).toEqual([{ field: 'Event.System.Channel', values: ['Security'] }]);
    expect(failed.match({ Event: { System: { Channel: 'Security', EventID: 4625 }, EventData: { TargetUserName: 'bob' } } })).toBe(true);
    expect(failed.match({ Event: { System: { Channel: 'Security', EventID: 4624 } } })).toBe(false);
  });

  it('aliases: the field name aliases example', () => {
    const text = `name: internal_error
title: Internal error
logsource:
    category: webserver
detection:
    selection:
        http.response.status_code: 500
    condition: selection
---
name: new_network_connection
title: New connection
logsource:
    category: network
detection:
    selection:
        event.category: network
    condition: selection
---
title: Correlation with aliases
correlation:
    type: temporal
    rules:
        - internal_error
        - new_network_connection
    group-by:
        - internal_ip
        - remote_ip
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
`;
    const c = loadSigma([{ file: 'aliases.yml', text }]);
    expect(c.diagnostics).toEqual([]);
    expect(c.correlations[0]).toMatchObject({ type: 'temporal', timespanMs: 10_000, aliases: { internal_ip: { internal_error: 'destination.ip', new_network_connection: 'source.ip' } } });
  });

  it('malformed correlations name the place', () => {
    const bad = (body: string) => loadSigma([{ file: 'c.yml', text: `title: Bad\ncorrelation:\n${body}` }]).diagnostics.filter((d) => d.severity === 'error');
    expect(bad('    type: event_cnt\n    rules: [a]\n    timespan: 1h\n    condition: {gte: 1}\n')[0]).toMatchObject({ line: 3, column: 11, message: expect.stringMatching(/unknown correlation type 'event_cnt'/) });
    expect(bad('    type: event_count\n    rules: [a]\n    timespan: 1 hour\n    condition: {gte: 1}\n')[0]).toMatchObject({ line: 5, message: expect.stringMatching(/timespan '1 hour'/) });
    expect(bad('    type: event_count\n    rules: [a]\n    timespan: 1h\n')[0].message).toMatch(/needs a condition/);
    expect(bad('    type: value_count\n    rules: [a]\n    timespan: 1h\n    condition: {gte: 1}\n')[0].message).toMatch(/needs a field/);
    expect(bad('    type: event_count\n    rules: [a]\n    timespan: 1h\n    condition: {more: 1}\n')[0]).toMatchObject({ line: 6, message: expect.stringMatching(/unknown condition operator 'more'/) });
    expect(bad('    type: temporal\n    rules: []\n    timespan: 1h\n')[0].message).toMatch(/non-empty list/);
  });

  it('timespans: s, m, h, d', () => {
    expect([parseTimespan('30s'), parseTimespan('90m'), parseTimespan('1h'), parseTimespan('2d'), parseTimespan('1y'), parseTimespan('0s'), parseTimespan('m')]).toEqual([30_000, 5_400_000, 3_600_000, 172_800_000, undefined, undefined, undefined]);
  });
});

describe('correlation chains', () => {
  const rule = (name: string) => `title: ${name}\nname: ${name}\nlogsource:\n    product: x\ndetection:\n    s:\n        A: 1\n    condition: s\n`;
  const corr = (title: string, name: string, refs: string[]) => `title: ${title}\nname: ${name}\ncorrelation:\n    type: temporal\n    rules: [${refs.join(', ')}]\n    timespan: 1m\n`;

  it('targets name the rule or correlation each reference resolves to', () => {
    const c = loadSigma([{ file: 'chain.yml', text: [rule('a'), rule('b'), corr('First', 'first', ['a', 'b']), corr('Second', 'second', ['first', 'a'])].join('---\n') }]);
    expect(c.diagnostics).toEqual([]);
    expect(c.correlations.map((x) => x.targets)).toEqual([
      [{ kind: 'rule', index: 0 }, { kind: 'rule', index: 1 }],
      [{ kind: 'correlation', index: 0 }, { kind: 'rule', index: 0 }],
    ]);
  });

  it('a loop is refused, and so is what is built on it', () => {
    const c = loadSigma([{ file: 'loop.yml', text: [rule('a'), corr('X', 'x', ['y', 'a']), corr('Y', 'y', ['x']), corr('Z', 'z', ['x'])].join('---\n') }]);
    expect(c.correlations).toEqual([]);
    expect(c.diagnostics.map((d) => d.message)).toEqual([
      "correlation 'X' references itself through its chain of correlations",
      "correlation 'Y' references itself through its chain of correlations",
      "correlation 'Z' is built on 'X', which was refused",
    ]);
  });

  it('an ambiguous reference (two rules with one id) is refused', () => {
    const dup = 'title: D\nid: same\nlogsource:\n    product: x\ndetection:\n    s:\n        A: 1\n    condition: s\n';
    const c = loadSigma([{ file: 'dup.yml', text: [dup, dup, corr('C', 'c', ['same'])].join('---\n') }]);
    expect(c.correlations).toEqual([]);
    expect(c.diagnostics.map((d) => d.message)).toEqual(["rule 'D' has the id same of rule 'D' (dup.yml:1)", "correlation 'C' references 'same', which names 2 loaded rules or correlations"]);
  });
});
