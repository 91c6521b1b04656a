/** src/simulate, adapted to what the simulator driver needs (and how alerts are scored). */
import type { Alert } from '../../src/engine/engine.js';
import { createGenerator, keyOfFields, mixGenerators, scoreAlerts, type Generator } from '../../src/simulate/index.js';
import { commandLineOf, SysmonGenerator } from './generators/sysmon.js';
import type { SimGenerator, SimulatorLib } from './simulator.js';

const userAtServer = keyOfFields(['user', 'server']);
const bySource = keyOfFields(['sourceAddress']);
/** ECS `source.ip`: an aggregation's key field (`alert.key['source.ip']`) or a flat field of the alert. */
const bySourceIp = keyOfFields(['source.ip']);

/**
 * The ground-truth key an alert speaks about: `user@server` (bruteforce) when it names both, else
 * its source address — `sourceAddress` (portscan, network), else the flow attacker: a `source`
 * address (what the flow rules' SINKs return, rules/flows/), ECS `source.ip` (the aggregation key,
 * a flat field, or nested `source: { ip }`). The `flows` generator's truth key is that address
 * (the scanner's, the SSH brute-forcer's, the flooder's). Else a Sigma alert's command line (the
 * `sysmon` generator's truth key, generators/sysmon.ts). Undefined for an alert that names none.
 */
export function alertTruthKey(alert: Record<string, unknown>): string | undefined {
  return userAtServer(alert) ?? bySource(alert) ?? flowSource(alert) ?? commandLineOf(alert);
}

function flowSource(alert: Record<string, unknown>): string | undefined {
  const source = alert.source;
  if (typeof source === 'string' && source !== '') return source;
  if (source !== null && typeof source === 'object' && !Array.isArray(source)) {
    const ip = (source as Record<string, unknown>).ip;
    if (typeof ip === 'string' && ip !== '') return ip;
  }
  return bySourceIp(alert);
}

export const simulatorLib: SimulatorLib = {
  createGenerator: (name, options) => (name === 'sysmon' ? new SysmonGenerator(options) : createGenerator(name, options)),
  mixGenerators: (parts, seed) => mixGenerators(parts as { generator: Generator; weight: number }[], seed) as SimGenerator,
  score: (alerts: readonly Alert[], truthKeys: ReadonlySet<string>) =>
    scoreAlerts(
      alerts,
      [...truthKeys].map((truthKey) => ({ event: {}, anomaly: true, truthKey })),
      alertTruthKey,
    ),
  alertKey: alertTruthKey,
  relabel(taken, stream) {
    for (const t of taken) {
      const e = t.event;
      if (e.kind !== 'packet' || typeof e.sourceAddress !== 'string') continue;
      const renamed = relabelAddress(e.sourceAddress, stream);
      if (t.truthKey === e.sourceAddress) t.truthKey = renamed;
      e.sourceAddress = renamed;
    }
  },
};

/**
 * The network generator hands out 10.b.c.d from 10.0.0.1 in every stream: stream n shifts the
 * second octet, so a fresh stream's machines do not collide with the keys a restored engine holds.
 */
export function relabelAddress(address: string, stream: number): string {
  const parts = address.split('.');
  if (parts.length !== 4) return address;
  parts[1] = String((Number(parts[1]) + stream * 37) % 256);
  return parts.join('.');
}
