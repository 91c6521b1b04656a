/**
 * Sigma correlation rules running in the engine, against the reference evaluator
 * (src/sigma/correlation-reference.ts: naive, quadratic, over the finished list of matches).
 *
 * The engine raises at most one alert per group and slide (a tenth of the timespan): the first
 * match of the slide, in time then arrival order, at which the condition holds. So the expected
 * alerts are the reference's firings, kept first per (group, slide). Streams are generated with a
 * known out-of-order bound (an event arrives at most `bound` ms after a later-timed one), pushed in
 * batches of 1, 7 and 600.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { groupKeyText } from '../../src/lang/fields.js';
import { CORRELATION_SLIDES, defaultTimeField } from '../../src/engine/correlation-plan.js';
import { loadSigma, referenceCorrelation, type CorrelationHit, type SigmaCorrelation } from '../../src/sigma/index.js';
import { harness, plain, type Harness } from '../engine/helpers.js';
import { rng } from './helpers.js';

const T0 = 1_700_000_000_000;
const RULES = ['a', 'b', 'c'];

/** Three base rules (named a, b, c; each matches `kind: <its name>`) and a correlation over some of them. */
function fileText(correlation: string, extra = ''): string {
  const base = RULES.map((n) => `title: Rule ${n}\nid: 00000000-0000-0000-0000-00000000000${RULES.indexOf(n)}\nname: ${n}\nlogsource:\n    product: test\ndetection:\n    s:\n        kind: ${n}\n    condition: s\n`);
  return [`title: Corr\nid: corr-1\nlevel: high\nstatus: test\ntags: [attack.t1110]\nreferences: ['https://example.org']\n${extra}correlation:\n${correlation}`, ...base].join('---\n');
}

