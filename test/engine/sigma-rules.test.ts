/**
 * Sigma rules as engine rules: the same registry, routing, checkpoints and alerts as VGL. The
 * oracle for what should match is each rule's own compiled matcher applied to every event in a
 * plain loop (src/sigma is tested against naive matchers in test/sigma); what is tested here is
 * the engine's part: routing by logsource, alerts and their shape, replacing, checkpoints.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSigma } from '../../src/sigma/index.js';
import { CASES } from '../sigma/evtx-cases.js';
import { sigmaMaterialDir } from '../sigma/helpers.js';
import { harness, plain, type Harness } from './helpers.js';

const ROOT = sigmaMaterialDir();
const open: Harness[] = [];
afterEach(() => open.splice(0).forEach((h) => h.engine.dispose()));
const make = async () => {
  const h = await harness({ sigma: { pipeline: 'evtx-json' } });
  open.push(h);
  return h;
};

describe.skipIf(!ROOT)('Sigma rules in the engine', () => {
  const sources = CASES.map((c) => ({ file: c.file, text: readFileSync(join(ROOT!, c.file), 'utf8') }));
  // Every case's attack and near miss, each twice, interleaved with the others'.
  const events = [...CASES.flatMap((c) => [c.match, c.nearMiss]), ...CASES.flatMap((c) => [c.nearMiss, c.match])];

  it('raise the alerts their matchers raise in a plain loop, with the rule title, sigma metadata and matched fields', async () => {
    const h = await make();
    for (const { file, text } of sources) {
      const result = h.engine.putRules(text, { file });
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(result.ok).toBe(true);
    }
    const rules = h.engine.rules();
    expect(rules.map((r) => r.language)).toEqual(CASES.map(() => 'sigma'));
    expect(rules.map((r) => r.name)).toEqual(CASES.map((c) => c.title));
    for (let i = 0; i < events.length; i += 5) h.engine.push(events.slice(i, i + 5));

    const plans = loadSigma(sources, { pipeline: 'evtx-json' }).rules;
    const expected = events.flatMap((event) => plans.filter((p) => p.match(event)).map((p) => ({ rule: p.name, id: p.sigma.id, level: p.sigma.level })));
    expect(expected.length).toBe(2 * CASES.length);
    const alerts = plain(h.take());
    expect(alerts.map((a) => ({ rule: a.rule, id: (a.sigma as { id: string }).id, level: (a.sigma as { level: string }).level }))).toEqual(expected);
    for (const alert of alerts) {
      const sigma = alert.sigma as { tags: unknown; references: unknown; status: unknown };
      expect(Array.isArray(sigma.tags) && Array.isArray(sigma.references) && typeof sigma.status).toBeTruthy();
      // The fields the detection read are in the alert: at least one, taken from the event.
      expect(Object.keys(alert).filter((k) => k !== 'rule' && k !== 'sigma').length).toBeGreaterThan(0);
    }
    // Routing by logsource (and the literal prefilter): an event meets only the rules of its
    // channel and event ID whose literals it holds — fewer than every rule for every event, and
    // at least the rule of every alert.
    const routed = h.engine.rules().reduce((n, r) => n + r.stats.routed, 0);
    expect(routed).toBeLessThan(events.length * CASES.length);
    expect(routed).toBeGreaterThanOrEqual(expected.length);
  });

  it('survive a checkpoint: restored, the same rules raise the same alerts', async () => {
    const first = await make();
    for (const { file, text } of sources) first.engine.putRules(text, { file });
    first.engine.push(events.slice(0, 7));
    first.take();
    const second = await make();
    second.engine.restore(first.engine.checkpoint());
    expect(second.engine.rules().map((r) => [r.name, r.language, r.file])).toEqual(first.engine.rules().map((r) => [r.name, r.language, r.file]));
    first.engine.push(events.slice(7));
    second.engine.push(events.slice(7));
    expect(plain(second.take())).toEqual(plain(first.take()));
  });

  it('refuse a broken rule file whole, naming the line, and keep the rules already loaded', async () => {
    const h = await make();
    h.engine.putRules(sources[0]!.text, { file: sources[0]!.file });
    const broken = `title: Broken\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  selection:\n    Image|endswith|nosuchmodifier: '\\\\evil.exe'\n  condition: selection\n`;
    const result = h.engine.putRules(broken, { file: 'broken.yml' });
    expect(result.ok).toBe(false);
    const error = result.diagnostics.find((d) => d.severity === 'error')!;
    expect(error.file).toBe('broken.yml');
    expect(error.line).toBe(7);
    expect(h.engine.rules().map((r) => r.name)).toEqual([CASES[0]!.title]);
  });

  it('refuse a title the engine reserves for its own alerts, as VGL names are', async () => {
    const h = await make();
    const spoof = `title: vigil.rule.deactivated\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  selection:\n    Image|endswith: '\\\\evil.exe'\n  condition: selection\n`;
    const result = h.engine.putRules(spoof, { file: 'spoof.yml' });
    expect(result.ok).toBe(false);
    expect(result.diagnostics.find((d) => d.code === 'reserved-rule-name')).toMatchObject({ file: 'spoof.yml', line: 1, severity: 'error' });
    expect(h.engine.rules()).toEqual([]);
  });

  it('say which pipeline names exist when given another', async () => {
    const h = await harness({ sigma: { pipeline: 'splunk' } });
    open.push(h);
    const result = h.engine.putRules(sources[0]!.text, { file: sources[0]!.file });
    expect(result.ok).toBe(false);
    expect(result.diagnostics[0]!.message).toMatch(/unknown Sigma pipeline 'splunk' \(built in: .*evtx-json/);
  });
});
