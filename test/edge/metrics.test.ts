/**
 * One metrics shape everywhere: the same input on the Node server, the Deno server and the Worker
 * on workerd (3 Durable Object partitions) gives a `/metrics` document with the same keys at every
 * level and the same counts, and those counts agree with a recount of what was sent and of the
 * alerts `GET /alerts` returned. `?format=prometheus` carries the same numbers in text format.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeServer } from '../../src/edge/node/server.js';
import { prometheusText, type VigilMetrics } from '../../src/edge/metrics.js';
import { loadCase } from '../conformance/cases.js';
import { buildEdge, envVars, flush, postEvents, readAlerts, setUpCase, startDeno, startWorkerd, TOKEN } from '../conformance/runtimes.js';

const testCase = loadCase('alert-reentry');
/** Events no rule selects, over many partition keys: they count in eventsIn all the same. */
const unmatched = Array.from({ length: 30 }, (_, i) => JSON.stringify({ kind: 'conn', sourceAddress: `10.0.${i % 7}.${i}` }));
const input = [...testCase.eventLines, ...unmatched];

interface Run {
  metrics: VigilMetrics;
  prometheus: string;
  alerts: Record<string, unknown>[];
}

const runs: Record<string, Run> = {};
const urls: Record<string, string> = {};
const stops: (() => Promise<void>)[] = [];

