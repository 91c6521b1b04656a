/**
 * A case for re-keying: partitioned by source.ip, with rules keyed by other fields (destination.ip,
 * user.name, a constant), an alert-fed rule keyed by a field of the alerts, and a simple alert-fed
 * rule; events whose keys cross partitions. Shared by the in-process and the workerd tests.
 */
import { ManualClock } from '../../src/engine/event-time.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import type { ConformanceCase } from '../conformance/browser-harness.js';
import { runCaseOnEngine } from '../conformance/browser-harness.js';

export const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
export const PARTITION_FIELD = 'source.ip';

export const REKEY_RULES = `
RULE "telnet"
SOURCES kind = "conn"
FILTER function (e) { return e.port == 23; }
SINK function (e) { return { src: e.source.ip, dst: e.destination.ip }; }

RULE "scan per source"
SOURCES kind = "conn"
USING ts
AGGREGATE BY source.ip
WITHIN 30:sec, 10:sec
HAVING function (events) {
  const ports = new Set();
  for (const e of events) ports.add(e.port);
  return ports.size >= 4 ? { ports: ports.size } : null;
}
SINK function (a) { return a; }

RULE "busy destination"
SOURCES kind = "conn"
USING ts
AGGREGATE BY destination.ip
WITHIN 30:sec, 10:sec
HAVING function (events) {
  const sources = new Set();
  for (const e of events) sources.add(e.source.ip);
  // dst is not the group key's text, so the alert-fed rule keyed by it lives elsewhere.
  return sources.size >= 3 ? { dst: 'host ' + events[0].destination.ip, sources: sources.size, n: events.length } : null;
}
SINK function (a) { return a; }

RULE "session protocol"
SOURCES kind = "auth"
USING ts
STATE MACHINE BY user.name ON action
  INITIAL: login -> IN;
  IN: access -> IN, logout -> TERM;
SINK function (a) { return { user: a.key['user.name'], state: a.state, action: a.eventType }; }

RULE "volume"
SOURCES kind = ["conn", "auth"]
USING ts
AGGREGATE BY tenant
WITHIN 1:min, 1:min
HAVING function (events) { return { n: events.length }; }
SINK function (a) { return a; }

RULE "destination busy twice"
SOURCES rule = "busy destination"
USING windowEnd
AGGREGATE BY dst
WITHIN 1:h, 1:h
HAVING function (alerts) { return alerts.length >= 2 ? { times: alerts.length } : null; }
SINK function (a) { return a; }

RULE "protocol breach"
SOURCES rule = "session protocol"
SINK function (a) { return { user: a.user, severity: 'high' }; }
`;

export function rekeyCase(count = 800): ConformanceCase & { eventLines: string[] } {
  let seed = 11;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const ports = [22, 23, 80, 443, 445, 8080, 3389];
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
  const actions = ['login', 'access', 'access', 'logout', 'access', 'login'];
  const events = Array.from({ length: count }, (_, i) => {
    const source = { ip: `10.1.${Math.floor(random() * 3)}.${Math.floor(random() * 8)}` };
    const ts = T0 + i * 400;
    if (random() < 0.3) {
      // A user logs in from addresses all over: its key crosses partitions.
      return { kind: 'auth', tenant: 'acme', ts, source, user: { name: pick(users) }, action: pick(actions) };
    }
    return { kind: 'conn', tenant: 'acme', ts, source, destination: { ip: `192.168.0.${Math.floor(random() * 6)}` }, port: pick(ports) };
  });
  return { name: 'rekey', rules: REKEY_RULES, events, eventLines: events.map((e) => JSON.stringify(e)), iocs: {}, engine: {} };
}

/** The alerts of one engine, the reference every partitioned run must match. */
export async function referenceAlerts(testCase: ConformanceCase): Promise<string[]> {
  const engine = await createNodeEngine({ clock: new ManualClock(T0).now });
  try {
    return runCaseOnEngine(engine, testCase, 1);
  } finally {
    engine.dispose();
  }
}

export const canonical = (lines: string[]) => lines.map((l) => JSON.stringify(JSON.parse(l)));
export const sorted = (lines: string[]) => canonical(lines).sort();

/** The alerts of each rule and key, in order: what partitioning must keep of the order. */
export function perKey(lines: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of canonical(lines)) {
    const alert = JSON.parse(line) as Record<string, unknown>;
    const key = JSON.stringify([alert.rule, alert.key ?? alert.user ?? alert.src]);
    const list = out.get(key) ?? [];
    list.push(line);
    out.set(key, list);
  }
  return out;
}

/** How many alerts each rule raised. */
export function countsByRule(lines: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of lines) {
    const rule = (JSON.parse(line) as { rule: string }).rule;
    counts[rule] = (counts[rule] ?? 0) + 1;
  }
  return counts;
}
