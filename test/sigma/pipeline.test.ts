/** User pipelines (YAML) and logsource resolution. */
import { describe, expect, it } from 'vitest';
import { BUILTIN_PIPELINES, loadSigma, parsePipeline, resolveLogsource } from '../../src/sigma/index.js';
import { ruleText } from './helpers.js';

const PIPELINE = `name: my-pipeline
defaultField: 'data.{field}'
keywordFields: [message]
fields:
    EventID: event_id
    Image: [process.path, process.image]
logsources:
    - match: { product: windows, category: process_creation }
      conditions:
          channel: [sysmon, security]
          event_id: [1, 4688]
    - match: { product: windows }
      conditions:
          os: windows
      fields:
          CommandLine: process.cmd
`;

describe('a user pipeline in YAML', () => {
  const { pipeline, diagnostics } = parsePipeline(PIPELINE, 'my.yml');

  it('parses into the built-in shape', () => {
    expect(diagnostics).toEqual([]);
    expect(pipeline).toMatchObject({ name: 'my-pipeline', defaultField: 'data.{field}', keywordFields: ['message'], unknownLogsource: 'skip' });
    expect(pipeline!.logsources[0]).toEqual({ match: { product: 'windows', category: 'process_creation' }, conditions: { channel: ['sysmon', 'security'], event_id: ['1', '4688'] } });
  });

  it('routes, renames and defaults as written; every matching logsources entry applies', () => {
    const rule = loadSigma([{ file: 'r.yml', text: ruleText("    selection:\n        Image|endswith: '\\evil.exe'\n        CommandLine|contains: 'x'\n        User: 'bob'") }], { pipeline: pipeline! }).rules[0];
    expect(rule.selectors).toEqual([
      { field: 'os', values: ['windows'] },
      { field: 'channel', values: ['sysmon', 'security'] },
      { field: 'event_id', values: ['1', '4688'] },
    ]);
    const event = { os: 'windows', channel: 'sysmon', event_id: 1, process: { image: 'C:\\evil.exe', cmd: 'x y' }, data: { User: 'bob' } };
    expect(rule.match(event)).toBe(true);
    expect(rule.match({ ...event, channel: 'system' })).toBe(false);
    expect(rule.match({ ...event, process: { path: 'C:\\good.exe', image: 'C:\\evil.exe', cmd: 'x' } })).toBe(false);
    expect(rule.matchDetection({ ...event, channel: 'system' })).toBe(true);
    expect(rule.matchedFields(event)).toEqual({ os: 'windows', channel: 'sysmon', event_id: 1, 'process.image': 'C:\\evil.exe', 'process.cmd': 'x y', 'data.User': 'bob' });
  });

  it('keywords search only the keyword fields', () => {
    const rule = loadSigma([{ file: 'r.yml', text: ruleText("    keywords:\n        - 'mimikatz'", 'keywords') }], { pipeline: pipeline! }).rules[0];
    expect(rule.match({ os: 'windows', channel: 'sysmon', event_id: 1, message: 'ran MimiKatz' })).toBe(true);
    expect(rule.match({ os: 'windows', channel: 'sysmon', event_id: 1, other: 'ran mimikatz' })).toBe(false);
  });

  it('unknownLogsource: error refuses rules no entry covers', () => {
    const strict = parsePipeline(`${PIPELINE}unknownLogsource: error\n`, 'strict.yml').pipeline!;
    const c = loadSigma([{ file: 'r.yml', text: ruleText("    selection:\n        A: 1", 'selection', 'product: linux') }], { pipeline: strict });
    expect(c.rules).toEqual([]);
    expect(c.diagnostics.map((d) => [d.severity, d.code, d.line])).toEqual([['error', 'sigma-logsource', 3]]);
  });

  it.each([
    ['name: x\nfields: [a]\n', /fields must map/],
    ['fields: {}\n', /needs a name/],
    ['name: x\nbogus: 1\n', /unknown pipeline key 'bogus'/],
    ["name: x\ndefaultField: 'data'\n", /defaultField must be text holding/],
    ['name: x\nlogsources:\n    - match: { os: windows }\n', /match keys are product, category and service/],
    ['name: x\nlogsources:\n    - match: { product: windows }\n      conditions: { channel: [] }\n', /needs a value/],
  ])('%s is refused with a diagnostic', (text, message) => {
    const { pipeline: p, diagnostics: d } = parsePipeline(text, 'bad.yml');
    expect(p).toBeUndefined();
    expect(d[0].message).toMatch(message);
    expect(d[0].file).toBe('bad.yml');
  });
});

