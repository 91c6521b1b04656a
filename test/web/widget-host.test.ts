/**
 * The widget's host served through comlink over a MessageChannel and reached with the library's
 * client, as the widget's element reaches it (web/widget/channel.ts): the worker protocol's
 * `WidgetWorkerApi`. The engine is the Node one; the source is an EventSource URL, which Node
 * lacks, so the host reports the source's error and events come through `push`. The oracle for the
 * alerts is a count of the pushed events the rule's filter selects, done here.
 */
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeEngine } from '../../src/runtime/node.js';
import { engineClient, type EngineClient } from '../../src/runtime/worker/client.js';
import type { UpdateBatch, WidgetWorkerApi } from '../../src/runtime/worker/protocol.js';
import { WidgetHost } from '../../web/widget/host.js';

const RULES = `
RULE "root failure"
SOURCES kind = "auth"
FILTER function (e) { return e.user == 'root' && e.outcome == 'failure'; }
SINK function (e) { return { user: e.user, src: e.src, severity: 'high' }; }

RULE "thrower"
SOURCES kind = "boom"
FILTER function (e) { return e.x.y.z; }
SINK function (e) { return e; }
`;

const open: { client: EngineClient<WidgetWorkerApi>; host: WidgetHost }[] = [];
afterEach(() => open.splice(0).forEach(({ client }) => client.terminate()));

function connect() {
  const host = new WidgetHost(async () => ({ engine: await createNodeEngine(), loadMs: 0 }));
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(host, port1);
  const remote = Comlink.wrap<WidgetWorkerApi>(port2);
  const client = engineClient<WidgetWorkerApi>(remote, {
    proxy: Comlink.proxy,
    release: () => {
      remote[Comlink.releaseProxy]();
      host.stop();
      port1.close();
      port2.close();
    },
  });
  open.push({ client, host });
  return client;
}

/** Resolves with the first batch that satisfies `done`. */
function batchWhere(client: EngineClient<WidgetWorkerApi>, done: (b: UpdateBatch) => boolean): Promise<UpdateBatch[]> {
  const seen: UpdateBatch[] = [];
  return new Promise((resolve) => {
    void client.subscribe((batch) => {
      seen.push(batch);
      if (done(batch)) resolve(seen);
    });
  });
}

describe('widget host through comlink', () => {
  it('starts, takes events, and sends update batches with alerts, rule counts and the source state', async () => {
    const client = connect();
    const started = await client.api.start({ rules: RULES, rulesFile: 'inline.vgl', source: 'http://127.0.0.1:9/events' });
    expect(started).toEqual({ status: 'ready', loadMs: 0, rules: ['root failure', 'thrower'] });

    const events = Array.from({ length: 40 }, (_, i) => ({
      kind: i % 5 === 4 ? 'boom' : 'auth',
      user: i % 3 === 0 ? 'root' : 'alice',
      outcome: i % 2 === 0 ? 'failure' : 'success',
      src: `203.0.113.${i}`,
    }));
    const expected = events.filter((e) => e.kind === 'auth' && e.user === 'root' && e.outcome === 'failure').length;
    const throwing = events.filter((e) => e.kind === 'boom').length;
    const result = await client.api.push(events);
    expect(result.accepted).toBe(events.length);

    const batches = await batchWhere(client, (b) => b.metrics.engine.alertsOut >= expected && b.metrics.engine.eventsIn === events.length);
    const alerts = batches.flatMap((b) => b.alerts);
    expect(alerts.map((a) => a.alert.rule)).toEqual(Array(expected).fill('root failure'));
    expect(alerts.map((a) => a.id)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    const last = batches.at(-1)!.metrics;
    expect(last.engine.rules['root failure']).toMatchObject({ alerts: expected, state: 'active' });
    expect(last.engine.rules.thrower!.errors).toBe(throwing);
    expect(batches.flatMap((b) => b.diagnostics).filter((d) => d.code === 'vigil.rule.error').length).toBeGreaterThan(0);
    expect(last.source).toEqual({ state: 'error', message: 'EventSource is not available here', rejected: 0 });
    expect((await client.api.rules()).map((r) => r.name)).toEqual(['root failure', 'thrower']);
  });

  it('answers rules with errors with their diagnostics, and a bad source as fatal; the feed waits for a start', async () => {
    const client = connect();
    await expect(client.api.metrics()).rejects.toThrow(/has not started/);
    const broken = await client.api.start({ rules: 'RULE "x"\nSOURCES kind = "a"\nFILTER function (e) { return e.a == ; }\nSINK function (e) { return e; }', rulesFile: 'inline.vgl', source: 'simulator:bruteforce' });
    expect(broken.status).toBe('rules-error');
    if (broken.status === 'rules-error') expect(broken.diagnostics[0]).toMatchObject({ file: 'inline.vgl', line: 3 });
    const other = connect();
    expect(await other.api.start({ rules: RULES, rulesFile: 'x.vgl', source: 'simulator:nope' })).toMatchObject({ status: 'fatal', message: expect.stringMatching(/unknown simulator generator "nope"/) });
    const empty = connect();
    expect(await empty.api.start({ rules: '// nothing', rulesFile: 'x.vgl', source: 'simulator:bruteforce' })).toEqual({ status: 'fatal', message: 'the rules text holds no rule' });
  });
});
