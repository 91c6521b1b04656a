/**
 * The edge HTTP API takes Sigma rules: `PUT /rules/:name` with a YAML body (Content-Type
 * application/yaml, `?language=sigma` or `?file=x.yml`), the rule's title as its name, diagnostics
 * at line:col like VGL's, and the alerts of the rule through `/events` and `/alerts`. On Node, the
 * Hono app in-process (src/edge/node/server.ts's handler), with VIGIL_SIGMA_PIPELINE=evtx-json.
 * Expected places are read off the YAML by hand.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/edge/config.js';
import { createHttpHandler, type Handler } from '../../src/edge/http.js';
import { createNodeHandler } from '../../src/edge/node/server.js';
import { openLocalPartitions } from '../../src/edge/partition-node.js';
import { PartitionedService } from '../../src/edge/partition.js';
import { createNodeEngine } from '../../src/runtime/node.js';

const TOKEN = 'sigma-token';
const admin = { authorization: `Bearer ${TOKEN}` };
const engines: { dispose(): void }[] = [];
afterEach(() => engines.splice(0).forEach((e) => e.dispose()));

async function server(env: Record<string, string> = { VIGIL_SIGMA_PIPELINE: 'evtx-json' }): Promise<Handler> {
  const { instance, handler } = await createNodeHandler({ env: { VIGIL_TOKEN: TOKEN, ...env }, guard: false });
  engines.push(instance.engine);
  return handler;
}
const call = (h: Handler, method: string, path: string, body?: string, headers: Record<string, string> = {}) => h(new Request(`http://vigil.test${path}`, { method, body, headers }));

const WHOAMI = `title: Whoami Privileges
id: 7f9c6a3e-0000-4000-8000-000000000001
status: test
level: high
tags: [attack.discovery]
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\\whoami.exe'
        CommandLine|contains: '/priv'
    condition: selection
`;

describe('Sigma rules through the HTTP API', () => {
  it('PUT with Content-Type application/yaml adds the rule under its title; its alerts come out of /alerts', async () => {
    const h = await server();
    const put = await call(h, 'PUT', '/rules/Whoami%20Privileges', WHOAMI, { ...admin, 'content-type': 'application/yaml' });
    expect(put.status).toBe(201);
    expect(await put.json()).toEqual({ name: 'Whoami Privileges', version: 1, created: true });
    const rules = (await (await call(h, 'GET', '/rules', undefined, admin)).json()) as { rules: { name: string; text: string }[] };
    expect(rules.rules.map((r) => [r.name, r.text])).toEqual([['Whoami Privileges', WHOAMI]]);
    const sysmon = (image: string, commandLine: string) => ({ Event: { System: { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Computer: 'ws1' }, EventData: { Image: image, CommandLine: commandLine } } });
    const events = [
      sysmon('C:\\Windows\\System32\\whoami.exe', 'whoami /priv'),
      sysmon('C:\\Windows\\System32\\whoami.exe', 'whoami /all'),
      sysmon('C:\\Tools\\other.exe', 'other /PRIV'),
      sysmon('C:\\WINDOWS\\SYSTEM32\\WHOAMI.EXE', 'WHOAMI /PRIV'),
      // The right image and command line on another channel: the logsource routes it elsewhere.
      { Event: { System: { Channel: 'Application', EventID: 1 }, EventData: { Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /priv' } } },
    ];
    const ingest = await call(h, 'POST', '/events', events.map((e) => JSON.stringify(e)).join('\n'), admin);
    expect(await ingest.json()).toEqual({ accepted: 5, rejected: [] });
    const alerts = (await (await call(h, 'GET', '/alerts', undefined, admin)).text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // The first and the fourth event (Sigma matches without regard to case); the fields the rule reads, and its metadata.
    expect(alerts.map((a) => [a.rule, a['Event.EventData.Image'], a['Event.EventData.CommandLine'], (a.sigma as { level: string }).level])).toEqual([
      ['Whoami Privileges', events[0]!.Event.EventData.Image, 'whoami /priv', 'high'],
      ['Whoami Privileges', events[3]!.Event.EventData.Image, 'WHOAMI /PRIV', 'high'],
    ]);
    expect((alerts[0]!.sigma as { id: string; tags: string[] }).tags).toEqual(['attack.discovery']);
  });

  it('?language=sigma and ?file=x.yml say Sigma too; VGL stays the default', async () => {
    const h = await server();
    expect((await call(h, 'PUT', '/rules/Whoami%20Privileges?language=sigma', WHOAMI, admin)).status).toBe(201);
    expect((await call(h, 'PUT', '/rules/Whoami%20Privileges?file=whoami.yaml', WHOAMI, { ...admin, 'content-type': 'text/plain' })).status).toBe(200);
    // Without a word of Sigma, YAML is read as VGL and refused as such.
    const asVgl = await call(h, 'PUT', '/rules/Whoami%20Privileges', WHOAMI, admin);
    expect(asVgl.status).toBe(400);
    expect(((await asVgl.json()) as { error: { code: string } }).error.code).toBe('invalid-rule');
    const bad = await call(h, 'PUT', '/rules/x?language=yara', WHOAMI, admin);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('bad-language');
    const vgl = await call(h, 'PUT', '/rules/any', 'RULE "any"\nSOURCES kind = "x"\nSINK function (e) { return e; }', admin);
    expect(vgl.status).toBe(201);
  });

  it('an invalid Sigma rule is a 400 whose diagnostics name line:col; nothing is applied', async () => {
    const h = await server();
    const broken = WHOAMI.replace("Image|endswith: '", "Image|endswith|nosuch: '");
    const response = await call(h, 'PUT', '/rules/Whoami%20Privileges', broken, { ...admin, 'content-type': 'application/yaml; charset=utf-8' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string; diagnostics: { line: number; column: number; code: string }[] } };
    expect(body.error.code).toBe('invalid-rule');
    // Line 11, column 9: the key `Image|endswith|nosuch`.
    expect(body.error.message).toMatch(/^11:9: unknown modifier 'nosuch'/);
    expect(body.error.diagnostics.map((d) => [d.line, d.column, d.code])).toEqual([[11, 9, 'sigma-modifier']]);
    const rules = (await (await call(h, 'GET', '/rules', undefined, admin)).json()) as { rules: unknown[] };
    expect(rules.rules).toEqual([]);
  });

  it('the name in the path must be the title, and the body one rule', async () => {
    const h = await server();
    const wrong = await call(h, 'PUT', '/rules/Other', WHOAMI, { ...admin, 'content-type': 'application/yaml' });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'rule-name-mismatch', message: expect.stringContaining('"Whoami Privileges"') });
    const two = await call(h, 'PUT', '/rules/Whoami%20Privileges', `${WHOAMI}---\n${WHOAMI.replace('Whoami Privileges', 'Second')}`, { ...admin, 'content-type': 'application/yaml' });
    expect(two.status).toBe(400);
    expect(((await two.json()) as { error: { code: string } }).error.code).toBe('rule-name-mismatch');
  });

  it('without VIGIL_SIGMA_PIPELINE, field names are read as written (flat) and every event reaches the rule', async () => {
    const h = await server({});
    expect((await call(h, 'PUT', '/rules/Whoami%20Privileges', WHOAMI, { ...admin, 'content-type': 'application/yaml' })).status).toBe(201);
    const events = [
      { Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /priv' },
      { Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /groups' },
      { process: { Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /priv' } },
    ];
    await call(h, 'POST', '/events', events.map((e) => JSON.stringify(e)).join('\n'), admin);
    const alerts = (await (await call(h, 'GET', '/alerts', undefined, admin)).text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(alerts.map((a) => [a.rule, a.CommandLine])).toEqual([['Whoami Privileges', 'whoami /priv']]);
  });

  it('VIGIL_SIGMA_PIPELINE takes a built-in pipeline name only', () => {
    expect(readConfig({ VIGIL_SIGMA_PIPELINE: 'ecs' }).engine.sigma).toEqual({ pipeline: 'ecs' });
    expect(() => readConfig({ VIGIL_SIGMA_PIPELINE: 'my.yml' })).toThrow(/VIGIL_SIGMA_PIPELINE=my.yml is not a built-in pipeline \(evtx-json, ecs, flat\)/);
  });

  it('a partitioned server takes Sigma rules (routed like simple rules) and refuses correlation rules', async () => {
    const config = readConfig({ VIGIL_TOKEN: TOKEN, VIGIL_SIGMA_PIPELINE: 'evtx-json' });
    const parts = await openLocalPartitions(3, async (options) => {
      const engine = await createNodeEngine(options);
      engines.push(engine);
      return engine;
    }, { partitionField: 'sourceAddress', engine: config.engine });
    const h = createHttpHandler(new PartitionedService(parts, 'sourceAddress'), config.http);
    const put = await call(h, 'PUT', '/rules/Whoami%20Privileges', WHOAMI, { ...admin, 'content-type': 'application/yaml' });
    expect(put.status).toBe(201);
    // Events from 30 sources land on every partition; the ones that match are every third.
    const events = Array.from({ length: 30 }, (_, i) => ({
      sourceAddress: `10.0.0.${i}`,
      Event: { System: { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1 }, EventData: { Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: i % 3 === 0 ? 'whoami /priv' : 'whoami' } },
    }));
    expect(await (await call(h, 'POST', '/events', events.map((e) => JSON.stringify(e)).join('\n'))).json()).toEqual({ accepted: 30, rejected: [] });
    const counts = await Promise.all(parts.map(async (p) => ((await p.metrics()) as { eventsIn: number }).eventsIn));
    expect(counts.filter((c) => c > 0).length).toBeGreaterThan(1);
    const alerts = (await (await call(h, 'GET', '/alerts?limit=100', undefined, admin)).text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(alerts.map((a) => a.rule)).toEqual(Array(10).fill('Whoami Privileges'));
    const correlation = `title: Many Whoami
correlation:
  type: event_count
  rules: [7f9c6a3e-0000-4000-8000-000000000001]
  group-by: [Computer]
  timespan: 5m
  condition: { gte: 3 }
`;
    const refused = await call(h, 'PUT', '/rules/Many%20Whoami', `${WHOAMI}---\n${correlation}`, { ...admin, 'content-type': 'application/yaml' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unsupported-language');
  });
});
