import { afterEach, describe, expect, it } from 'vitest';
import { createNodeEngine } from '../../src/runtime/node.js';
import { WorkerHost } from '../../web/worker/host.js';
import { MemoryStore } from '../../web/worker/persistence.js';
import type { UpdateBatch } from '../../src/runtime/worker/protocol.js';
import { simulatorLib } from '../../web/worker/simulator-lib.js';
import { DEFAULTS } from '../../web/defaults.js';
import { FakeTimer } from './fake-timer.js';

function makeHost(timer: FakeTimer, store = new MemoryStore()) {
  return new WorkerHost({
    createEngine: async () => ({ engine: await createNodeEngine(), loadMs: 0 }),
    openStore: async () => store,
    simulator: async () => simulatorLib,
    timer,
  });
}

const hosts: WorkerHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.dispose();
});

describe('worker host', () => {
  it('starts from the defaults with the simulator running, and the default rules raise alerts', async () => {
    const timer = new FakeTimer();
    const host = makeHost(timer);
    hosts.push(host);
    const ready = await host.init({ defaults: DEFAULTS });
    expect(ready.restoredFrom).toBe('defaults');
    expect(ready.restoreProblems).toEqual([]);
    expect(host.rules().map((r) => r.name)).toEqual([
      'login from bad ip',
      'brute force',
      'brute force then success',
      'privileged account attacked',
      'protocol violation',
      'violations per network',
      'tcp horizontal port scan',
      'tcp vertical port scan',
      'ssh brute force',
    ]);
    expect(host.rules().every((r) => r.state === 'active')).toBe(true);
    const batches: UpdateBatch[] = [];
    host.subscribe((b) => void batches.push(b));
    host.injectAnomaly(3);
    timer.advance(150_000);
    const alerts = batches.flatMap((b) => b.alerts.map((a) => a.alert));
    const byRule = new Map<string, number>();
    for (const a of alerts) byRule.set(a.rule, (byRule.get(a.rule) ?? 0) + 1);
    expect(byRule.get('brute force')).toBeGreaterThan(0);
    const brute = alerts.find((a) => a.rule === 'brute force')!;
    expect(Array.isArray(brute.events)).toBe(true);
    expect(brute.failures).toBeGreaterThanOrEqual(10);
    // Batches are coalesced: at most one per 250 ms of virtual time.
    expect(batches.length).toBeLessThanOrEqual(150_000 / 250 + 2);
    const last = batches[batches.length - 1]!.metrics;
    expect(last.engine.eventsIn).toBeGreaterThan(20_000);
    expect(last.simulator.running).toBe(true);
    expect(last.simulator.score!.recall).toBeGreaterThan(0);
    expect(last.topSources.length).toBeGreaterThan(0);
    expect(last.topDestinations.length).toBeGreaterThan(0);
    expect(last.topUrls.length).toBeGreaterThan(0);
    const ids = batches.flatMap((b) => b.alerts.map((a) => a.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1));
  });

  it('keeps rules, history, lists and settings across a restart', async () => {
    const store = new MemoryStore();
    const timer = new FakeTimer();
    const first = makeHost(timer, store);
    hosts.push(first);
    await first.init({ defaults: { ...DEFAULTS, simulatorRunning: false } });
    const edited = `RULE "brute force"\nSOURCES kind = "auth"\nFILTER function (e) { return e.outcome == 'failure'; }\nUSING timestamp\nAGGREGATE BY user\nWITHIN 1:min, 1:min\nHAVING function (events) { return events.length >= 20; }\nSINK function (w) { return { user: w.user }; }`;
    const result = await first.putRules(edited, { author: 'ann' });
    expect(result.ok).toBe(true);
    await first.setRuleEnabled('login from bad ip', false, 'ann');
    await first.setIocList('bad_ips', ['203.0.113.3', '10.0.0.1']);
    await first.removeRule('privileged account attacked', 'bob');
    first.dispose();

    const second = makeHost(new FakeTimer(), store);
    hosts.push(second);
    const ready = await second.init({ defaults: DEFAULTS });
    expect(ready.restoredFrom).toBe('storage');
    const rules = second.rules();
    expect(rules.map((r) => r.name)).toEqual([
      'login from bad ip',
      'brute force',
      'brute force then success',
      'protocol violation',
      'violations per network',
      'tcp horizontal port scan',
      'tcp vertical port scan',
      'ssh brute force',
    ]);
    expect(rules[0]!.state).toBe('disabled');
    expect(rules[1]!.text).toBe(edited);
    const history = second.history('brute force');
    expect(history.map((h) => [h.version, h.action, h.author])).toEqual([
      [1, 'create', 'vigil'],
      [2, 'replace', 'ann'],
    ]);
    expect(second.removedRules()).toEqual(['privileged account attacked']);
    expect(second.iocEntries('bad_ips').sort()).toEqual(['10.0.0.1', '203.0.113.3']);
    expect(second.simulator().running).toBe(false);

    const reverted = await second.revertRule('brute force', 1, 'carol');
    expect(reverted.ok).toBe(true);
    expect(second.history('brute force').at(-1)).toMatchObject({ version: 3, action: 'revert', from: 1, author: 'carol' });
  });

  it('reports rule errors without applying anything', async () => {
    const host = makeHost(new FakeTimer());
    hosts.push(host);
    await host.init({ defaults: { ...DEFAULTS, simulatorRunning: false } });
    const result = await host.putRules('RULE "x"\nSOURCES kind = "auth"\nSINK function (e) { return e; ');
    expect(result.ok).toBe(false);
    expect(result.diagnostics.length).toBeGreaterThan(0);
    expect(host.rules()).toHaveLength(9);
  });

  it('follows the state machine of the network rule as the engine stepped it, with invalid steps in the trails of alerted keys', async () => {
    const timer = new FakeTimer();
    const host = makeHost(timer);
    hosts.push(host);
    await host.init({ defaults: DEFAULTS, simulatorWarmupMs: 60_000 });
    host.injectAnomaly(5);
    timer.advance(30_000);
    expect(host.machineRules()).toEqual(['protocol violation']);
    const snap = host.machineSnapshot('protocol violation');
    expect(snap.steps).toBeGreaterThan(1000);
    // Each followed key's last step left it in the state the engine holds for it now.
    for (const key of snap.recentKeys) {
      const { steps, state } = host.machineTrail('protocol violation', key);
      const last = steps.at(-1)!;
      const after = last.to === 'TERM' ? 'INITIAL' : (last.to ?? (snap.definition.resetOnAlert ? 'INITIAL' : last.from));
      expect(state, key).toBe(after);
    }
    expect(snap.liveKeys).toBeGreaterThan(0);
    expect(snap.edges.reduce((n, e) => n + e.count, 0) + snap.invalidSteps).toBe(snap.steps);
    expect(snap.alertedKeys.length).toBeGreaterThan(0);
    const trail = host.machineTrail('protocol violation', snap.alertedKeys[0]!);
    expect(trail.steps.some((st) => !st.valid)).toBe(true);
    // Pause and step: one event of the followed key at a time.
    const key = snap.recentKeys.find((k) => host.machineTrail('protocol violation', k).state !== 'INITIAL') ?? snap.recentKeys[0]!;
    const stepped = await host.stepMachine('protocol violation', { key });
    expect(host.simulator().running).toBe(false);
    if (stepped.step) expect(stepped.key).toBe(key);
  });

  it('restores open windows and state machines from the engine checkpoint after a restart', async () => {
    const store = new MemoryStore();
    const timer = new FakeTimer();
    const first = makeHost(timer, store);
    hosts.push(first);
    await first.init({ defaults: DEFAULTS, simulatorWarmupMs: 60_000 });
    timer.advance(20_000);
    await first.stopSimulator();
    const saved = await first.checkpointNow();
    expect(saved!.bytes).toBeGreaterThan(0);
    const before = first.machineSnapshot('protocol violation');
    first.dispose();

    const second = makeHost(new FakeTimer(timer.now()), store);
    hosts.push(second);
    const ready = await second.init({ defaults: DEFAULTS });
    expect(ready.checkpoint).toMatchObject({ restored: true });
    const after = second.machineSnapshot('protocol violation');
    expect(after.liveKeys).toBe(before.liveKeys);
    expect(after.states).toEqual(before.states);
    expect(second.metrics().engine.eventsIn).toBe(first.metrics().engine.eventsIn);
    expect(second.history('brute force').length).toBe(1);

    // A rule changed after the checkpoint: the checkpoint no longer matches and is skipped.
    await second.putRules('RULE "extra"\nSOURCES kind = "auth"\nSINK function (e) { return e; }', { author: 'ann' });
    second.dispose();
    const third = makeHost(new FakeTimer(timer.now()), store);
    hosts.push(third);
    const ready3 = await third.init({ defaults: DEFAULTS });
    expect(ready3.checkpoint).toMatchObject({ restored: false, reason: 'rules or lists changed after it was taken' });
    expect(third.rules().map((r) => r.name)).toContain('extra');
  });

  it('replays a file in a fresh engine, leaving the live one untouched', async () => {
    const host = makeHost(new FakeTimer());
    hosts.push(host);
    await host.init({ defaults: { ...DEFAULTS, simulatorRunning: false } });
    const t0 = Date.UTC(2026, 0, 1);
    const lines = [];
    for (let i = 0; i < 12; i++) lines.push(JSON.stringify({ kind: 'auth', outcome: 'failure', user: 'root', server: 's1', sourceAddress: '192.0.2.1', timestamp: t0 + i * 1000 }));
    lines.push('not json');
    const progress: number[] = [];
    const result = await host.replay(new Blob([lines.join('\n')]), 'x.jsonl', (p) => void progress.push(p.bytesRead));
    expect(result.error).toBeUndefined();
    expect(result.done).toBe(true);
    expect(result.events).toBe(12);
    expect(result.badLines).toBe(1);
    expect(result.byRule).toEqual({ 'brute force': 1, 'privileged account attacked': 1 });
    expect(result.alerts).toBe(2);
    expect(result.envelopes.map((e) => e.alert.rule)).toEqual(['brute force', 'privileged account attacked']);
    expect(progress.at(-1)).toBe(result.totalBytes);
    expect(host.metrics().engine.eventsIn).toBe(0);
  });
});
