// memory.grow detaches every ArrayBuffer view of the old memory: the bindings must re-create
// their views whenever a call may have grown it. These tests force growth at the awkward moments.
import { describe, expect, it } from 'vitest';
import { hexKeys, freshHotPaths } from './build-wasm.js';

const countTrue = (bits: Uint8Array) => bits.reduce((n, b) => n + b, 0);

describe('bindings across memory growth', () => {
  it('survives growth in the middle of one add batch', async () => {
    const { hot, memory } = await freshHotPaths();
    const set = hot.iocSets.create({ capacity: 16, falsePositiveRate: 0.001 });
    const keys = hexKeys(300_000, 3);
    const before = memory.buffer;
    const pagesBefore = before.byteLength / 65536;
    set.add(keys); // one call, ~600 chunks: levels are allocated between chunks of the same batch
    expect(memory.buffer).not.toBe(before);
    expect(before.byteLength).toBe(0); // the old buffer is detached
    expect(memory.buffer.byteLength / 65536).toBeGreaterThan(pagesBefore);
    expect(set.count).toBe(keys.length);
    expect(countTrue(set.hasMany(keys))).toBe(keys.length);
    expect(set.has(keys[123_456]!)).toBe(true);
  });

  it('re-creates views after growth caused elsewhere (another set, or the host)', async () => {
    const { hot, memory } = await freshHotPaths();
    const a = hot.iocSets.create({ capacity: 100 });
    a.add(['x', 'y']);
    expect(a.has('x')).toBe(true); // views now cached
    const b = hot.iocSets.create({ capacity: 2_000_000 }); // grows memory
    memory.grow(3); // and the host grows it again
    expect(a.has('x')).toBe(true);
    expect(a.has('z')).toBe(false);
    expect(a.hasMany(['y', 'z'])).toEqual(new Uint8Array([1, 0]));
    const bytes = a.serialize();
    memory.grow(1);
    const c = hot.iocSets.deserialize(bytes);
    expect(c.has('y')).toBe(true);
    b.dispose();
  });

  it('survives growth during hasMany/remove of large keys (scratch reallocated)', async () => {
    const { hot, memory } = await freshHotPaths();
    const set = hot.iocSets.create({ capacity: 1000 });
    const big = Array.from({ length: 8 }, (_, i) => `${i}:` + 'k'.repeat(400_000 + i)); // > scratch
    const before = memory.buffer;
    set.add(big);
    expect(memory.buffer).not.toBe(before);
    expect(set.hasMany(big)).toEqual(new Uint8Array(8).fill(1));
    expect(set.has(big[7]!)).toBe(true);
    memory.grow(1);
    expect(set.remove(big)).toBe(8);
    expect(set.count).toBe(0);
  });
});
