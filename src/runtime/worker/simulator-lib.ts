/** src/simulate, adapted to what the simulator driver needs (and how alerts are scored). */
import type { Alert } from '../../engine/engine.js';
import { createGenerator, keyOfFields, mixGenerators, scoreAlerts, type Generator } from '../../simulate/index.js';
import type { SimGenerator, SimulatorLib } from './simulator.js';

const userAtServer = keyOfFields(['user', 'server']);
const bySource = keyOfFields(['sourceAddress']);

/**
 * The ground-truth key an alert speaks about: `user@server` (bruteforce) when it names both, else
 * its source address (portscan, network). Undefined for an alert that names neither.
 */
export function alertTruthKey(alert: Record<string, unknown>): string | undefined {
  return userAtServer(alert) ?? bySource(alert);
}

export const simulatorLib: SimulatorLib = {
  createGenerator: (name, options) => createGenerator(name, options),
  mixGenerators: (parts, seed) => mixGenerators(parts as { generator: Generator; weight: number }[], seed) as SimGenerator,
  score: (alerts: readonly Alert[], truthKeys: ReadonlySet<string>) =>
    scoreAlerts(
      alerts,
      [...truthKeys].map((truthKey) => ({ event: {}, anomaly: true, truthKey })),
      alertTruthKey,
    ),
};
