/**
 * The specification's own correlation files (spec/tests/schema/correlation) and its chained
 * example ("Failed Logins Followed by Successful Login"), run in the engine through putRules and
 * compared with the reference evaluator (a chain: the inner correlation's reference firings become
 * the outer one's matches, at the match they fired on).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { groupKeyText } from '../../src/lang/fields.js';
import { CORRELATION_SLIDES } from '../../src/engine/correlation-plan.js';
import { loadSigma, referenceCorrelation, type CorrelationHit, type SigmaCorrelation } from '../../src/sigma/index.js';
import { harness, plain, type Harness } from '../engine/helpers.js';
import { rng, sigmaMaterialDir } from './helpers.js';

const ROOT = sigmaMaterialDir();
const T0 = 1_700_000_000_000;

const open: Harness[] = [];
afterEach(() => open.splice(0).forEach((h) => h.engine.dispose()));

type Event = Record<string, unknown>;

/** First firing per group and slide, as the engine raises them. */
function firstPerSlide(c: SigmaCorrelation, firings: { time: number; group: unknown[]; value: number }[]) {
  const slide = c.timespanMs / CORRELATION_SLIDES;
  const seen = new Set<string>();
  return firings
    .filter((f) => {
      const at = `${groupKeyText(f.group)}|${Math.floor(f.time / slide)}`;
      return !seen.has(at) && seen.add(at);
    })
    .map((f) => ({ time: f.time, group: groupKeyText(f.group), value: f.value }))
    .sort(byTimeAndGroup);
}

function byTimeAndGroup(x: { time: number; group: string }, y: { time: number; group: string }): number {
  return x.time - y.time || (x.group < y.group ? -1 : x.group > y.group ? 1 : 0);
}

function engineFired(c: SigmaCorrelation, alerts: Record<string, unknown>[]) {
  return alerts.filter((a) => a.rule === c.title).map((a) => ({ time: a.time as number, group: groupKeyText(c.groupBy.map((g) => a[g] ?? null)), value: (a.count ?? a.value) as number })).sort(byTimeAndGroup);
}

async function run(text: string, events: Event[], batch: number): Promise<Record<string, unknown>[]> {
  const h = await harness({ outOfOrderMs: 0 });
  open.push(h);
  const result = h.engine.putRules(text, { file: 'spec.yml' });
  expect(result.diagnostics).toEqual([]);
  for (let i = 0; i < events.length; i += batch) h.engine.push(events.slice(i, i + batch));
  h.engine.flush();
  return plain(h.take());
}

describe.skipIf(!ROOT)('the specification’s correlation files', () => {
  const dir = join(ROOT ?? '', 'spec/tests/schema/correlation');
  const files = ROOT ? readdirSync(dir).filter((f) => f.endsWith('.yml')) : [];

  it('are all there (eight files, every type)', () => {
    expect(files.length).toBe(8);
  });

  for (const file of files) {
    it(`${file}: with stand-in rules for its references, fires as the reference says`, async () => {
      const own = readFileSync(join(dir, file), 'utf8');
      const correlation = loadSigma([{ file, text: own }]).correlations; // unresolved: no rules yet
      expect(correlation).toEqual([]);
      // One stand-in rule per reference (by id or by name), matching `kind: <reference>`.
      const refs = (parseYaml(own) as { correlation: { rules: string[] } }).correlation.rules;
      expect(refs.length).toBeGreaterThan(0);
      const stand = refs.map((ref, i) => {
        const id = /^[0-9a-f-]{36}$/.test(ref) ? `id: ${ref}\n` : `id: 10000000-0000-0000-0000-00000000000${i}\nname: ${ref}\n`;
        return `title: Stand-in ${i}\n${id}logsource:\n    product: test\ndetection:\n    s:\n        kind: ${ref}\n    condition: s\n`;
      });
      const text = [own.trimEnd() + '\n', ...stand].join('---\n');
      const c = loadSigma([{ file: 'spec.yml', text }]).correlations[0]!;
      // Events for its group-by and field: few groups, a rare value now and then, enough volume
      // within the timespan to reach thresholds like 100 events or 1,000,000 bytes.
      const random = rng(file.length);
      const n = 1500;
      const events: Event[] = [];
      for (let i = 0; i < n; i++) {
        const e: Event = { timestamp: T0 + Math.floor((i * c.timespanMs) / 1000), kind: refs[Math.floor(random() * refs.length)] };
        for (const g of c.groupBy) e[g] = `${g}-${Math.floor(random() * 2)}`;
        if (c.field) e[c.field] = c.type === 'value_count' ? `user${Math.floor(random() * 400)}` : c.type === 'value_percentile' ? (random() < 0.004 ? 'rare.exe' : 'common.exe') : Math.floor(random() * 20_000);
        events.push(e);
      }
      const hits: CorrelationHit[] = events.map((e) => ({ time: e.timestamp as number, rule: e.kind as string, event: e }));
      const want = firstPerSlide(c, referenceCorrelation(c, hits));
      expect(want.length).toBeGreaterThan(0);
      for (const batch of [1, 600]) expect(engineFired(c, await run(text, events, batch))).toEqual(want);
    });
  }
});

