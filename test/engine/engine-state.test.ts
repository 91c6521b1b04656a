/**
 * Checkpoints across versions: v1.ckp was written by the engine before the plan/state split
 * (test/fixtures/checkpoints/make-v1.mjs, run with that build), with the alerts that engine
 * raised after restoring it. The current engine must restore it and raise the same alerts.
 * v2.ckp is v1.ckp restored and written again by the engine of 2026-12-04 (version 2, before
 * windows shared their events in one table): it continues with the same alerts.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from '../../src/engine/checkpoint.js';
import { decodeEngineState, encodeEngineState, ENGINE_STATE_SCHEMA } from '../../src/engine/engine-state.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import type { Engine } from '../../src/engine/engine.js';
// @ts-expect-error a plain .mjs module shared with the fixture's generator
import { CHECKPOINT_EVENTS, checkpointStream, T0 } from '../fixtures/checkpoints/v1-scenario.mjs';

const fixture = (name: string) => new URL(`../fixtures/checkpoints/${name}`, import.meta.url);
const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((e) => e.dispose()));
const make = async () => {
  const engine = await createNodeEngine({ clock: () => T0, outOfOrderMs: 1000, allowedLatenessMs: 5000, sandbox: { cpuMsPerEvent: 5, maxBatchMs: 50 } });
  engines.push(engine);
  return engine;
};

function continueFrom(engine: Engine): string[] {
  const alerts: string[] = [];
  engine.onAlert((a) => alerts.push(JSON.stringify(a)));
  const events = checkpointStream() as Record<string, unknown>[];
  for (let i = CHECKPOINT_EVENTS as number; i < events.length; i += 40) engine.push(events.slice(i, i + 40), { source: 'sensor-a' });
  engine.flush();
  return alerts;
}

describe('engine state across versions', () => {
  it('restores a checkpoint written by the previous version and raises the alerts that version raised', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('v1.ckp')));
    expect(decodeEngineState(bytes).state.schema).toBe(2); // read as version 2's shape, as every version is
    const engine = await make();
    expect(engine.restore(bytes)).toEqual({ extra: { offsets: [CHECKPOINT_EVENTS] } });
    expect(engine.position).toBe((CHECKPOINT_EVENTS as number) + 1);
    expect(engine.rules().map((r) => [r.name, r.state, r.version])).toEqual([
      ['bad', 'active', 1],
      ['burst', 'active', 1],
      ['bursts', 'active', 1],
      ['protocol', 'active', 1],
      ['loop', 'deactivated', 1],
    ]);
    expect(engine.history('loop')[0]!.author).toBe('eve');
    expect(engine.iocs.names().has('bad_ips')).toBe(true);
    expect(engine.stateMachineStats('protocol').liveKeys).toBeGreaterThan(0);
    expect(engine.eventTime()[0]!.sources.map((s) => s.source)).toEqual(['sensor-a']);
    const expected = readFileSync(fixture('v1-continuation.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(expected.length).toBeGreaterThan(100);
    expect(continueFrom(engine).map((l) => JSON.parse(l))).toEqual(expected.map((l) => JSON.parse(l)));
  });

  it('writes the current version, which restores to the same continuation', async () => {
    const first = await make();
    first.restore(new Uint8Array(readFileSync(fixture('v1.ckp'))));
    const bytes = first.checkpoint({ again: true });
    expect(decodeEngineState(bytes).state.schema).toBe(3);
    const second = await make();
    expect(second.restore(bytes)).toEqual({ extra: { again: true } });
    expect(continueFrom(second)).toEqual(continueFrom(first));
  });

  it('refuses a version newer than it reads, naming both', () => {
    const bytes = encodeCheckpoint({ document: { schema: ENGINE_STATE_SCHEMA + 1 }, blobs: [] });
    expect(() => decodeEngineState(bytes)).toThrow(CheckpointError);
    expect(() => decodeEngineState(bytes)).toThrow(/version 4 is newer than this Vigil reads \(3\)/);
  });

  it('restores a version 2 checkpoint and raises the alerts the version 1 one leads to', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('v2.ckp')));
    expect(decodeCheckpoint<{ schema: number }>(bytes).document.schema).toBe(2);
    const engine = await make();
    expect(engine.restore(bytes)).toEqual({ extra: { offsets: [CHECKPOINT_EVENTS] } });
    const expected = readFileSync(fixture('v1-continuation.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(continueFrom(engine).map((l) => JSON.parse(l))).toEqual(expected.map((l) => JSON.parse(l)));
  });

  it('writes an event several windows hold once, and restores it as one object they all hold', async () => {
    const rules = (n: number) =>
      Array.from({ length: n }, (_, i) => `RULE "count ${i}"\nSOURCES kind = "login"\nAGGREGATE BY user\nWITHIN 1:h, 1:h\nHAVING function (events) { return events.length >= 1000 ? { user: events[0].user, n: events.length } : null; }\nSINK function (w) { return w; }\n`).join('\n');
    const events = Array.from({ length: 500 }, (_, i) => ({ kind: 'login', user: `u${i % 7}`, pad: 'x'.repeat(200), i }));
    const sizes: number[] = [];
    for (const n of [1, 8]) {
      const engine = await make();
      const applied = engine.putRules(rules(n));
      expect(applied.ok, JSON.stringify(applied)).toBe(true);
      engine.push(events);
      const bytes = engine.checkpoint();
      sizes.push(bytes.length);
      // Oracle: the document itself — each event once in the table, every window naming all 500.
      const { document } = decodeCheckpoint<{ events: { i: number }[]; rules: { windows?: { panes: [number, [string, unknown[], number[]][]][] } }[] }>(bytes);
      expect(document.events.map((e) => e.i).sort((a, b) => a - b)).toEqual(events.map((e) => e.i));
      for (const rule of document.rules) expect(rule.windows!.panes.flatMap(([, keys]) => keys.flatMap(([, , held]) => held)).sort((a, b) => a - b)).toEqual(events.map((_, k) => k));
      // Restored: the windows hold one object per event, shared (the same as before the checkpoint).
      const { state } = decodeEngineState(bytes);
      const held = state.rules.map((r) => r.windows!.panes.flatMap(([, keys]) => keys.flatMap(([, , e]) => e)));
      const first = new Set(held[0]);
      expect(first.size).toBe(500);
      for (const other of held.slice(1)) expect(other.every((e) => first.has(e))).toBe(true);
      const again = await make();
      again.restore(bytes);
      // And the restored engine fires as the first would: 1,000 events per user-hour over both.
      const alertsOf = async (e: Engine) => {
        const out: unknown[] = [];
        e.onAlert((a) => out.push(a));
        e.push(Array.from({ length: 7000 }, (_, i) => ({ kind: 'login', user: `u${i % 7}`, i: 500 + i })));
        e.flush();
        return out;
      };
      const fired = await alertsOf(engine);
      expect(fired.length).toBe(7 * n);
      expect(await alertsOf(again)).toEqual(fired);
    }
    // Eight rules over the same events: far less than eight times one rule's checkpoint.
    expect(sizes[1]!).toBeLessThan(sizes[0]! * 1.3);
  });

  it('refuses a version 3 checkpoint whose window names an event the table does not hold, naming the rule', () => {
    const document = { schema: 3, position: 0, nextOrder: 1, counters: {}, rules: [{ name: 'r1', text: '', file: 'x', order: 0, status: 'active', stats: {}, windows: { watermark: null, panes: [[0, [['k', [], [0, 5]]]]] } }], history: [], iocs: [], tables: [], models: [], watermarks: [], eventClocks: [], events: [{ a: 1 }] };
    const bytes = encodeCheckpoint({ document, blobs: [] });
    expect(() => decodeEngineState(bytes)).toThrow(CheckpointError);
    expect(() => decodeEngineState(bytes)).toThrow(/rule "r1": window event 5 is not in the events table \(1 events\)/);
  });

  it('restores the other rules when one of them no longer compiles, and names it', async () => {
    // A checkpoint whose rule "protocol" this engine refuses (as a newer Vigil refuses what an
    // older one accepted): the text saved for it is made invalid.
    const first = await make();
    first.restore(new Uint8Array(readFileSync(fixture('v1.ckp'))));
    const { state, blobs } = decodeEngineState(first.checkpoint({ at: 'mid' }));
    const { schema: _schema, ...rest } = state;
    const damaged = encodeEngineState(
      { ...rest, rules: rest.rules.map((r) => (r.name === 'protocol' ? { ...r, text: r.text.replace('STATE MACHINE', 'STATE MASHINE') } : r)) },
      blobs,
    );
    const second = await make();
    const diagnostics: unknown[] = [];
    second.onDiagnostic((d) => diagnostics.push(d));
    const restored = second.restore(damaged);
    expect(restored.extra).toEqual({ at: 'mid' });
    expect(restored.refused).toEqual([{ rule: 'protocol', reason: expect.stringMatching(/^rule "protocol" no longer compiles: .+/) }]);
    expect(diagnostics).toEqual([expect.objectContaining({ code: 'vigil.restore', rule: 'protocol' })]);
    expect(second.rules().map((r) => r.name)).toEqual(['bad', 'burst', 'bursts', 'loop']);
    expect(second.history('protocol').length).toBe(1); // its text is still there to fix and apply
    // Oracle: the undamaged checkpoint's continuation, less the left-out rule's alerts.
    const others = continueFrom(first).filter((line) => JSON.parse(line).rule !== 'protocol');
    expect(others.length).toBeGreaterThan(100);
    expect(continueFrom(second)).toEqual(others);
  });
});
