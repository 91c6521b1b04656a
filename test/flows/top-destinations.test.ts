/**
 * The top-destinations rules (rules/flows/top-destinations.vgl, run with the whole pack) on hand-made
 * flows: a busy source, ties, and ports whose text order differs from their numeric order.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/engine/engine.js';
import { makeFlowEvent } from '../../src/io/flow-event.js';
import { DEFAULT_START_TIME } from '../../src/simulate/index.js';
import { inCanonicalOrder, runPack, type Flow } from './pack.js';
import { expectedTopDestinations } from './top-recount.js';

const flowAt = (i: number, to: string, port: number, bytes: number, at: number): Flow => ({
  ...makeFlowEvent({ sourceIp: '10.1.0.1', sourcePort: 40000 + (i % 20000), destinationIp: to, destinationPort: port, protocol: 6, bytes, packets: 2, start: at, end: at + 5, tcpFlags: 0x1b, observer: '192.0.2.1' }),
  timestamp: at,
});

describe('top destinations', () => {
  let flows: Flow[];
  let alerts: Alert[];
  beforeAll(async () => {
    flows = [];
    // A busy source: 6000 flows in one minute to 400 hosts and 300 ports, many of them tied.
    for (let i = 0; i < 6000; i++) flows.push(flowAt(i, `10.2.${i % 4}.${i % 100}`, 1 + (i % 300), 100 + (i % 7) * 10, DEFAULT_START_TIME + Math.floor(i * 10)));
    // Next minute: ports 9 and 10 (text order "10" < "9"), hosts .9 and .10, equal flows and bytes.
    const next = DEFAULT_START_TIME + 60_000;
    flows.push(flowAt(0, '10.3.0.10', 10, 500, next), flowAt(1, '10.3.0.9', 9, 500, next + 1), flowAt(2, '10.3.0.9', 9, 100, next + 2), flowAt(3, '10.3.0.10', 10, 100, next + 3));
    alerts = await runPack(flows);
  });

  it('a busy source is ranked natively, no rule is deactivated', () => {
    expect(alerts.filter((a) => a.rule === 'vigil.rule.deactivated')).toEqual([]);
    for (const by of ['flows', 'bytes'] as const) {
      const got = alerts.filter((a) => a.rule === `top destinations by ${by}`).map(({ rule: _rule, ...rest }) => rest);
      expect(inCanonicalOrder(got)).toEqual(inCanonicalOrder(expectedTopDestinations(flows, by)));
    }
  });

  it('ties go to the lower port number and the lower address in text order', () => {
    const tie = alerts.find((a) => a.rule === 'top destinations by flows' && a.windowStart === DEFAULT_START_TIME + 60_000)!;
    expect(tie.ports).toEqual([{ port: 9, flows: 2, bytes: 600 }, { port: 10, flows: 2, bytes: 600 }]);
    expect(tie.hosts).toEqual([{ host: '10.3.0.10', flows: 2, bytes: 600 }, { host: '10.3.0.9', flows: 2, bytes: 600 }]);
  });
});
