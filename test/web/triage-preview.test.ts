/**
 * Rule preview in the worker (Node engine, fake timer): a draft previewed against pasted events and
 * against the live ring raises exactly the alerts a naive model of the rule gives, reports each
 * event's path, closes windows at the end, leaves the live engine alone; Sigma drafts preview the
 * same way; the ring keeps its bounds; alert ids go on after a reload.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeEngine } from '../../src/runtime/node.js';
import { DEFAULTS } from '../../web/defaults.js';
import { WorkerHost } from '../../web/worker/host.js';
import { MemoryStore } from '../../web/worker/persistence.js';
import { PreviewRing } from '../../web/worker/services/preview-ring.js';
import { parsePasted } from '../../web/worker/services/preview.js';
import { simulatorLib } from '../../web/worker/simulator-lib.js';
import { sysmon } from '../sigma/evtx-cases.js';
import { FakeTimer } from './fake-timer.js';

const T0 = Date.UTC(2026, 0, 1);
const hosts: WorkerHost[] = [];
afterEach(() => hosts.splice(0).forEach((h) => h.dispose()));

async function makeHost(timer: FakeTimer, store = new MemoryStore()) {
  const host = new WorkerHost({
    createEngine: async () => ({ engine: await createNodeEngine({ sigma: { pipeline: 'evtx-json' } }), loadMs: 0 }),
    openStore: async () => store,
    simulator: async () => simulatorLib,
    timer,
  });
  hosts.push(host);
  await host.init({ defaults: { ...DEFAULTS, simulatorRunning: false } });
  return host;
}

const DRAFT = `RULE "root failures"
SOURCES kind = "auth"
FILTER function (event) { return event.outcome == 'failure' && event.user == 'root'; }
SINK function (event) { return { user: event.user, server: event.server }; }

RULE "failures per server"
SOURCES kind = "auth"
FILTER function (event) { return event.outcome == 'failure'; }
USING timestamp
AGGREGATE BY server
WITHIN 1:min, 1:min
HAVING function (events) { return events.length >= 3; }
SINK function (w) { return { server: w.server, failures: w.count }; }
`;

/** Seeded auth events over a few minutes of event time. */
function authEvents(n: number, seed = 3) {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => ({
    kind: rnd() < 0.9 ? 'auth' : 'web',
    user: ['root', 'alice', 'bob'][Math.floor(rnd() * 3)],
    server: ['db1', 'db2'][Math.floor(rnd() * 2)],
    outcome: rnd() < 0.5 ? 'failure' : 'success',
    timestamp: T0 + i * 5000,
  }));
}

/** The naive model of DRAFT: the simple rule per event, the windowed one per (server, minute) closed at the end. */
function expected(events: ReturnType<typeof authEvents>) {
  const simple = events.filter((e) => e.kind === 'auth' && e.outcome === 'failure' && e.user === 'root').map((e) => ({ rule: 'root failures', user: e.user, server: e.server }));
  const windows = new Map<string, number>();
  for (const e of events) {
    if (e.kind !== 'auth' || e.outcome !== 'failure') continue;
    const k = `${e.server}|${Math.floor(e.timestamp / 60_000)}`;
    windows.set(k, (windows.get(k) ?? 0) + 1);
  }
  const agg = [...windows].filter(([, n]) => n >= 3).map(([k, n]) => ({ rule: 'failures per server', server: k.split('|')[0], failures: n }));
  return { simple, agg };
}

function project(alerts: { alert: Record<string, unknown> }[]) {
  return alerts.map(({ alert }) => (alert.rule === 'root failures' ? { rule: alert.rule, user: alert.user, server: alert.server } : { rule: alert.rule, server: alert.server, failures: alert.failures }));
}

const sortKey = (a: object) => JSON.stringify(a);