function parsed(text: string): SigmaCorrelation {
  const c = loadSigma([{ file: 'x.yml', text }]);
  expect(c.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return c.correlations[0]!;
}

type Event = Record<string, unknown>;

/** Hits for the reference: one per event and base rule it matches (here: its `kind`). */
function hitsOf(events: readonly Event[]): CorrelationHit[] {
  return events.filter((e) => RULES.includes(e.kind as string)).map((e) => ({ time: e.timestamp as number, rule: e.kind as string, event: e }));
}

interface Fired {
  time: number;
  group: string;
  value: number;
}

/** The reference's firings, first per group and slide. */
function expected(c: SigmaCorrelation, events: readonly Event[]): Fired[] {
  const slide = c.timespanMs / CORRELATION_SLIDES;
  const seen = new Set<string>();
  const out: Fired[] = [];
  for (const f of referenceCorrelation(c, hitsOf(events))) {
    const group = groupKeyText(f.group);
    const at = `${group}|${Math.floor(f.time / slide)}`;
    if (seen.has(at)) continue;
    seen.add(at);
    out.push({ time: f.time, group, value: f.value });
  }
  return sortFired(out);
}

function sortFired(xs: Fired[]): Fired[] {
  return xs.sort((x, y) => x.time - y.time || (x.group < y.group ? -1 : x.group > y.group ? 1 : 0));
}

function firedOf(c: SigmaCorrelation, alerts: readonly Record<string, unknown>[]): Fired[] {
  return sortFired(
    alerts
      .filter((a) => a.rule === c.title)
      .map((a) => ({ time: a.time as number, group: groupKeyText(c.groupBy.map((g) => a[g] ?? null)), value: (a.count ?? a.value) as number })),
  );
}

/**
 * A stream: times rising by about `step` ms (some equal, to test arrival order among ties), then
 * shuffled so no event arrives more than `bound` ms after one with a later time.
 */
function stream(seed: number, n: number, options: { step?: number; bound?: number; users?: number } = {}): Event[] {
  const random = rng(seed);
  const { step = 400, bound = 0, users = 3 } = options;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const events: { e: Event; arrive: number }[] = [];
  let t = T0;
  for (let i = 0; i < n; i++) {
    t += Math.round((random() * 2 * step) / 100) * 100;
    const e: Event = { timestamp: t, kind: pick(['a', 'a', 'b', 'c', 'noise']), User: `u${Math.floor(random() * users)}`, Host: pick(['h1', 'h2']) };
    if (random() < 0.9) e.bytes = random() < 0.2 ? String(Math.floor(random() * 100)) : Math.floor(random() * 100);
    if (random() < 0.9) e.Image = random() < 0.15 ? `rare${Math.floor(random() * 4)}.exe` : pick(['cmd.exe', 'svchost.exe']);
    if (random() < 0.9) e.Target = `t${Math.floor(random() * 6)}`;
    events.push({ e, arrive: t + random() * bound });
  }
  return events.sort((x, y) => x.arrive - y.arrive).map((x) => x.e);
}

const open: Harness[] = [];
afterEach(() => open.splice(0).forEach((h) => h.engine.dispose()));
async function engineWith(text: string, options: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  const h = await harness({ outOfOrderMs: 0, ...options });
  open.push(h);
  const result = h.engine.putRules(text, { file: 'x.yml' });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(result.ok).toBe(true);
  return h;
}

function pushAll(h: Harness, events: readonly Event[], batch: number): void {
  for (let i = 0; i < events.length; i += batch) h.engine.push(events.slice(i, i + batch));
  h.engine.flush();
}

const CORRELATIONS: [string, string][] = [
  ['event_count gte', '    type: event_count\n    rules: [a, b]\n    group-by: [User]\n    timespan: 10s\n    condition:\n        gte: 7\n'],
  ['event_count range', '    type: event_count\n    rules: [a]\n    group-by: [User, Host]\n    timespan: 5s\n    condition:\n        gt: 2\n        lte: 4\n'],
  ['event_count lt (no group)', '    type: event_count\n    rules: [c]\n    group-by: []\n    timespan: 3s\n    condition:\n        lt: 2\n'],
  ['value_count', '    type: value_count\n    rules: [a, b, c]\n    group-by: [Host]\n    timespan: 10s\n    condition:\n        field: Target\n        gte: 5\n'],
  ['value_count neq', '    type: value_count\n    rules: [b]\n    group-by: [User]\n    timespan: 10s\n    condition:\n        field: Target\n        neq: 1\n'],
  ['value_sum', '    type: value_sum\n    rules: [a]\n    group-by: [User]\n    timespan: 10s\n    condition:\n        field: bytes\n        gt: 250\n'],
  ['value_avg', '    type: value_avg\n    rules: [a, c]\n    group-by: [Host]\n    timespan: 8s\n    condition:\n        field: bytes\n        gte: 60\n'],
  ['value_percentile', '    type: value_percentile\n    rules: [a, b, c]\n    group-by: [Host]\n    timespan: 20s\n    condition:\n        field: Image\n        lte: 5\n'],
  ['temporal', '    type: temporal\n    rules: [a, b, c]\n    group-by: [User]\n    timespan: 4s\n'],
  ['temporal_ordered', '    type: temporal_ordered\n    rules: [a, b, c]\n    group-by: [User]\n    timespan: 4s\n'],
  ['temporal_ordered eq 2', '    type: temporal_ordered\n    rules: [c, b, a]\n    group-by: [Host]\n    timespan: 3s\n    condition:\n        eq: 2\n'],
];

describe('correlations in the engine equal the reference (first firing per group and slide)', () => {
  for (const [label, body] of CORRELATIONS) {
    for (const batch of [1, 7, 600]) {
      it(`${label}, batches of ${batch}`, async () => {
        const text = fileText(body);
        const c = parsed(text);
        const events = stream(label.length * 31 + batch, 600, { bound: 1500 });
        const h = await engineWith(text, { outOfOrderMs: 1500 });
        pushAll(h, events, batch);
        const want = expected(c, events);
        expect(want.length).toBeGreaterThan(0);
        expect(firedOf(c, plain(h.take()))).toEqual(want);
        expect(h.diagnostics.filter((d) => d.code === 'vigil.late')).toEqual([]);
      });
    }
  }
});

describe('temporal_ordered is exact on every order', () => {
  const ordered = fileText('    type: temporal_ordered\n    rules: [a, b, c]\n    group-by: [User]\n    timespan: 10s\n');
  const unordered = fileText('    type: temporal\n    rules: [a, b, c]\n    group-by: [User]\n    timespan: 10s\n');
  const permutations = <T>(xs: T[]): T[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));

  it('every assignment of times to the three rules, every arrival order within the out-of-order bound', async () => {
    let fired = 0;
    for (const timeOrder of permutations(RULES)) {
      const events = timeOrder.map((kind, i) => ({ timestamp: T0 + 1000 * (i + 1), kind, User: 'u' }));
      for (const arrival of permutations([0, 1, 2])) {
        for (const text of [ordered, unordered]) {
          const c = parsed(text);
          const stream = arrival.map((i) => events[i]!);
          const h = await engineWith(text, { outOfOrderMs: 3000 });
          pushAll(h, stream, 1);
          const got = firedOf(c, plain(h.take()));
          expect(got).toEqual(expected(c, stream));
          // Independently of the reference: ordered fires exactly when times follow a, b, c.
          const inOrder = timeOrder.join() === 'a,b,c';
          expect(got.length).toBe(c.type === 'temporal' || inOrder ? 1 : 0);
          if (c.type === 'temporal_ordered' && inOrder) fired++;
          h.engine.dispose();
          open.pop();
        }
      }
    }
    expect(fired).toBe(6);
  });

  it('the whole sequence must fit in the timespan; an event of another group does not help', async () => {
    const c = parsed(ordered);
    const events = [
      { timestamp: T0, kind: 'a', User: 'u' },
      { timestamp: T0 + 5000, kind: 'b', User: 'u' },
      { timestamp: T0 + 10_001, kind: 'c', User: 'u' }, // 10,001 ms after a: a is out
      { timestamp: T0 + 11_000, kind: 'a', User: 'v' },
      { timestamp: T0 + 12_000, kind: 'b', User: 'v' },
      { timestamp: T0 + 13_000, kind: 'c', User: 'w' },
      { timestamp: T0 + 20_000, kind: 'a', User: 'u' },
      { timestamp: T0 + 25_000, kind: 'b', User: 'u' },
      { timestamp: T0 + 30_000, kind: 'c', User: 'u' }, // exactly 10 s: in
    ];
    const h = await engineWith(ordered);
    pushAll(h, events, 1);
    const got = firedOf(c, plain(h.take()));
    expect(got).toEqual([{ time: T0 + 30_000, group: groupKeyText(['u']), value: 3 }]);
    expect(got).toEqual(expected(c, events));
  });
});

