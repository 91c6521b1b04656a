// Window buffers across memory growth, and WindowStore snapshot/restore round trips.
import { describe, expect, it } from 'vitest';
import { WindowStore, type FiredWindow } from '../../src/engine/window.js';
import { freshHotPaths, rng } from './build-wasm.js';

const spec = { lengthMs: 10_000, slideMs: 1000, allowedLatenessMs: 2000 };
const T0 = 1_700_000_000_000;

function events(n: number, keys: number, seed: number) {
  const random = rng(seed);
  return Array.from({ length: n }, (_, id) => {
    const k = Math.floor(random() * keys);
    return { id, t: T0 + id * 7 - Math.floor(random() * 3000), keyText: `skey-${k}-${'x'.repeat(k % 50)}`, key: [`key-${k}`] };
  });
}
type Ev = ReturnType<typeof events>[number];
const brief = (w: FiredWindow<Ev>[]) => w.map((f) => [f.start, f.keyText, f.update, f.events.map((e) => e.id)]);

/** Inserts each event, moving the watermark (highest time − 1.5 s) after each new highest time. */
function play(store: WindowStore<Ev>, list: Ev[], out: unknown[], highest = -Infinity): number {
  for (const e of list) {
    const r = store.insert(e.t, e.keyText, e.key, e);
    out.push(r.late ? 'late' : brief(r.refired));
    if (e.t > highest) {
      highest = e.t;
      out.push(brief(store.advance(highest - 1500)));
    }
  }
  return highest;
}

describe('window buffers', () => {
  it('survive memory growth in a batch and growth by the host between calls', async () => {
    const { hot, memory } = await freshHotPaths();
    const buffers = hot.windowBuffers.create(spec);
    const n = 200_000;
    const keys = Array.from({ length: n }, (_, i) => `k${i}:${'y'.repeat(40)}`);
    const times = Float64Array.from({ length: n }, (_, i) => T0 + i);
    const values = Float64Array.from({ length: n }, (_, i) => i % 10);
    const slots = new Uint32Array(n);
    const before = memory.buffer;
    buffers.insertMany(keys, times, values, slots);
    expect(before.byteLength).toBe(0); // grew: the old buffer is detached
    expect(buffers.keyCount).toBe(n);
    memory.grow(2);
    const out = buffers.advance(-Infinity, T0 + 10_000, false);
    expect(out.length).toBe(10); // the windows starting T0 − 9 s … T0
    const w = out.length - 1;
    expect(out.start(w)).toBe(T0);
    expect(out.keys(w)).toBe(10_000);
    let count = 0;
    let sum = 0;
    for (let k = 0; k < out.keys(w); k++) {
      count += out.count(w, k);
      sum += out.sum(w, k);
    }
    expect(count).toBe(10_000);
    expect(sum).toBe(45_000);
    expect(out.min(w, 3)).toBe(3);
    expect(out.max(w, 3)).toBe(3);
    expect(out.keys(0)).toBe(1000); // [T0 − 9 s, T0 + 1 s)
    memory.grow(1);
    const rest = buffers.advance(T0 + 10_000, Infinity, true);
    expect(rest.freed.length).toBe(n);
    expect(buffers.paneCount).toBe(0);
    expect(buffers.keyCount).toBe(0);
    buffers.dispose();
  });

  it('interns keys exactly (no two keys merge) and forgets them when their panes expire', async () => {
    const { hot } = await freshHotPaths();
    const buffers = hot.windowBuffers.create({ lengthMs: 1000, slideMs: 1000, allowedLatenessMs: 0 });
    const keys = ['a', 'b', 'ü', '😀', 'a', 'ü'];
    const slots = new Uint32Array(keys.length);
    buffers.insertMany(keys, [T0, T0, T0, T0, T0 + 1, T0 + 2], null, slots);
    expect(slots[4]).toBe(slots[0]);
    expect(slots[5]).toBe(slots[2]);
    expect(new Set(slots).size).toBe(4);
    const out = buffers.advance(-Infinity, T0 + 1000, true);
    expect(out.keys(0)).toBe(4);
    expect([0, 1, 2, 3].map((k) => out.count(0, k))).toEqual([2, 1, 2, 1]);
    expect(out.freed.length).toBe(4);
    expect(buffers.keyCount).toBe(0);
  });
});

describe('WindowStore snapshot/restore', () => {
  it('a restored store continues exactly as the uninterrupted one', async () => {
    const { hot } = await freshHotPaths();
    const list = events(4000, 30, 9);
    const whole: unknown[] = [];
    const a = new WindowStore<Ev>(spec, hot.windowBuffers);
    play(a, list, whole);
    whole.push(brief(a.drain()));
    for (const cut of [1, 1234, 2999]) {
      const split: unknown[] = [];
      const b = new WindowStore<Ev>(spec, hot.windowBuffers);
      const highest = play(b, list.slice(0, cut), split);
      const snap = JSON.parse(JSON.stringify(b.snapshot()));
      const c = WindowStore.restore<Ev>(spec, snap, hot.windowBuffers);
      expect(c.currentWatermark).toBe(b.currentWatermark);
      expect(c.openPaneCount).toBe(b.openPaneCount);
      expect([...c.events()].length).toBe([...b.events()].length);
      expect(JSON.parse(JSON.stringify(c.snapshot()))).toEqual(snap);
      play(c, list.slice(cut), split, highest);
      split.push(brief(c.drain()));
      expect(split).toEqual(whole);
    }
  });
});