describe('rule preview', () => {
  it('raises on pasted events exactly what a naive model gives, with each event path, and leaves the live engine alone', async () => {
    const host = await makeHost(new FakeTimer(T0));
    // Three failures at the very end: their window can only close with the flush.
    const events = [...authEvents(117), ...[1, 2, 3].map((k) => ({ kind: 'auth', user: 'alice', server: 'db1', outcome: 'failure', timestamp: T0 + 117 * 5000 + k }))];
    const rulesBefore = host.rules().map((r) => [r.name, r.version]);
    const alertsBefore = host.metrics().engine.alertsOut;
    const result = await host.previewRules(DRAFT, 'editor.vgl', { kind: 'events', text: events.map((e) => JSON.stringify(e)).join('\n') });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.rules).toEqual(['root failures', 'failures per server']);
    expect(result.events).toBe(120);
    const want = expected(events);
    const got = project(result.alerts);
    expect(got.filter((a) => a.rule === 'root failures')).toEqual(want.simple);
    expect(got.filter((a) => a.rule === 'failures per server').map(sortKey).sort()).toEqual(want.agg.map(sortKey).sort());
    expect(result.alertCount).toBe(want.simple.length + want.agg.length);
    // The path: routed only with kind auth (the index may check the FILTER's equalities too);
    // passed = the FILTER; the simple rule's alert on its own event.
    expect(result.path.length).toBe(120);
    result.path.forEach((step, i) => {
      const e = events[i]!;
      const simple = step.rules.find((r) => r.rule === 'root failures')!;
      if (simple.routed) expect(e.kind).toBe('auth');
      if (e.kind !== 'auth') expect(simple.routed).toBe(false);
      const windowed = step.rules.find((r) => r.rule === 'failures per server')!;
      expect(windowed.passed).toBe(e.kind === 'auth' && e.outcome === 'failure');
      // Its window: the key and the minute of its timestamp (a tumbling minute), or none when it did not pass.
      expect(windowed.window).toEqual(windowed.passed ? { key: { server: e.server }, starts: [Math.floor(e.timestamp / 60_000) * 60_000], lengthMs: 60_000, byEventTime: true } : undefined);
      expect(simple.passed).toBe(e.kind === 'auth' && e.outcome === 'failure' && e.user === 'root');
      expect(simple.alerts).toBe(simple.passed ? 1 : 0);
    });
    // Windows still open at the end closed with the flush.
    const lastMinute = Math.floor((T0 + 117 * 5000) / 60_000);
    const closedByFlush = [...new Set(events.filter((e) => e.outcome === 'failure' && e.kind === 'auth' && Math.floor(e.timestamp / 60_000) === lastMinute).map((e) => e.server))].filter(
      (server) => events.filter((e) => e.server === server && e.outcome === 'failure' && e.kind === 'auth' && Math.floor(e.timestamp / 60_000) === lastMinute).length >= 3,
    ).length;
    expect(closedByFlush).toBeGreaterThan(0);
    expect(result.flushAlerts).toBe(closedByFlush);
    expect(result.cost.totalMs).toBeGreaterThan(0);
    expect(host.rules().map((r) => [r.name, r.version])).toEqual(rulesBefore);
    expect(host.metrics().engine.alertsOut).toBe(alertsBefore);
  });

  it('previews the live ring: the events pushed to the live engine in the last minutes', async () => {
    const timer = new FakeTimer(T0);
    const host = await makeHost(timer);
    const old = authEvents(50, 9);
    host.push(old);
    timer.advance(6 * 60_000);
    const recent = authEvents(80, 5);
    host.push(recent.slice(0, 40));
    timer.advance(90_000);
    host.push(recent.slice(40));
    const ring = host.previewRing();
    expect(ring.events).toBe(80);
    const result = await host.previewRules(DRAFT, 'editor.vgl', { kind: 'live', minutes: 5 });
    expect(result.events).toBe(80);
    const want = expected(recent);
    const got = project(result.alerts);
    expect(got.filter((a) => a.rule === 'root failures')).toEqual(want.simple);
    expect(got.filter((a) => a.rule === 'failures per server').map(sortKey).sort()).toEqual(want.agg.map(sortKey).sort());
    // Only the last minute.
    expect((await host.previewRules(DRAFT, 'editor.vgl', { kind: 'live', minutes: 1 })).events).toBe(40);
  });

  it('reports a draft that does not compile, and checks drafts without applying them', async () => {
    const host = await makeHost(new FakeTimer(T0));
    const broken = DRAFT.replace("event.outcome == 'failure' &&", "event.outcome == &&");
    const result = await host.previewRules(broken, 'editor.vgl', { kind: 'events', text: '{"kind":"auth"}' });
    expect(result.ok).toBe(false);
    expect(result.diagnostics.find((d) => d.severity === 'error')!.line).toBe(3);
    const check = await host.checkRules(broken, 'editor.vgl');
    expect(check.find((d) => d.severity === 'error')!.line).toBe(3);
    expect(await host.checkRules(DRAFT, 'editor.vgl')).toEqual([]);
    expect(host.rules().some((r) => r.name === 'root failures')).toBe(false);
  });

  it('previews Sigma YAML the same way', async () => {
    const host = await makeHost(new FakeTimer(T0));
    const sigma = `title: Encoded PowerShell
id: 5b4f0d2c-0000-4000-8000-00000000abcd
status: experimental
level: high
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '\\powershell.exe'
    CommandLine|contains: ' -enc '
  condition: selection
`;
    const hit = sysmon(1, { Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: 'powershell.exe -nop -enc SQBFAFgA' });
    const miss = sysmon(1, { Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd.exe /c -enc x' });
    const result = await host.previewRules(sigma, 'editor.yml', { kind: 'events', text: [hit, miss, hit].map((e) => JSON.stringify(e)).join('\n') });
    expect(result.error).toBeUndefined();
    expect(result.language).toBe('sigma');
    expect(result.alerts.map((a) => a.alert.rule)).toEqual(['Encoded PowerShell', 'Encoded PowerShell']);
    expect(result.path.map((s) => s.rules[0]!.passed)).toEqual([true, false, true]);
    // The compiled plan: routed by the pipeline's Sysmon mapping for process_creation.
    const plan = result.plans[0]!;
    expect(plan).toMatchObject({ rule: 'Encoded PowerShell', language: 'sigma', kind: 'simple' });
    expect(plan.sigma!.routing).toEqual([
      { field: 'Event.System.Channel', values: ['Microsoft-Windows-Sysmon/Operational', 'Security'] },
      { field: 'Event.System.EventID', values: ['1', '4688'] },
    ]);
  });
});

describe('state machines in the path', () => {
  it('reports each event key and transition as a naive model of the machine steps it', async () => {
    const host = await makeHost(new FakeTimer(T0));
    const draft = `RULE "login dance"
SOURCES kind = "step"
USING timestamp
STATE MACHINE BY host ON type
  INITIAL: open -> OPEN;
  OPEN: auth -> AUTHED;
  AUTHED: close -> TERM;
SINK function (alert) { return { host: alert.key.host, state: alert.state, eventType: alert.eventType }; }
`;
    const table: Record<string, Record<string, string>> = { INITIAL: { open: 'OPEN' }, OPEN: { auth: 'AUTHED' }, AUTHED: { close: 'TERM' } };
    const types = ['open', 'auth', 'close', 'auth', 'open', 'open', 'close'];
    const sample = types.flatMap((type, i) => [{ kind: 'step', host: 'h1', type, timestamp: T0 + i * 1000 }, { kind: 'step', host: 'h2', type: types[(i + 3) % types.length]!, timestamp: T0 + i * 1000 + 1 }]);
    // The naive machine: per key, the state; an event with no transition is invalid (an alert) and leaves the state.
    const state = new Map<string, string>();
    const want = sample.map((e) => {
      const from = state.get(e.host) ?? 'INITIAL';
      const to = table[from]?.[e.type];
      if (to) state.set(e.host, to === 'TERM' ? 'INITIAL' : to);
      return { key: { host: e.host }, from, to: to ?? from, valid: !!to };
    });
    const result = await host.previewRules(draft, 'editor.vgl', { kind: 'events', text: sample.map((e) => JSON.stringify(e)).join('\n') });
    expect(result.error).toBeUndefined();
    expect(result.path.map((p) => p.rules[0]!.machine)).toEqual(want);
    expect(result.path.map((p) => p.rules[0]!.alerts)).toEqual(want.map((w) => (w.valid ? 0 : 1)));
    expect(result.alertCount).toBe(want.filter((w) => !w.valid).length);
  });
});

describe('IOC lookups in the path', () => {
  it('names each IOC term hit or miss, and which stage dropped an event', async () => {
    const host = await makeHost(new FakeTimer(T0));
    const bad = DEFAULTS.iocLists.bad_ips![0]!;
    const draft = `RULE "bad ip failures"
SOURCES kind = "auth"
FILTER function (event) { return event.outcome == 'failure'; }
IOC FILTERS in bad_ips(sourceAddress)
SINK function (event) { return { user: event.user, sourceAddress: event.sourceAddress }; }
`;
    const sample = [
      { kind: 'auth', outcome: 'failure', user: 'a', sourceAddress: bad },
      { kind: 'auth', outcome: 'failure', user: 'b', sourceAddress: '10.1.2.3' },
      { kind: 'auth', outcome: 'success', user: 'c', sourceAddress: bad },
      { kind: 'auth', outcome: 'failure', user: 'd' },
    ];
    const result = await host.previewRules(draft, 'editor.vgl', { kind: 'events', text: JSON.stringify(sample) });
    expect(result.alerts.map((a) => a.alert.user)).toEqual(['a']);
    const steps = result.path.map((p) => p.rules[0]!);
    const routed = steps.filter((s) => s.routed);
    // Every routed event's lookup, against the list as the test knows it.
    for (const s of routed) {
      const e = sample[steps.indexOf(s)]!;
      expect(s.iocs).toEqual([{ list: 'bad_ips', field: 'sourceAddress', ...(e.sourceAddress ? { value: e.sourceAddress } : {}), negated: false, inList: e.sourceAddress === bad, holds: e.sourceAddress === bad }]);
      expect(s.passed).toBe(e.outcome === 'failure' && e.sourceAddress === bad);
    }
    expect(steps[0]!.passed).toBe(true);
  });
});

describe('file samples and saved Sigma rules', () => {
  it('previews a JSON-lines file, naming its bad lines', async () => {
    const host = await makeHost(new FakeTimer(T0));
    const events = authEvents(60, 11);
    const text = [JSON.stringify(events[0]), 'not json', ...events.slice(1).map((e) => JSON.stringify(e))].join('\n');
    const result = await host.previewRules(DRAFT, 'editor.vgl', { kind: 'file', file: new Blob([text]), name: 'sample.jsonl' });
    expect(result.sample).toBe('sample.jsonl');
    expect(result.events).toBe(60);
    expect(result.problems).toEqual(['line 2: not JSON']);
    expect(project(result.alerts).filter((a) => a.rule === 'root failures')).toEqual(expected(events).simple);
  });

  it('restores an applied Sigma rule as Sigma after a reload', async () => {
    const store = new MemoryStore();
    const first = await makeHost(new FakeTimer(T0), store);
    const sigma = `title: Whoami run\nid: 9d8c7b6a-0000-4000-8000-000000000001\nstatus: test\nlevel: low\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  selection:\n    Image|endswith: '\\whoami.exe'\n  condition: selection\n`;
    expect((await first.putRules(sigma, { file: 'editor.yml' })).ok).toBe(true);
    first.dispose();
    hosts.splice(hosts.indexOf(first), 1);
    const second = await makeHost(new FakeTimer(T0), store);
    const rule = second.rules().find((r) => r.name === 'Whoami run');
    expect(rule?.language).toBe('sigma');
    expect(rule?.state).toBe('active');
  });
});

describe('pasted samples and the ring', () => {
  it('reads an object over lines, an array, or JSON lines, naming bad lines', () => {
    expect(parsePasted('{\n "a": 1\n}').events).toEqual([{ a: 1 }]);
    expect(parsePasted('[{"a":1}, 2, {"b":2}]')).toMatchObject({ events: [{ a: 1 }, { b: 2 }], rejected: 1, problems: ['item 2: not an object'] });
    expect(parsePasted('{"a":1}\nnope\n\n{"b":2}')).toMatchObject({ events: [{ a: 1 }, { b: 2 }], rejected: 1, problems: ['line 2: not JSON'] });
  });

  it('keeps at most its events, bytes and minutes', () => {
    const timer = new FakeTimer(T0);
    const ring = new PreviewRing(timer.now, 100, 1_000_000, 5);
    ring.add(Array.from({ length: 250 }, (_, i) => ({ i })));
    expect(ring.recent().map((e) => (e as { i: number }).i)).toEqual(Array.from({ length: 100 }, (_, i) => 150 + i));
    const small = new PreviewRing(timer.now, 1000, 20_000, 5);
    small.add(Array.from({ length: 1000 }, (_, i) => ({ i, pad: 'x'.repeat(180) })));
    expect(small.info().bytes).toBeLessThanOrEqual(20_000);
    expect(small.info().events).toBeLessThan(1000);
    timer.advance(5 * 60_000 + 1);
    expect(ring.recent()).toEqual([]);
  });
});