describe('built-in pipelines', () => {
  it('evtx-json: Sysmon categories route by channel and event ID, services by channel', () => {
    const p = BUILTIN_PIPELINES['evtx-json'];
    expect(resolveLogsource(p, { product: 'windows', category: 'registry_event' }).selectors).toEqual([
      { field: 'Event.System.Channel', values: ['Microsoft-Windows-Sysmon/Operational'] },
      { field: 'Event.System.EventID', values: ['12', '13', '14'] },
    ]);
    expect(resolveLogsource(p, { product: 'windows', category: 'ps_script' }).selectors[1]).toEqual({ field: 'Event.System.EventID', values: ['4104'] });
    expect(resolveLogsource(p, { product: 'windows', service: 'system' }).selectors).toEqual([{ field: 'Event.System.Channel', values: ['System'] }]);
    const ls = resolveLogsource(p, { product: 'windows', category: 'process_creation' });
    expect(ls.field('CommandLine')).toEqual(['Event.EventData.CommandLine']);
    expect(ls.field('Image')).toEqual(['Event.EventData.Image', 'Event.EventData.NewProcessName']);
    expect(ls.field('EventID')).toEqual(['Event.System.EventID', 'Event.System.EventID.#text']);
    // A product the pipeline does not know: no routing.
    expect(resolveLogsource(p, { product: 'aws', service: 'cloudtrail' })).toMatchObject({ known: false, selectors: [] });
  });

  it('evtx-json skips rules of logsources it does not know (a Zeek rule never sees a Windows event); unrouted on request', () => {
    const zeek = ruleText("    selection:\n        id.orig_h|cidr: '10.0.0.0/8'", 'not selection', 'product: zeek\n    service: rdp');
    const event = { Event: { System: { Channel: 'Security', EventID: 4624 }, EventData: {} } };
    const skipped = loadSigma([{ file: 'z.yml', text: zeek }], { pipeline: 'evtx-json' });
    expect(skipped.diagnostics.map((d) => [d.severity, d.code, d.line])).toEqual([['warning', 'sigma-logsource', 3]]);
    expect(skipped.rules[0].selectors).toEqual([{ field: 'Event.System.Channel', values: [] }]);
    expect(skipped.rules[0].match(event)).toBe(false);
    expect(skipped.rules[0].matchDetection(event)).toBe(true);
    const unrouted = loadSigma([{ file: 'z.yml', text: zeek }], { pipeline: { ...BUILTIN_PIPELINES['evtx-json'], unknownLogsource: 'unrouted' } });
    expect(unrouted.rules[0].selectors).toEqual([]);
    expect(unrouted.rules[0].match(event)).toBe(true);
  });

  it('evtx-json reads EventID with Qualifiers (#text) as the System channel writes it', () => {
    const rule = loadSigma([{ file: 'r.yml', text: ruleText('    selection:\n        EventID: 7045', 'selection', 'product: windows\n    service: system') }], { pipeline: 'evtx-json' }).rules[0];
    expect(rule.match({ Event: { System: { Channel: 'System', EventID: { '#attributes': { Qualifiers: 16384 }, '#text': 7045 } } } })).toBe(true);
    expect(rule.match({ Event: { System: { Channel: 'System', EventID: 7045 } } })).toBe(true);
    expect(rule.match({ Event: { System: { Channel: 'System', EventID: 7036 } } })).toBe(false);
  });

  it('equalities come from required selections with exact values', () => {
    const rule = loadSigma([{ file: 'r.yml', text: ruleText("    selection:\n        OriginalFileName: 'PsExec.exe'\n        Image|endswith: '\\x.exe'\n    filter:\n        User: 'bob'", 'selection and not filter') }], { pipeline: 'evtx-json' }).rules[0];
    expect(rule.equalities).toEqual([{ field: 'Event.EventData.OriginalFileName', values: ['PsExec.exe'], caseInsensitive: true }]);
  });
});