async function exercise(url: string): Promise<Run> {
  await setUpCase(url, testCase);
  await postEvents(url, input.slice(0, 20));
  await postEvents(url, input.slice(20));
  await flush(url);
  const alerts = (await readAlerts(url)).map((line) => JSON.parse(line) as Record<string, unknown>);
  const read = (query = '') => fetch(`${url}/metrics${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const metrics = (await (await read()).json()) as VigilMetrics;
  const response = await read('?format=prometheus');
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return { metrics, prometheus: await response.text(), alerts };
}

/** The keys of a document at every depth, rule names and class ids replaced by placeholders. */
function shape(value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [`${path}:${value === null ? 'null' : typeof value}`];
  if (Array.isArray(value)) return value.length ? shape(value[0], `${path}[]`) : [`${path}[]`];
  const named = path.endsWith('.rules') || path.endsWith('.classes');
  return Object.entries(value).flatMap(([key, inner]) => shape(inner, `${path}.${named ? '*' : key}`)).filter((v, i, all) => all.indexOf(v) === i);
}

/** The counts that must not depend on the runtime or the partitioning. */
function counts(m: VigilMetrics) {
  return {
    eventsIn: m.eventsIn,
    alertsOut: m.alertsOut,
    lateEvents: m.lateEvents,
    quarantined: m.quarantined,
    reentries: m.reentries,
    deactivations: m.deactivations,
    rules: m.rules,
    perPartitionEventsIn: m.perPartition.reduce((n, p) => n + p.eventsIn, 0),
    alertRingSize: m.alertRing.size,
  };
}

beforeAll(async () => {
  const built = buildEdge();
  const node = await startNodeServer({ env: envVars(testCase.engine), guard: false });
  stops.push(() => node.close());
  const deno = await startDeno(built.deno, envVars(testCase.engine), join(mkdtempSync(join(tmpdir(), 'vigil-metrics-kv-')), 'kv.db'));
  stops.push(() => deno.stop());
  const workerd = await startWorkerd(built.workerd, envVars(testCase.engine, { VIGIL_PARTITIONS: '3' }));
  stops.push(() => workerd.stop());
  const [n, d, w] = await Promise.all([exercise(node.url), exercise(deno.url), exercise(workerd.url)]);
  Object.assign(runs, { node: n, deno: d, workerd: w });
  Object.assign(urls, { node: node.url, deno: deno.url, workerd: workerd.url });
}, 60_000);
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
});

describe('/metrics on Node, Deno and workerd', () => {
  it('has the same keys at every level', () => {
    expect(shape(runs.deno!.metrics)).toEqual(shape(runs.node!.metrics));
    expect(shape(runs.workerd!.metrics)).toEqual(shape(runs.node!.metrics));
    expect(runs.workerd!.metrics.partitions).toBe(3);
    expect(runs.node!.metrics.partitions).toBe(1);
  });

  it('counts the same, and as a recount of the input and of the alerts says', () => {
    const { node, deno, workerd } = runs as Record<string, Run>;
    expect(counts(deno.metrics)).toEqual(counts(node.metrics));
    expect(counts(workerd.metrics)).toEqual(counts(node.metrics));
    for (const run of [node, deno, workerd]) {
      // Every event once, however many partitions and routing classes it reached.
      expect(run.metrics.eventsIn).toBe(input.length);
      expect(run.metrics.alertsOut).toBe(run.alerts.length);
      const byRule: Record<string, number> = {};
      for (const alert of run.alerts) byRule[alert.rule as string] = (byRule[alert.rule as string] ?? 0) + 1;
      expect(Object.fromEntries(Object.entries(run.metrics.rules).map(([name, stats]) => [name, stats.alerts]))).toEqual(byRule);
      // With rules on alerts, every alert raised is offered back to them (src/engine/reentry.ts).
      expect(run.metrics.reentries).toBe(run.alerts.length);
      expect(run.metrics.perPartition.map((p) => p.partition)).toEqual(run.metrics.perPartition.map((_, i) => i));
    }
    expect(workerd.metrics.perPartition.filter((p) => p.eventsIn > 0).length).toBeGreaterThan(1);
  });

  it('reports the rate of accepted events on every runtime', async () => {
    // The rate is the mean over the 4 complete seconds before now (src/engine/rate-meter.ts): once
    // the second of the last POST is complete, and while the first one is within 4 s, it is the
    // events sent / 4. Wall time cannot be driven on workerd: poll until that second is over.
    for (const [runtime, url] of Object.entries(urls)) {
      const deadline = Date.now() + 3000;
      let rate = -1;
      while (rate * 4 !== input.length && Date.now() < deadline) {
        rate = ((await (await fetch(`${url}/metrics`)).json()) as VigilMetrics).eventsPerSecond;
      }
      expect(rate * 4, runtime).toBe(input.length);
    }
  });

  it('gives the same numbers in Prometheus text format', () => {
    for (const [runtime, run] of Object.entries(runs)) {
      const samples = new Map<string, number>();
      for (const line of run.prometheus.trimEnd().split('\n')) {
        if (line.startsWith('#')) {
          expect(line, runtime).toMatch(/^# (HELP|TYPE) vigil_[a-z_]+ /);
          continue;
        }
        const match = /^(vigil_[a-z_]+(?:\{[a-z]+="(?:[^"\\\n]|\\[\\"n])*"\})?) (\S+)$/.exec(line);
        expect(match, `${runtime}: ${line}`).not.toBeNull();
        samples.set(match![1]!, Number(match![2]));
      }
      const m = run.metrics;
      expect(samples.get('vigil_events_in_total')).toBe(m.eventsIn);
      expect(samples.get('vigil_alerts_out_total')).toBe(m.alertsOut);
      expect(samples.get('vigil_reentries_total')).toBe(m.reentries);
      expect(samples.get('vigil_partitions')).toBe(m.partitions);
      m.perPartition.forEach((p) => expect(samples.get(`vigil_partition_events_in_total{partition="${p.partition}"}`)).toBe(p.eventsIn));
      for (const [name, stats] of Object.entries(m.rules)) expect(samples.get(`vigil_rule_alerts_total{rule="${name}"}`)).toBe(stats.alerts);
    }
  });
});

describe('Prometheus text format', () => {
  it('escapes label values and keeps totals and partitions under separate names', () => {
    const metrics = runs.node!.metrics;
    const rule = metrics.rules['brute force']!;
    const text = prometheusText({ ...metrics, rules: { 'a "quoted" \\ name\nnext': rule } });
    expect(text).toContain(`vigil_rule_alerts_total{rule="a \\"quoted\\" \\\\ name\\nnext"} ${rule.alerts}\n`);
    // No metric name is both a total (no labels) and a per-partition series.
    const names = (labelled: boolean) => new Set(text.split('\n').filter((l) => l && !l.startsWith('#') && l.includes('{') === labelled).map((l) => l.split(/[{ ]/)[0]));
    for (const name of names(false)) expect(names(true).has(name), name).toBe(false);
  });
});
