/**
 * What the alert ring (GET /alerts) may hold: at most `capacity` alerts and `maxBytes` of their
 * JSON. An alert carries the events that raised it, so a count alone does not bound the memory: 58
 * alerts of 9.5 MB each held 1.8 GB under the default count. The oldest alerts go first; the newest
 * one is kept whatever its size, so every alert can be read at least once.
 */
import type { Alert } from '../engine/engine.js';

/** Default of `VIGIL_ALERT_RING_BYTES`. */
export const DEFAULT_ALERT_RING_BYTES = 64 * 1024 * 1024;

/** JSON sizes of alerts, measured once per alert object. */
const sizes = new WeakMap<object, number>();

/** Records the size of an alert whose JSON the caller has at hand. */
export function noteAlertSize(alert: Alert, jsonLength: number): void {
  sizes.set(alert, jsonLength);
}

function sizeOf(alert: Alert): number {
  let size = sizes.get(alert);
  if (size === undefined) {
    size = JSON.stringify(alert).length;
    sizes.set(alert, size);
  }
  return size;
}

/**
 * Keeps a ring within its budget. The ring is its owner's array (replaced wholesale on a restore or
 * a roll-back, appended to between): the bytes of what was appended since the last call are added;
 * a replaced array is counted again (its alerts' sizes are remembered, so that costs a look-up each).
 */
export class AlertRingBudget {
  private ring: readonly [number, Alert][] | undefined;
  private counted = 0;
  private bytes = 0;

  constructor(
    readonly capacity: number,
    readonly maxBytes: number = DEFAULT_ALERT_RING_BYTES,
  ) {}

  /** Drops the oldest alerts past the budget, in place. */
  trim(ring: [number, Alert][]): void {
    if (ring !== this.ring || ring.length < this.counted) {
      this.ring = ring;
      this.counted = 0;
      this.bytes = 0;
    }
    for (let i = this.counted; i < ring.length; i++) this.bytes += sizeOf(ring[i]![1]);
    let drop = Math.max(0, ring.length - this.capacity);
    for (let i = 0; i < drop; i++) this.bytes -= sizeOf(ring[i]![1]);
    while (this.bytes > this.maxBytes && ring.length - drop > 1) this.bytes -= sizeOf(ring[drop++]![1]);
    if (drop) ring.splice(0, drop);
    this.counted = ring.length;
  }

  /** Bytes of JSON the ring holds (as of the last trim). */
  get heldBytes(): number {
    return this.bytes;
  }
}
