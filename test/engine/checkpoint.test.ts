import { afterEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_VERSION, CheckpointError } from '../../src/engine/checkpoint.js';
import { harness, plain, type Harness } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const open: Harness[] = [];
afterEach(() => open.splice(0).forEach((h) => h.engine.dispose()));
const make = async (options = {}) => {
  const h = await harness({ outOfOrderMs: 1000, allowedLatenessMs: 5000, ...options });
  open.push(h);
  return h;
};

const rules = `
RULE "bad" SOURCES kind = "conn" FILTER function (e) { return utils.inTable('watch', e.src); } IOC FILTERS in bad_ips(dst)
SINK function (e) { return { src: e.src, dst: e.dst }; }
RULE "burst" SOURCES kind = "conn" USING ts AGGREGATE BY src WITHIN 10:sec, 5:sec
HAVING function (events) { let n = 0; for (const e of events) n++; return n >= 3 ? { n } : null; }
SINK function (a) { return a; }
RULE "bursts" SOURCES rule = "burst" USING windowEnd AGGREGATE BY src WITHIN 1:min, 1:min
SINK function (a) { return { src: a.src, windows: a.count }; }
`;

function stream(n: number): Record<string, unknown>[] {
  const out = [];
  for (let i = 0; i < n; i++) {
    const src = `10.0.0.${i % 4}`;
    // Every 7th event arrives 3 s late: inside the out-of-orderness bound plus lateness.
    const ts = T0 + i * 700 - (i % 7 === 0 ? 3000 : 0);
    out.push({ kind: 'conn', src, dst: i % 5 === 0 ? '203.0.113.9' : '192.0.2.1', ts });
  }
  return out;
}

async function setUp(h: Harness): Promise<void> {
  h.engine.iocs.create('bad_ips');
  h.engine.iocs.add('bad_ips', ['203.0.113.9']);
  h.engine.tables.create('watch', ['10.0.0.1', '10.0.0.2']);
  h.rules(rules);
}

describe('checkpoint and restore', () => {
  it('gives exactly the alerts of an uninterrupted run when restored mid-stream', async () => {
    const events = stream(400);
    const whole = await make();
    await setUp(whole);
    for (let i = 0; i < events.length; i += 50) whole.engine.push(events.slice(i, i + 50));
    whole.engine.flush();
    const expected = plain(whole.take());
    expect(expected.length).toBeGreaterThan(50);
    expect(new Set(expected.map((a) => a.rule))).toEqual(new Set(['bad', 'burst', 'bursts']));

    for (const cut of [50, 150, 300]) {
      const first = await make();
      await setUp(first);
      for (let i = 0; i < cut; i += 50) first.engine.push(events.slice(i, i + 50));
      const bytes = first.engine.checkpoint({ note: 'cut' });
      const before = plain(first.take());

      const second = await make();
      expect(second.engine.restore(bytes)).toEqual({ extra: { note: 'cut' } });
      expect(second.engine.position).toBe(cut);
      for (let i = second.engine.position; i < events.length; i += 50) second.engine.push(events.slice(i, i + 50));
      second.engine.flush();
      expect([...before, ...plain(second.take())]).toEqual(expected);
    }
  });

  it('keeps rule status, history, lists and tables', async () => {
    const h = await make({ sandbox: { cpuMsPerEvent: 5, maxBatchMs: 50 } });
    await setUp(h);
    h.engine.putRules('RULE "loop" SOURCES kind = "x" FILTER function (e) { for (;;) {} } SINK function (e) { return e; }', { author: 'eve' });
    h.engine.push([{ kind: 'x' }]);
    const restored = await make();
    restored.engine.restore(h.engine.checkpoint());
    expect(restored.engine.rules().map((r) => [r.name, r.state])).toEqual([
      ['bad', 'active'],
      ['burst', 'active'],
      ['bursts', 'active'],
      ['loop', 'deactivated'],
    ]);
    expect(restored.engine.rule('loop')?.deactivation?.kind).toBe('cpu');
    expect(restored.engine.history('loop')).toEqual(h.engine.history('loop'));
    expect(restored.engine.iocs.has('bad_ips', '203.0.113.9')).toBe(true);
    expect(restored.engine.tables.entries('watch')).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(restored.engine.metrics()).toEqual(h.engine.metrics());
  });

  it('refuses an unknown format version and a corrupt file with clear errors', async () => {
    const h = await make();
    const bytes = h.engine.checkpoint();
    const future = bytes.slice();
    new DataView(future.buffer).setUint32(8, CHECKPOINT_VERSION + 1, true);
    expect(() => h.engine.restore(future)).toThrow(new CheckpointError(`checkpoint format version ${CHECKPOINT_VERSION + 1} is not supported (this Vigil reads version ${CHECKPOINT_VERSION})`));
    expect(() => h.engine.restore(new TextEncoder().encode('{"hello":1}'))).toThrow(/not a Vigil checkpoint/);
    expect(() => h.engine.restore(bytes.slice(0, bytes.length - 3))).toThrow(/truncated|corrupt/);
  });
});
