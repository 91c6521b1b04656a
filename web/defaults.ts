/**
 * What the app starts with on first load (nothing persisted yet): the default rule pack (ours, the
 * network protocol pack of rules/network-protocol.vgl, and flow detections from rules/flows/ with
 * SUPPRESS), a small IOC list and table, and the simulator running bruteforce + noise + network
 * (protocol state machines with rare violations). The flow rules stay quiet until the `flows`
 * generator (or any event of kind "flow") runs.
 */
import networkRules from '../rules/network-protocol.vgl?raw';
import type { WorkerDefaults } from '../src/runtime/worker/protocol.js';
import authRules from './default-rules.vgl?raw';
import flowRules from './flow-rules.vgl?raw';

/**
 * The default rules: authentication detections, then the network protocol state machine and its
 * per-network roll-up, then port scans and SSH brute force on flow records.
 */
const defaultRules = `${authRules.trimEnd()}

${networkRules.trimEnd()}

${flowRules}`;

/** Addresses of the attackers' ranges (documentation networks), a part of which attack. */
export const DEFAULT_BAD_IPS: string[] = [
  ...Array.from({ length: 63 }, (_, i) => `203.0.113.${i * 4 + 3}`),
  ...Array.from({ length: 31 }, (_, i) => `198.51.100.${i * 8 + 7}`),
];

export const DEFAULT_PRIVILEGED_USERS = ['root', 'admin', 'administrator', 'oracle', 'postgres'];

export const DEFAULTS: WorkerDefaults = {
  rules: defaultRules,
  iocLists: { bad_ips: DEFAULT_BAD_IPS },
  tables: { privileged: DEFAULT_PRIVILEGED_USERS },
  simulator: {
    mix: [
      { generator: 'bruteforce', weight: 1 },
      { generator: 'noise', weight: 1 },
      // Invalid protocol transitions are rare: a few violations per 30-second window.
      { generator: 'network', weight: 1, errorProbability: 0.005 },
    ],
    // 100 events/s per generator: the auth traffic runs at the rate it had before network joined.
    rate: 300,
    errorProbability: 0.02,
    seed: 7,
  },
  simulatorRunning: true,
};

export { defaultRules };