describe('late events', () => {
  let updates = 0;
  const monotone = CORRELATIONS.filter(([label]) => ['event_count gte', 'value_count', 'temporal', 'temporal_ordered'].includes(label));

  for (const [label, body] of monotone) {
    it(`${label}: out of order within the allowed lateness, the same (group, slide) pairs fire as in the reference`, async () => {
      const text = fileText(body);
      const c = parsed(text);
      const events = stream(label.length * 7, 600, { bound: 2500 });
      // No out-of-order bound: every event behind the newest is late, and the lateness takes it.
      const h = await engineWith(text, { outOfOrderMs: 0, allowedLatenessMs: 2500 });
      pushAll(h, events, 7);
      const alerts = plain(h.take());
      const pairs = (xs: Fired[]) => [...new Set(xs.map((f) => `${f.group}|${Math.floor(f.time / (c.timespanMs / CORRELATION_SLIDES))}`))].sort();
      expect(h.diagnostics.filter((d) => d.code === 'vigil.late')).toEqual([]);
      updates += alerts.filter((a) => a.update === true).length;
      expect(pairs(firedOf(c, alerts))).toEqual(pairs(expected(c, events)));
    });
  }

  it('late events within the lateness did raise updates above', () => {
    expect(updates).toBeGreaterThan(0);
  });

  it('a late event that completes a window re-fires it: the alert is marked update', async () => {
    const h = await engineWith(fileText('    type: event_count\n    rules: [a]\n    group-by: [User]\n    timespan: 10s\n    condition:\n        gte: 2\n'), { outOfOrderMs: 0, allowedLatenessMs: 5000 });
    // Two events first: a clock starts once three agree on the time (watermark.ts), then the test's own.
    h.engine.push([{ timestamp: T0, kind: 'noise' }, { timestamp: T0, kind: 'noise' }]);
    h.engine.push([{ timestamp: T0 + 1000, kind: 'a', User: 'u' }]);
    h.engine.push([{ timestamp: T0 + 5000, kind: 'noise' }]);
    expect(h.take()).toEqual([]);
    h.engine.push([{ timestamp: T0 + 1500, kind: 'a', User: 'u' }]);
    expect(plain(h.take()).map((a) => [a.time, a.count, a.update])).toEqual([[T0 + 1500, 2, true]]);
    h.engine.push([{ timestamp: T0 + 1200, kind: 'a', User: 'v' }]);
    h.engine.flush();
    expect(h.take()).toEqual([]);
  });

  it('beyond the allowed lateness an event is dropped and reported (vigil.late), as VGL windows do; the rest equals the reference without it', async () => {
    const text = fileText(CORRELATIONS[0]![1]);
    const c = parsed(text);
    const slide = c.timespanMs / CORRELATION_SLIDES;
    // In order but for a jitter within the lateness, and one event in 20 held back 15 to 30 s.
    const random = rng(5);
    const events = stream(99, 400, { bound: 1000 })
      .map((e, i) => ({ e, at: i + (random() < 0.05 ? 40 + random() * 40 : 0) }))
      .sort((x, y) => x.at - y.at)
      .map((x) => x.e);
    const h = await engineWith(text, { outOfOrderMs: 0, allowedLatenessMs: 1000 });
    let newest = -Infinity;
    const late = new Set<Event>();
    for (const e of events) {
      const t = e.timestamp as number;
      const before = h.diagnostics.length;
      h.engine.push([e]);
      const reported = h.diagnostics.slice(before).filter((d) => d.code === 'vigil.late');
      if (reported.length) late.add(e);
      if (RULES.slice(0, 2).includes(e.kind as string)) {
        // Bounds that do not depend on the window arithmetic: an event within the timespan
        // (and the lateness) of the newest is never late; one older than timespan + slide +
        // lateness always is.
        if (t >= newest - c.timespanMs - 1000) expect(reported).toEqual([]);
        if (t < newest - c.timespanMs - slide - 1000) expect(reported.length).toBe(1);
      } else expect(reported).toEqual([]);
      newest = Math.max(newest, t);
    }
    h.engine.flush();
    expect(late.size).toBeGreaterThan(5);
    expect(h.engine.rule('Corr')!.stats.late).toBe(late.size);
    const kept = events.filter((e) => !late.has(e));
    const pairs = (xs: Fired[]) => [...new Set(xs.map((f) => `${f.group}|${Math.floor(f.time / slide)}`))].sort();
    // Every accepted event came within the lateness: the reference over them is exact.
    expect(pairs(firedOf(c, plain(h.take())))).toEqual(pairs(expected(c, kept)));
  });
});

