/**
 * Scoring live in a rule: `utils.classify(model, utils.flowFeatures(events))` in an aggregation
 * rule gives, per source and minute, what the model gives on the training-time features of the
 * same flows — on the native path and in the sandbox alike.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigil } from '../cli/run-cli.js';
import type { Alert, Engine } from '../../src/engine/engine.js';
import { classify, flowFeatures, trainFlowModel, trainModel, type FlowModel } from '../../src/ml/index.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { createGenerator } from '../../src/simulate/index.js';
import { simulatedRows } from './data.js';

const engines: Engine[] = [];
afterAll(() => engines.splice(0).forEach((e) => e.dispose()));

const { rows, truth } = simulatedRows(5, 8);
const model = trainModel(rows.map((r) => r.features), { truth, seed: 1 });
/** The default model: host-baseline features, which read more of `utils.flowFeatures` (and the source's key). */
const baselineModel = trainFlowModel(rows, { truth, seed: 1, maxK: 6 });

/** Four minutes of different traffic (another seed) to score. */
const generator = createGenerator('flows', { seed: 6, rate: 20, errorProbability: 0.05, clients: 100 });
const flows = [...generator.take(20 * 60 * 4), ...generator.settle()].map((s) => s.event as Record<string, unknown>);

const HEADER = `RULE "flow anomaly"
SOURCES kind = "flow"
USING event.start
AGGREGATE BY source.ip
WITHIN 1:min, 1:min
`;
// Every window's verdict, so the comparison covers labels, clusters and scores of all of them.
// Pure expressions: compiled to native closures.
const NATIVE = `${HEADER}SINK function (w) { return utils.classify("flows", utils.flowFeatures(w.events)); }
`;
// A loop: runs in the QuickJS sandbox, where features and verdicts cross as JSON.
const SANDBOXED = `${HEADER}HAVING function (flows) {
  let tcp = 0;
  for (const f of flows) if (f["network.transport"] == "tcp") tcp++;
  const verdict = utils.classify("flows", utils.flowFeatures(flows));
  return { label: verdict.label, cluster: verdict.cluster, score: verdict.score, tcp: tcp };
}
SINK function (v) { return v; }
`;

async function score(rule: string, scoredWith: FlowModel = model): Promise<{ alerts: Alert[]; engine: Engine }> {
  const engine = await createNodeEngine({ outOfOrderMs: 0 });
  engines.push(engine);
  engine.models.set('flows', JSON.parse(JSON.stringify(scoredWith)));
  const applied = engine.putRules(rule);
  expect(applied.diagnostics).toEqual([]);
  const alerts: Alert[] = [];
  engine.onAlert((a) => alerts.push(a));
  for (let i = 0; i < flows.length; i += 500) engine.push(flows.slice(i, i + 500));
  engine.flush();
  return { alerts, engine };
}

describe.each([
  ['raw', model],
  ['host-baseline', baselineModel],
])('utils.classify in rules, %s model', (featureSet, scoredWith) => {
  const expected = flowFeatures(flows, 60_000)
    .map((row) => ({ row, verdict: classify(scoredWith, featureSet === 'raw' ? row.features : row.inputs) }))
    .map(({ row, verdict }) => ({ source: row.source, windowStart: row.windowStart, ...verdict }))
    .sort((a, b) => a.windowStart - b.windowStart || a.source.localeCompare(b.source));
  const found = (alerts: Alert[]) =>
    alerts
      .map((a) => ({ source: (a.key as Record<string, string>)['source.ip']!, windowStart: a.windowStart as number, label: a.label, cluster: a.cluster, score: a.score }))
      .sort((a, b) => a.windowStart - b.windowStart || a.source.localeCompare(b.source));

  it('gives every window the verdict the model gives its features, natively', async () => {
    // More than one verdict among the windows, so agreement means something.
    expect(expected.length).toBeGreaterThan(400);
    expect(new Set(expected.map((e) => e.score)).size).toBeGreaterThan(1);
    expect(scoredWith.featureSet).toBe(featureSet);
    const { alerts, engine } = await score(NATIVE, scoredWith);
    expect(engine.rules()[0]!.functions.map((f) => f.mode)).toEqual(['native']);
    expect(found(alerts)).toEqual(expected);
  });

  it('gives the same verdicts from the sandbox', async () => {
    const { alerts, engine } = await score(SANDBOXED, scoredWith);
    expect(engine.rules()[0]!.functions.find((f) => f.phase === 'having')!.mode).toBe('sandbox');
    expect(found(alerts)).toEqual(expected);
  });

});

