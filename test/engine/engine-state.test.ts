/**
 * Checkpoints across versions: v1.ckp was written by the engine before the plan/state split
 * (test/fixtures/checkpoints/make-v1.mjs, run with that build), with the alerts that engine
 * raised after restoring it. The current engine must restore it and raise the same alerts.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointError, encodeCheckpoint } from '../../src/engine/checkpoint.js';
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
    expect(decodeEngineState(bytes).state.schema).toBe(ENGINE_STATE_SCHEMA);
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
    expect(decodeEngineState(bytes).state.schema).toBe(2);
    const second = await make();
    expect(second.restore(bytes)).toEqual({ extra: { again: true } });
    expect(continueFrom(second)).toEqual(continueFrom(first));
  });

  it('refuses a version newer than it reads, naming both', () => {
    const bytes = encodeCheckpoint({ document: { schema: ENGINE_STATE_SCHEMA + 1 }, blobs: [] });
    expect(() => decodeEngineState(bytes)).toThrow(CheckpointError);
    expect(() => decodeEngineState(bytes)).toThrow(/version 3 is newer than this Vigil reads \(2\)/);
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
