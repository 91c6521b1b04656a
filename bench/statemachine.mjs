// STATE MACHINE rules through the whole engine, side by side with a hand-written JavaScript Map
// doing the same transitions: the network protocol over up to a million live source addresses.
//
//   npm run bench -- statemachine      (builds dist/ first)
//   node --expose-gc bench/statemachine.mjs [--events N] [--capacity N] [--reps N] [--quick]
import { readFileSync } from 'node:fs';
import { createEngine } from '../dist/node.js';
import { createGenerator } from '../dist/simulate/index.js';
import { median, parseBenchArgs, printTable, summaryRow } from './lib.mjs';

const args = parseBenchArgs(process.argv.slice(2), { events: 3_000_000, capacity: 1_000_000, reps: 5 });
if (args.quick) args.capacity = Math.min(args.capacity, 20_000);
const pack = readFileSync(new URL('../rules/network-protocol.vgl', import.meta.url), 'utf8');
// Only the state-machine rule: the per-network summary would measure windows, not states.
const rule = pack.slice(0, pack.indexOf('RULE "violations per network"'));

const TRANSITIONS = { INITIAL: { a: 'W', c: 'X' }, W: { b: 'Y' }, X: { b: 'Y', d: 'Z' }, Y: { e: 'Z' }, Z: { g: 'TERM' } };
const TIMEOUT_MS = 5 * 60_000;

/** What a person would write: a Map from address to { state, lastSeen }. */
function handWritten(events, states) {
  let alerts = 0;
  for (const event of events) {
    const key = event.sourceAddress;
    let entry = states.get(key);
    if (entry && event.timestamp - entry.lastSeen > TIMEOUT_MS) entry = undefined;
    const state = entry ? entry.state : 'INITIAL';
    const next = TRANSITIONS[state]?.[event.type];
    if (next === undefined) {
      alerts++;
      continue;
    }
    if (next === 'TERM') states.delete(key);
    else if (entry) {
      entry.state = next;
      entry.lastSeen = event.timestamp;
    } else states.set(key, { state: next, lastSeen: event.timestamp });
  }
  return alerts;
}

function heapUsed() {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

async function main() {
  console.log(`Vigil state-machine benchmark — ${args.events.toLocaleString()} events, up to ${args.capacity.toLocaleString()} live source addresses, error probability 0.01, median of ${args.reps} runs\n`);
  const events = createGenerator('network', { seed: 1, capacity: args.capacity, errorProbability: 0.01, rate: 10_000 })
    .take(args.events)
    .map((e) => e.event);

  // The Map's memory first, on a clean heap: later, the engines' garbage would be collected inside
  // the measurement and hide the Map's growth.
  const before = heapUsed();
  const measured = new Map();
  const handAlertsOnce = handWritten(events, measured);
  const mapBytesPerKey = (heapUsed() - before) / measured.size;
  const mapKeys = measured.size;
  measured.clear();

  const vigilRates = [];
  const handRates = [];
  let vigil = { alerts: 0, bytesPerKey: 0, keys: 0 };
  let hand = { alerts: handAlertsOnce, bytesPerKey: mapBytesPerKey, keys: mapKeys };
  for (let rep = 0; rep < args.reps; rep++) {
    const engine = await createEngine({ outOfOrderMs: 0 });
    const result = engine.putRules(rule);
    if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
    let alerts = 0;
    engine.onAlert(() => alerts++);
    const start = performance.now();
    for (let i = 0; i < events.length; i += 4096) engine.push(events.slice(i, i + 4096));
    vigilRates.push(events.length / ((performance.now() - start) / 1000));
    const machine = engine.stateMachineStats('protocol violation');
    vigil = { alerts, keys: machine.liveKeys, bytesPerKey: machine.byteSize / machine.liveKeys };
    engine.dispose();

    const states = new Map();
    const t = performance.now();
    const handAlerts = handWritten(events, states);
    handRates.push(events.length / ((performance.now() - t) / 1000));
    hand = { alerts: handAlerts, keys: states.size, bytesPerKey: mapBytesPerKey };
    if (hand.alerts !== vigil.alerts || hand.keys !== vigil.keys) {
      throw new Error(`results differ: vigil ${vigil.alerts} alerts / ${vigil.keys} keys, hand-written ${hand.alerts} / ${hand.keys}`);
    }
  }
  const v = median(vigilRates);
  const h = median(handRates);
  printTable(
    ['implementation', 'events/s', 'ratio', 'live keys', 'bytes/key', 'memory ratio', 'alerts'],
    [
      ['Vigil engine (STATE MACHINE rule, WASM table)', v, v / h, vigil.keys, vigil.bytesPerKey, vigil.bytesPerKey / hand.bytesPerKey, vigil.alerts],
      ['hand-written JS Map<string, {state, lastSeen}>', h, 1, hand.keys, hand.bytesPerKey, 1, hand.alerts],
    ],
  );
  summaryRow({ bench: 'statemachine', workload: `STATE MACHINE rule, ${vigil.keys.toLocaleString('en-US')} live keys`, vigil: v, peer: h, unit: 'events/s', ratio: v / h });
  console.log('\nThe engine figure includes routing, the batch crossing into WebAssembly and building each alert;');
  console.log('the hand-written loop only counts its alerts. Memory: the WASM table\'s bytes vs the Map\'s heap growth.');
}

await main();