const EXAMPLE = readFileSync(new URL('../fixtures/sigma/spec-chained-failed-logins.yml', import.meta.url), 'utf8');

describe('the specification’s chained example', () => {
  const collection = loadSigma([{ file: 'spec.yml', text: EXAMPLE }]);
  const [outer, inner] = collection.correlations as [SigmaCorrelation, SigmaCorrelation];

  /** The chain by the reference: inner firings (every one) become outer matches at the match they fired on. */
  function chainReference(events: Event[]) {
    const base: CorrelationHit[] = events.flatMap((e) => (e.EventID === 4625 || e.EventID === 529 ? [{ time: e.timestamp as number, rule: 'failed_login', event: e }] : e.EventID === 4624 || e.EventID === 528 ? [{ time: e.timestamp as number, rule: 'successful_login', event: e }] : []));
    const innerFired = new Set(referenceCorrelation(inner, base).map((f) => f.index));
    const combined: CorrelationHit[] = [];
    base.forEach((h, i) => {
      if (h.rule === 'successful_login') combined.push(h);
      if (innerFired.has(i)) combined.push({ ...h, rule: 'multiple_failed_login' });
    });
    return firstPerSlide(outer, referenceCorrelation(outer, combined));
  }

  it('loads as one engine rule; the referenced rules and the inner correlation raise nothing of their own', async () => {
    const h = await harness({ outOfOrderMs: 0 });
    open.push(h);
    const result = h.engine.putRules(EXAMPLE, { file: 'spec.yml' });
    expect(result.diagnostics).toEqual([]);
    expect(h.engine.rules().map((r) => r.name)).toEqual([outer.title]);
  });

  it('ten failed logins then a success within 10 minutes fire; nine, or a success too late, do not', async () => {
    const failed = (t: number, User: string) => ({ timestamp: T0 + t, EventID: 4625, User });
    const ok = (t: number, User: string) => ({ timestamp: T0 + t, EventID: 4624, User });
    const events = [
      ...Array.from({ length: 10 }, (_, i) => failed(i * 1000, 'alice')),
      ok(60_000, 'alice'), // fires
      ...Array.from({ length: 9 }, (_, i) => failed(i * 1000, 'bob')),
      ok(60_000, 'bob'), // nine only
      ...Array.from({ length: 10 }, (_, i) => failed(100_000 + i * 1000, 'carol')),
      ok(100_000 + 9000 + 600_001, 'carol'), // 10 min and 1 ms after the tenth failure
    ].sort((x, y) => (x.timestamp as number) - (y.timestamp as number));
    const alerts = await run(EXAMPLE, events, 7);
    expect(alerts.map((a) => [a.rule, a.User, a.time])).toEqual([[outer.title, 'alice', T0 + 60_000]]);
    expect(engineFired(outer, alerts)).toEqual(chainReference(events));
  });

  it('a checkpoint mid-chain: restored, the same alerts as an uninterrupted run', async () => {
    const random = rng(9);
    const events: Event[] = [];
    let t = T0;
    for (let i = 0; i < 600; i++) {
      t += Math.floor(random() * 20_000);
      events.push({ timestamp: t, EventID: random() < 0.85 ? 4625 : 4624, User: `u${Math.floor(random() * 2)}` });
    }
    const all = await run(EXAMPLE, events, 7);
    expect(all.length).toBeGreaterThan(0);
    const first = await harness({ outOfOrderMs: 0 });
    open.push(first);
    first.engine.putRules(EXAMPLE, { file: 'spec.yml' });
    for (let i = 0; i < 301; i += 7) first.engine.push(events.slice(i, Math.min(i + 7, 301)));
    const bytes = first.engine.checkpoint();
    const second = await harness({ outOfOrderMs: 0 });
    open.push(second);
    second.engine.restore(bytes);
    for (let i = 301; i < events.length; i += 7) second.engine.push(events.slice(i, i + 7));
    second.engine.flush();
    expect([...plain(first.take()), ...plain(second.take())]).toEqual(all);
  });

  it('equals the chained reference over generated streams', async () => {
    for (const seed of [1, 2, 3]) {
      const random = rng(seed);
      const events: Event[] = [];
      let t = T0;
      for (let i = 0; i < 800; i++) {
        t += Math.floor(random() * 20_000);
        events.push({ timestamp: t, EventID: random() < 0.85 ? 4625 : random() < 0.5 ? 4624 : 4688, User: `u${Math.floor(random() * 3)}` });
      }
      const want = chainReference(events);
      expect(want.length).toBeGreaterThan(0);
      for (const batch of [1, 7, 600]) expect(engineFired(outer, await run(EXAMPLE, events, batch))).toEqual(want);
    }
  });
});