describe('through putRules', () => {
  it('referenced rules raise nothing of their own unless generate: true', async () => {
    const body = '    type: event_count\n    rules: [a]\n    group-by: [User]\n    timespan: 10s\n    condition:\n        gte: 2\n';
    const events = [
      { timestamp: T0, kind: 'a', User: 'u' },
      { timestamp: T0 + 1000, kind: 'a', User: 'u' },
      { timestamp: T0 + 2000, kind: 'b', User: 'u' },
    ];
    const quiet = await engineWith(fileText(body));
    expect(quiet.engine.rules().map((r) => r.name)).toEqual(['Rule b', 'Rule c', 'Corr']);
    pushAll(quiet, events, 1);
    expect(plain(quiet.take()).map((a) => a.rule)).toEqual(['Rule b', 'Corr']);
    const loud = await engineWith(fileText(`${body}    generate: true\n`));
    expect(loud.engine.rules().map((r) => r.name)).toEqual(['Rule a', 'Rule b', 'Rule c', 'Corr']);
    pushAll(loud, events, 1);
    expect(plain(loud.take()).map((a) => a.rule)).toEqual(['Rule a', 'Rule a', 'Rule b', 'Corr']);
  });

  it('the alert: title, sigma with the correlation type, group-by fields, count, the lookback', async () => {
    const h = await engineWith(fileText('    type: value_count\n    rules: [a, b]\n    group-by: [User, Host]\n    timespan: 1m\n    condition:\n        field: Target\n        gte: 2\n'));
    const events = [
      { timestamp: T0, kind: 'a', User: 'u', Host: 'h', Target: 'x' },
      { timestamp: T0 + 1000, kind: 'c', User: 'u', Host: 'h', Target: 'y' },
      { timestamp: T0 + 2000, kind: 'b', User: 'u', Host: 'h', Target: 'y' },
    ];
    pushAll(h, events, 3);
    expect(plain(h.take()).filter((a) => a.rule === 'Corr')).toEqual([
      {
        rule: 'Corr',
        key: { User: 'u', Host: 'h' },
        windowStart: T0 + 2000 - 60_000,
        windowEnd: T0 + 2000,
        User: 'u',
        Host: 'h',
        sigma: { id: 'corr-1', level: 'high', status: 'test', tags: ['attack.t1110'], references: ['https://example.org'], correlation: 'value_count' },
        count: 2,
        field: 'Target',
        time: T0 + 2000,
        rules: ['a', 'b'],
        matched: 2,
        events: [events[0], events[2]],
      },
    ]);
    expect(h.engine.rule('Corr')).toMatchObject({ language: 'sigma', kind: 'aggregation', sigma: { id: 'corr-1', level: 'high' } });
  });

  it('aliases: group-by names a different field per rule', async () => {
    const body = '    type: temporal\n    rules: [a, b]\n    group-by: [ip]\n    timespan: 10s\n    aliases:\n        ip:\n            a: source\n            b: destination\n';
    const c = parsed(fileText(body));
    const events = [
      { timestamp: T0, kind: 'a', source: '10.0.0.1', destination: '10.0.0.9' },
      { timestamp: T0 + 1000, kind: 'b', source: '10.0.0.9', destination: '10.0.0.2' },
      { timestamp: T0 + 2000, kind: 'b', source: '10.0.0.2', destination: '10.0.0.1' },
    ];
    const h = await engineWith(fileText(body));
    pushAll(h, events, 1);
    const alerts = plain(h.take());
    expect(alerts.map((a) => [a.time, a.ip])).toEqual([[T0 + 2000, '10.0.0.1']]);
    expect(firedOf(c, alerts)).toEqual(expected(c, events));
  });

  it('events without the time field are reported (vigil.time) and skipped; the others still correlate', async () => {
    const h = await engineWith(fileText('    type: event_count\n    rules: [a]\n    group-by: [User]\n    timespan: 10s\n    condition:\n        gte: 2\n'));
    pushAll(h, [{ kind: 'a', User: 'u' }, { timestamp: T0, kind: 'a', User: 'u' }, { timestamp: 'yesterday', kind: 'a', User: 'u' }, { timestamp: T0 + 1, kind: 'a', User: 'u' }], 4);
    expect(plain(h.take()).map((a) => a.time)).toEqual([T0 + 1]);
    expect(h.diagnostics.filter((d) => d.code === 'vigil.time').length).toBe(2);
  });

  it('the time field: SigmaOptions.timeField, else by pipeline', async () => {
    expect([defaultTimeField('evtx-json'), defaultTimeField('ecs'), defaultTimeField('flat'), defaultTimeField(undefined)]).toEqual(['Event.System.TimeCreated.#attributes.SystemTime', '@timestamp', 'timestamp', 'timestamp']);
    const body = '    type: event_count\n    rules: [a]\n    group-by: [User]\n    timespan: 10s\n    condition:\n        gte: 2\n';
    const events = [
      { timestamp: T0, when: '2026-01-01T00:00:00Z', kind: 'a', User: 'u' },
      { timestamp: T0 + 60_000, when: '2026-01-01T00:00:01Z', kind: 'a', User: 'u' },
    ];
    const byDefault = await engineWith(fileText(body));
    pushAll(byDefault, events, 2);
    expect(plain(byDefault.take())).toEqual([]);
    const own = await engineWith(fileText(body), { sigma: { timeField: 'when' } });
    pushAll(own, events, 2);
    expect(plain(own.take()).map((a) => a.time)).toEqual([Date.parse('2026-01-01T00:00:01Z')]);
  });
});

