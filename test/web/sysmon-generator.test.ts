/**
 * The Sysmon generator against the SigmaHQ corpus (the oracle: the rules as their authors wrote
 * them, loaded by the library under the evtx-json pipeline): every attack raises the titles it
 * claims, through the engine too; the benign traffic raises no process_creation rule of level
 * medium or above; and each alert names its attack's truth key.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSigma } from '../../src/sigma/index.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { SysmonGenerator, SYSMON_ATTACKS, SYSMON_CHANNEL, commandLineOf } from '../../web/worker/generators/sysmon.js';
import { alertTruthKey } from '../../web/worker/simulator-lib.js';
import { sigmaMaterialDir } from '../sigma/helpers.js';
import { DEFAULTS } from '../../web/defaults.js';
import { WorkerHost } from '../../web/worker/host.js';
import { MemoryStore } from '../../web/worker/persistence.js';
import { simulatorLib } from '../../web/worker/simulator-lib.js';
import { FakeTimer } from './fake-timer.js';

const ROOT = sigmaMaterialDir();
const DIR = ROOT && join(ROOT, 'rules/windows/process_creation');
const present = !!DIR && existsSync(DIR);

describe('sysmon generator: shape and truth', () => {
  it('writes Sysmon event ID 1 in the evtx-json shape, in event-time order, with a truth key per attack', () => {
    const g = new SysmonGenerator({ seed: 5, rate: 100, errorProbability: 0.01 });
    const taken = g.take(5000);
    let last = -Infinity;
    for (const t of taken) {
      const e = t.event as { Event: { System: Record<string, unknown>; EventData: Record<string, unknown> }; timestamp: number };
      expect(e.Event.System.EventID).toBe(1);
      expect(e.Event.System.Channel).toBe(SYSMON_CHANNEL);
      for (const f of ['Image', 'CommandLine', 'ParentImage', 'User', 'ProcessGuid', 'ParentCommandLine']) expect(typeof e.Event.EventData[f]).not.toBe('undefined');
      expect(e.timestamp).toBeGreaterThanOrEqual(last);
      last = e.timestamp;
      if (t.anomaly) expect(t.truthKey).toBe(e.Event.EventData.CommandLine);
      else expect(t.truthKey).toBeUndefined();
    }
    const attacks = taken.filter((t) => t.anomaly);
    // 1 % of events: about 50, each its own command line.
    expect(attacks.length).toBeGreaterThan(25);
    expect(attacks.length).toBeLessThan(100);
    expect(new Set(attacks.map((t) => t.truthKey)).size).toBe(attacks.length);
  });

  it('inject(n) gives n attacks among the next events', () => {
    const g = new SysmonGenerator({ seed: 2, rate: 100, errorProbability: 0 });
    expect(g.take(500).filter((t) => t.anomaly)).toHaveLength(0);
    g.inject(3);
    expect(g.take(50).filter((t) => t.anomaly)).toHaveLength(3);
  });
});

describe.skipIf(!present)('sysmon generator against the SigmaHQ process_creation rules (evtx-json)', () => {
  const files = present ? readdirSync(DIR!).filter((f) => f.endsWith('.yml')) : [];
  const sources = files.map((f) => ({ file: f, text: readFileSync(join(DIR!, f), 'utf8') }));
  const corpus = present ? loadSigma(sources, { pipeline: 'evtx-json' }) : undefined;
  const levelOf = new Map(corpus?.rules.map((r) => [r.name, r.sigma.level]) ?? []);

  it('each attack raises the titles it claims (and the titles it raises are of level medium or above)', () => {
    const g = new SysmonGenerator({ seed: 9, rate: 100, errorProbability: 0 });
    const seen = new Set<string>();
    for (let round = 0; round < 3; round++) {
      g.inject(SYSMON_ATTACKS.length * 4);
      const attacks = g.take(SYSMON_ATTACKS.length * 4 + 50).filter((t) => t.anomaly);
      expect(attacks.length).toBe(SYSMON_ATTACKS.length * 4);
      for (const a of attacks) {
        const raised = corpus!.rules.filter((r) => r.match(a.event)).map((r) => r.name);
        const attack = SYSMON_ATTACKS.find((x) => x.titles.every((t) => raised.includes(t)));
        expect(attack, `${commandLineOf(a.event)} raised ${raised.join(' | ')}`).toBeDefined();
        seen.add(attack!.name);
      }
    }
    expect([...seen].sort()).toEqual(SYSMON_ATTACKS.map((a) => a.name).sort());
    for (const attack of SYSMON_ATTACKS) for (const t of attack.titles) expect(['medium', 'high', 'critical']).toContain(levelOf.get(t));
  });

  it('benign traffic raises no rule of level medium or above', () => {
    const g = new SysmonGenerator({ seed: 4, rate: 100, errorProbability: 0 });
    const raised = new Map<string, number>();
    for (const t of g.take(800)) {
      for (const r of corpus!.rules) if (r.match(t.event)) raised.set(r.name, (raised.get(r.name) ?? 0) + 1);
    }
    const serious = [...raised].filter(([name]) => levelOf.get(name) !== 'low' && levelOf.get(name) !== 'informational');
    expect(serious).toEqual([]);
  });

  it('through the engine (putRules of the claimed rules, sigma pipeline evtx-json): one alert per attack, keyed by its truth key', async () => {
    const wanted = new Set(SYSMON_ATTACKS.flatMap((a) => a.titles));
    const ruleFiles = sources.filter((s) => /^title:\s*(.*)$/m.test(s.text) && wanted.has(/^title:\s*(.*)$/m.exec(s.text)![1]!.trim()));
    expect(ruleFiles.length).toBe(wanted.size);
    const engine = await createNodeEngine({ sigma: { pipeline: 'evtx-json' } });
    try {
      for (const f of ruleFiles) expect(engine.putRules(f.text, { file: f.file })).toMatchObject({ ok: true });
      const alerts: Record<string, unknown>[] = [];
      engine.onAlert((a) => alerts.push(a as unknown as Record<string, unknown>));
      const g = new SysmonGenerator({ seed: 11, rate: 200, errorProbability: 0.005 });
      const taken = g.take(6000);
      engine.push(taken.map((t) => t.event));
      engine.flush?.();
      const truth = new Map(taken.filter((t) => t.anomaly).map((t) => [t.truthKey!, SYSMON_ATTACKS.find((a) => a.spec.image === (t.event as { Event: { EventData: { Image: string } } }).Event.EventData.Image)!]));
      expect(truth.size).toBeGreaterThan(10);
      const got = alerts.map((a) => [alertTruthKey(a), a.rule]).sort();
      const expected = [...truth].flatMap(([key, attack]) => attack.titles.map((title) => [key, title])).sort();
      expect(got).toEqual(expected);
    } finally {
      engine.dispose();
    }
  });
});

describe.skipIf(!present)('sysmon generator in the app’s worker (engine with the evtx-json pipeline)', () => {
  const hosts: WorkerHost[] = [];
  afterEach(() => {
    for (const h of hosts.splice(0)) h.dispose();
  });

  it('the simulator’s sysmon attacks raise the claimed Sigma rules; the quality view scores them per rule and per generator', async () => {
    const timer = new FakeTimer();
    const host = new WorkerHost({
      // The page's engine would need `sigma: { pipeline: 'evtx-json' }` (engine.worker.ts) for Sigma rules on Sysmon events.
      createEngine: async () => ({ engine: await createNodeEngine({ sigma: { pipeline: 'evtx-json' } }), loadMs: 0 }),
      openStore: async () => new MemoryStore(),
      simulator: async () => simulatorLib,
      timer,
    });
    hosts.push(host);
    await host.init({ defaults: { ...DEFAULTS, simulator: { mix: [{ generator: 'sysmon', weight: 1 }], rate: 200, errorProbability: 0, seed: 4 } } });
    const wanted = new Set(SYSMON_ATTACKS.flatMap((a) => a.titles));
    for (const f of readdirSync(DIR!)) {
      const text = readFileSync(join(DIR!, f), 'utf8');
      const title = /^title:\s*(.*)$/m.exec(text)?.[1]?.trim();
      if (title && wanted.has(title)) expect(await host.putRules(text, { file: f })).toMatchObject({ ok: true });
    }
    timer.advance(2_000);
    host.injectAnomaly(12);
    timer.advance(5_000);
    const report = host.quality();
    const injected = report.injected;
    expect(injected).toHaveLength(12);
    for (const i of injected) {
      expect(i.generator).toBe('sysmon');
      const image = (i.sample[0] as { Event: { EventData: { Image: string } } }).Event.EventData.Image;
      const attack = SYSMON_ATTACKS.find((a) => a.spec.image === image)!;
      expect(i.detectedBy).toEqual([...attack.titles].sort());
    }
    expect(report.generators).toMatchObject([{ generator: 'sysmon', truthKeys: 12, truePositives: 12, falseNegatives: 0, falsePositives: 0, recall: 1, precision: 1 }]);
    const perRule = new Map(report.rules.map((r) => [r.rule, r]));
    for (const title of new Set(injected.flatMap((i) => i.detectedBy))) expect(perRule.get(title)).toMatchObject({ falsePositives: 0, covers: ['sysmon'] });
    expect(host.simulator().score).toMatchObject({ truePositives: 12, falsePositives: 0, falseNegatives: 0 });
  });
});
