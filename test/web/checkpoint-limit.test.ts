/** Engine checkpoints over MAX_CHECKPOINT_BYTES are refused with the reason, and the last one saved stays. */
import { describe, expect, it } from 'vitest';
import { MAX_CHECKPOINT_BYTES, MemoryStore } from '../../web/worker/persistence.js';
import { STORE_FORMAT, type CheckpointRecord } from '../../web/worker/records.js';

const record = (bytes: number, time: number): CheckpointRecord => ({ format: STORE_FORMAT, time, bytes: new Uint8Array(bytes), signature: 's' });

describe('checkpoint size limit', () => {
  it('writes one at the limit, refuses one byte more and keeps the last one written', async () => {
    const store = new MemoryStore();
    await store.writeCheckpoint(record(MAX_CHECKPOINT_BYTES, 1));
    await expect(store.writeCheckpoint(record(MAX_CHECKPOINT_BYTES + 1, 2))).rejects.toThrow(/over the 64 MiB limit/);
    const kept = await store.readCheckpoint();
    expect(kept?.time).toBe(1);
    expect(kept?.bytes.byteLength).toBe(MAX_CHECKPOINT_BYTES);
  });
});