describe('checkpoints', () => {
  for (const [label, body] of [CORRELATIONS[0]!, CORRELATIONS[4]!, CORRELATIONS[9]!]) {
    it(`${label}: restored mid-window, the same alerts as an uninterrupted run`, async () => {
      const text = fileText(body);
      const events = stream(label.length, 600, { bound: 1000 });
      const whole = await engineWith(text, { outOfOrderMs: 1000 });
      pushAll(whole, events, 7);
      const all = plain(whole.take());
      expect(all.length).toBeGreaterThan(0);
      for (const cut of [203, 350]) {
        const first = await engineWith(text, { outOfOrderMs: 1000 });
        for (let i = 0; i < cut; i += 7) first.engine.push(events.slice(i, Math.min(i + 7, cut)));
        const bytes = first.engine.checkpoint();
        const before = plain(first.take());
        const second = await harness({ outOfOrderMs: 1000 });
        open.push(second);
        second.engine.restore(bytes);
        expect(second.engine.rules().map((r) => r.name)).toEqual(first.engine.rules().map((r) => r.name));
        for (let i = cut; i < events.length; i += 7) second.engine.push(events.slice(i, Math.min(i + 7, events.length)));
        second.engine.flush();
        expect([...before, ...plain(second.take())]).toEqual(all);
      }
    });
  }
});
