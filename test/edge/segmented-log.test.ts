/**
 * SegmentedLog (the ring and the ledger beside a checkpoint): after a crash at any put or delete
 * of any checkpoint write, a reader finds exactly the items of the last checkpoint written (the
 * model: a copy of the items at each write; the one killed counts as written once its head was
 * switched, before the old chunks are deleted), and writing on from there works.
 * Each write puts only the chunks of segments that gained items.
 */
import { describe, expect, it } from 'vitest';
import { ChunkedCheckpointStore, MemoryByteStore, type ByteStore } from '../../src/edge/checkpoint-store.js';

/** A byte store that throws from its `failAt`-th change on (a process killed there). */
class CrashingStore implements ByteStore {
  changes = 0;
  failAt = Infinity;
  constructor(readonly inner: MemoryByteStore) {}
  get(key: string) {
    return this.inner.get(key);
  }
  async put(key: string, value: Uint8Array) {
    if (this.changes++ >= this.failAt) throw new Error('killed');
    await this.inner.put(key, value);
  }
  async delete(key: string) {
    if (this.changes++ >= this.failAt) throw new Error('killed');
    await this.inner.delete(key);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
type Item = [number, { text: string }];

/** One "instance": a bounded ring of items, checkpointed with the log beside it. */
async function open(bytes: ByteStore, capacity: number) {
  const store = new ChunkedCheckpointStore(bytes, 700);
  const log = store.log('ring');
  const raw = await store.read();
  let items: Item[] = [];
  let next = 1;
  if (raw) {
    const state = JSON.parse(decoder.decode(raw)) as { log: Parameters<typeof log.read>[1] };
    items = await log.read<Item[1]>(bytes, state.log);
    next = state.log.next;
  }
  return {
    items: () => items,
    append(count: number, seed: number) {
      for (let i = 0; i < count; i++) items.push([next++, { text: `item ${next} ${'x'.repeat((seed * 7 + i) % 90)}` }]);
      if (items.length > capacity) items.splice(0, items.length - capacity);
    },
    async checkpoint() {
      const plan = log.plan(items, next);
      await store.write(encoder.encode(JSON.stringify({ log: plan.state })), plan.writes);
      log.committed(plan.state, plan.texts);
      return plan.writes;
    },
  };
}

describe('SegmentedLog', () => {
  it('after a crash at any write step, reads what the last completed checkpoint held, and goes on from there', async () => {
    let crashes = 0;
    for (let failAt = 0; failAt < 60; failAt += 1) {
      const memory = new MemoryByteStore();
      const crashing = new CrashingStore(memory);
      let instance = await open(crashing, 300);
      let model: string = JSON.stringify([]);
      let killed: string | undefined;
      let seed = 1;
      // Several checkpoints, then one that is killed at step `failAt` of the run.
      crashing.failAt = failAt + 40;
      for (let round = 0; round < 12; round++) {
        instance.append(1 + ((round * 37) % 120), seed++);
        try {
          await instance.checkpoint();
          model = JSON.stringify(instance.items());
        } catch {
          killed = JSON.stringify(instance.items());
          crashes++;
          break;
        }
      }
      crashing.failAt = Infinity;
      instance = await open(crashing, 300);
      const found = JSON.stringify(instance.items());
      // The killed write either switched its head (it holds) or did not (the one before holds): nothing in between.
      expect([model, killed], `killed at change ${failAt + 40}`).toContain(found);
      // Going on after the crash: more items, a checkpoint, and a fresh reader agrees.
      instance.append(50, seed++);
      await instance.checkpoint();
      const expected = JSON.stringify(instance.items());
      expect(JSON.stringify((await open(memory, 300)).items())).toBe(expected);
    }
    // Every one of the 60 runs was killed inside a write (and not after the last one).
    expect(crashes).toBe(60);
  });

  it('writes only the chunks of segments that gained items, and deletes segments the ring left', async () => {
    const memory = new MemoryByteStore();
    const instance = await open(memory, 300);
    instance.append(1000, 1);
    await instance.checkpoint();
    instance.append(3, 2);
    const writes = await instance.checkpoint();
    const written = writes.puts.reduce((n, [, bytes]) => n + bytes.length, 0);
    // Three short items appended: at most two chunks (of 700 bytes) rewritten, not the 300 items kept.
    expect(writes.puts.length).toBeLessThanOrEqual(2);
    expect(written).toBeLessThanOrEqual(1400);
    // Segments wholly below the ring's first item are gone from the store.
    const segments = new Set([...memory.map.keys()].filter((k) => k.startsWith('ring:')).map((k) => Number(k.split(':')[1])));
    const first = instance.items()[0]![0];
    for (const segment of segments) expect((segment + 1) * 256).toBeGreaterThan(first);
  });
});
