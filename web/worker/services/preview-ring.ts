/**
 * The live stream's recent past, for rule previews: every event the live engine is given (the
 * simulator's and the page's), with the processing time it came, for PREVIEW_RING_MINUTES and at
 * most PREVIEW_RING_MAX_EVENTS events and about PREVIEW_RING_MAX_BYTES (whichever bound is reached
 * first). A circular array of references (no copy: the engine does not change events); the size in
 * bytes is estimated from one event in SIZE_SAMPLE serialised, so the hot path stays cheap.
 */
import {
  PREVIEW_RING_MAX_BYTES,
  PREVIEW_RING_MAX_EVENTS,
  PREVIEW_RING_MINUTES,
  type PreviewRingInfo,
} from '../../../src/runtime/worker/protocol.js';

/** One event in this many is serialised to estimate the bytes held. */
const SIZE_SAMPLE = 64;
/** Before the first sample: a small event. */
const INITIAL_EVENT_BYTES = 200;

export class PreviewRing {
  private readonly events: unknown[];
  private readonly times: Float64Array;
  /** Index of the oldest, and how many are held. */
  private head = 0;
  private count = 0;
  private seen = 0;
  private averageBytes = INITIAL_EVENT_BYTES;

  constructor(
    private readonly now: () => number,
    readonly maxEvents = PREVIEW_RING_MAX_EVENTS,
    readonly maxBytes = PREVIEW_RING_MAX_BYTES,
    readonly minutes = PREVIEW_RING_MINUTES,
  ) {
    this.events = new Array(maxEvents);
    this.times = new Float64Array(maxEvents);
  }

  add(events: readonly unknown[]): void {
    const t = this.now();
    for (const event of events) {
      if (this.seen++ % SIZE_SAMPLE === 0) this.sampleSize(event);
      const slot = (this.head + this.count) % this.maxEvents;
      this.events[slot] = event;
      this.times[slot] = t;
      if (this.count < this.maxEvents) this.count++;
      else this.head = (this.head + 1) % this.maxEvents;
    }
    this.trim(t);
  }

  /** The events of the last `minutes` (at most the ring's), oldest first. */
  recent(minutes = this.minutes): unknown[] {
    const now = this.now();
    this.trim(now);
    const since = now - Math.min(minutes, this.minutes) * 60_000;
    const out: unknown[] = [];
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head + i) % this.maxEvents;
      if (this.times[slot]! >= since) out.push(this.events[slot]);
    }
    return out;
  }

  info(): PreviewRingInfo {
    this.trim(this.now());
    const oldest = this.count ? this.times[this.head] : undefined;
    const newest = this.count ? this.times[(this.head + this.count - 1) % this.maxEvents] : undefined;
    return {
      events: this.count,
      bytes: Math.round(this.count * this.averageBytes),
      ...(oldest !== undefined ? { oldest } : {}),
      ...(newest !== undefined ? { newest } : {}),
      minutes: this.minutes,
      maxEvents: this.maxEvents,
      maxBytes: this.maxBytes,
    };
  }

  clear(): void {
    this.events.fill(undefined);
    this.head = 0;
    this.count = 0;
  }

  /** Drops what is older than the window or over the byte bound. */
  private trim(now: number): void {
    const oldestKept = now - this.minutes * 60_000;
    const maxByBytes = Math.max(1, Math.floor(this.maxBytes / this.averageBytes));
    while (this.count > 0 && (this.times[this.head]! < oldestKept || this.count > maxByBytes)) {
      this.events[this.head] = undefined;
      this.head = (this.head + 1) % this.maxEvents;
      this.count--;
    }
  }

  private sampleSize(event: unknown): void {
    let bytes: number;
    try {
      bytes = JSON.stringify(event)?.length ?? 0;
    } catch {
      bytes = INITIAL_EVENT_BYTES;
    }
    // A moving average over the samples: the mix of events changes slowly.
    this.averageBytes = this.averageBytes * 0.9 + Math.max(16, bytes) * 0.1;
  }
}