describe('models in the engine', () => {
  it('reports an unknown model as a rule error naming it, and keeps models in checkpoints', async () => {
    const engine = await createNodeEngine({ outOfOrderMs: 0 });
    engines.push(engine);
    const errors: string[] = [];
    engine.onDiagnostic((d) => errors.push(d.message));
    engine.putRules(NATIVE.replaceAll('"flows"', '"flowz"'));
    engine.models.set('flows', model);
    engine.push(flows.slice(0, 2000));
    engine.flush();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toContain("unknown model 'flowz' (loaded: flows)");

    const restored = await createNodeEngine();
    engines.push(restored);
    restored.restore(engine.checkpoint());
    expect(restored.models.names()).toEqual(['flows']);
    expect(restored.models.classify('flows', rows[0]!.features)).toEqual(classify(model, rows[0]!.features));
  });

  it('refuses what is not a model, and features of the wrong shape', async () => {
    const engine = await createNodeEngine();
    engines.push(engine);
    expect(() => engine.models.set('x', { kind: 'other' })).toThrow('not a Vigil flow model');
    engine.models.set('flows', model);
    expect(() => engine.models.classify('flows', [1, 2])).toThrow("model 'flows' takes 5 features (bytes, flows, packets, distinctDestinations, distinctDestinationPorts); got 2");
    expect(() => engine.models.classify('flows', { bytes: 'lots' })).toThrow("feature 'bytes' is not a finite number");
  });
});

describe('vigil run --model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-model-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));


  it('trains a model from a flow file and scores a rule with it', async () => {
    const trainFile = join(dir, 'train.jsonl');
    const trainer = createGenerator('flows', { seed: 5, rate: 20, errorProbability: 0.05, clients: 100 });
    writeFileSync(trainFile, [...trainer.take(20 * 60 * 8), ...trainer.settle()].map((s) => JSON.stringify({ ...s.event, anomaly: s.anomaly })).join('\n'));
    const modelFile = join(dir, 'model.json');
    expect((await runVigil(['train', trainFile, '--out', modelFile])).code).toBe(0);

    const rulesFile = join(dir, 'score.vgl');
    writeFileSync(rulesFile, NATIVE);
    const flowsFile = join(dir, 'flows.jsonl');
    writeFileSync(flowsFile, flows.map((f) => JSON.stringify(f)).join('\n'));
    const run = await runVigil(['run', '--rules', rulesFile, '--model', `flows=${modelFile}`, '--out-of-order', '0', flowsFile]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const trained = JSON.parse(readFileSync(modelFile, 'utf8'));
    const alerts = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Alert);
    const expected = flowFeatures(flows, 60_000).map((row) => ({ source: row.source, windowStart: row.windowStart, ...classify(trained, row.inputs) }));
    const byWindow = (a: { windowStart: number; source: string }, b: { windowStart: number; source: string }) => a.windowStart - b.windowStart || a.source.localeCompare(b.source);
    expect(alerts.map((a) => ({ source: (a.key as Record<string, string>)['source.ip']!, windowStart: a.windowStart as number, label: a.label, cluster: a.cluster, score: a.score })).sort(byWindow)).toEqual(expected.sort(byWindow));
  }, 60_000);

  it('names the model file that is not a model, and the one that is not JSON', async () => {
    const rulesFile = join(dir, 'score.vgl');
    writeFileSync(rulesFile, NATIVE);
    writeFileSync(join(dir, 'other.json'), '{"kind":"something else"}');
    writeFileSync(join(dir, 'broken.json'), '{"kind":');
    const notModel = await runVigil(['run', '--rules', rulesFile, '--model', `flows=${join(dir, 'other.json')}`, '-']);
    expect(notModel.code).toBe(2);
    expect(notModel.stderr).toBe(`vigil: model file ${join(dir, 'other.json')}: not a Vigil flow model (kind must be "vigil.flow-model")\n`);
    const notJson = await runVigil(['run', '--rules', rulesFile, '--model', `flows=${join(dir, 'broken.json')}`, '-']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(new RegExp(`^vigil: model file ${join(dir, 'broken.json')}: not JSON \\(`));
    const noPath = await runVigil(['run', '--rules', rulesFile, '--model', 'flows', '-']);
    expect(noPath.code).toBe(2);
    expect(noPath.stderr).toContain("--model takes name=path, got 'flows'");
  });
});

