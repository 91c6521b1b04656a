/**
 * Event-time windows for one aggregation rule, kept in panes.
 *
 * Windows are aligned to the epoch: a window starts at every multiple of the slide and lasts the
 * length. Events are stored once, in the pane (gcd(length, slide) wide) their time falls in; a
 * window is the union of its panes. So an event costs one insertion however many sliding windows
 * overlap it, and a window's events are gathered only when it fires.
 */

export interface WindowSpec {
  lengthMs: number;
  slideMs: number;
  /** How long after a window fires late events still update it. */
  allowedLatenessMs: number;
}

export interface FiredWindow<E> {
  start: number;
  end: number;
  keyText: string;
  key: readonly unknown[];
  events: E[];
  /** True when a late event re-fired a window that had already fired. */
  update: boolean;
}

interface KeyBucket<E> {
  key: readonly unknown[];
  events: E[];
}

export type InsertOutcome<E> =
  | { late: true }
  | { late: false; refired: FiredWindow<E>[] };

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function floorTo(value: number, step: number): number {
  return Math.floor(value / step) * step;
}

export class WindowStore<E> {
  readonly paneMs: number;
  private readonly panes = new Map<number, Map<string, KeyBucket<E>>>();
  /** Every window whose end is at or before this has fired. */
  private watermark = -Infinity;
  /** The earliest end, above the watermark, of a window holding any pane; Infinity when none. */
  private nextEnd = Infinity;
  /** The earliest time at which some pane can be dropped. */
  private nextPurge = Infinity;

  constructor(readonly spec: WindowSpec) {
    if (!(spec.lengthMs > 0) || !(spec.slideMs > 0) || spec.slideMs > spec.lengthMs) {
      throw new RangeError(`invalid window: length ${spec.lengthMs} ms, slide ${spec.slideMs} ms`);
    }
    this.paneMs = gcd(spec.lengthMs, spec.slideMs);
  }

  get currentWatermark(): number {
    return this.watermark;
  }

  get openPaneCount(): number {
    return this.panes.size;
  }

  /** Starts of the windows that contain time t, oldest first. */
  private windowStartsFor(t: number): number[] {
    const { lengthMs, slideMs } = this.spec;
    const starts: number[] = [];
    for (let s = floorTo(t, slideMs); s > t - lengthMs; s -= slideMs) starts.unshift(s);
    return starts;
  }

  /**
   * Adds an event at time t. An event whose every window was already purged (older than the
   * allowed lateness) is late and not stored. Windows that already fired and still accept late
   * events fire again with the event included.
   */
  insert(t: number, keyText: string, key: readonly unknown[], event: E): InsertOutcome<E> {
    const { lengthMs, allowedLatenessMs } = this.spec;
    const starts = this.windowStartsFor(t).filter((s) => s + lengthMs + allowedLatenessMs > this.watermark);
    if (starts.length === 0) return { late: true };
    const paneStart = floorTo(t, this.paneMs);
    let pane = this.panes.get(paneStart);
    if (!pane) {
      pane = new Map();
      this.panes.set(paneStart, pane);
    }
    let bucket = pane.get(keyText);
    if (!bucket) {
      bucket = { key, events: [] };
      pane.set(keyText, bucket);
    }
    bucket.events.push(event);
    const paneExpiry = floorTo(paneStart, this.spec.slideMs) + lengthMs + allowedLatenessMs;
    if (paneExpiry < this.nextPurge) this.nextPurge = paneExpiry;
    const refired: FiredWindow<E>[] = [];
    for (const s of starts) {
      const end = s + lengthMs;
      if (end <= this.watermark) {
        refired.push({ start: s, end, keyText, key, events: this.eventsOf(s, keyText), update: true });
      } else if (end < this.nextEnd) {
        this.nextEnd = end;
      }
    }
    return { late: false, refired };
  }

  /** Moves the watermark; returns the windows that close, in order of end, keys in order of arrival. */
  advance(watermark: number): FiredWindow<E>[] {
    if (watermark <= this.watermark) return [];
    if (watermark < this.nextEnd && watermark < this.nextPurge) {
      this.watermark = watermark;
      return [];
    }
    const previous = this.watermark;
    this.watermark = watermark;
    const fired: FiredWindow<E>[] = [];
    if (watermark >= this.nextEnd) {
      for (const end of this.endsBetween(previous, watermark)) fired.push(...this.fire(end - this.spec.lengthMs, end));
      this.nextEnd = Math.min(...this.endsBetween(watermark, Infinity).slice(0, 1), Infinity);
    }
    this.purge();
    return fired;
  }

  /** Everything still held, as if no more events will come: for end of input. */
  drain(): FiredWindow<E>[] {
    const fired = this.advance(Infinity);
    this.panes.clear();
    return fired;
  }

  /** Window ends in (after, upTo] of windows holding at least one pane, ascending. */
  private endsBetween(after: number, upTo: number): number[] {
    const { lengthMs, slideMs } = this.spec;
    const ends = new Set<number>();
    for (const paneStart of this.panes.keys()) {
      for (let s = floorTo(paneStart, slideMs); s + lengthMs > paneStart; s -= slideMs) {
        const end = s + lengthMs;
        if (end > after && end <= upTo) ends.add(end);
      }
    }
    return [...ends].sort((a, b) => a - b);
  }

  private fire(start: number, end: number): FiredWindow<E>[] {
    const byKey = new Map<string, KeyBucket<E>>();
    for (let p = start; p < end; p += this.paneMs) {
      const pane = this.panes.get(p);
      if (!pane) continue;
      for (const [keyText, bucket] of pane) {
        const into = byKey.get(keyText);
        if (into) into.events.push(...bucket.events);
        else byKey.set(keyText, { key: bucket.key, events: bucket.events.slice() });
      }
    }
    const fired: FiredWindow<E>[] = [];
    for (const [keyText, bucket] of byKey) {
      fired.push({ start, end, keyText, key: bucket.key, events: bucket.events, update: false });
    }
    return fired;
  }

  private eventsOf(start: number, keyText: string): E[] {
    const events: E[] = [];
    for (let p = start; p < start + this.spec.lengthMs; p += this.paneMs) {
      const bucket = this.panes.get(p)?.get(keyText);
      if (bucket) events.push(...bucket.events);
    }
    return events;
  }

  /** Drops panes whose last window is past the allowed lateness. */
  private purge(): void {
    const { lengthMs, slideMs, allowedLatenessMs } = this.spec;
    let nextPurge = Infinity;
    for (const paneStart of this.panes.keys()) {
      const expiry = floorTo(paneStart, slideMs) + lengthMs + allowedLatenessMs;
      if (expiry <= this.watermark) this.panes.delete(paneStart);
      else if (expiry < nextPurge) nextPurge = expiry;
    }
    this.nextPurge = nextPurge;
  }

  /** The open panes as plain data, for checkpoints (events must be JSON-safe). */
  snapshot(): WindowSnapshot<E> {
    return {
      watermark: Number.isFinite(this.watermark) ? this.watermark : null,
      panes: [...this.panes].map(([start, keys]) => [start, [...keys].map(([keyText, b]) => [keyText, b.key, b.events])]),
    };
  }

  /** A store holding what `snapshot` saved. */
  static restore<E>(spec: WindowSpec, snapshot: WindowSnapshot<E>): WindowStore<E> {
    const store = new WindowStore<E>(spec);
    for (const [start, keys] of snapshot.panes) {
      store.panes.set(start, new Map(keys.map(([keyText, key, events]) => [keyText, { key, events }])));
    }
    store.watermark = snapshot.watermark ?? -Infinity;
    store.nextEnd = store.endsBetween(store.watermark, Infinity)[0] ?? Infinity;
    store.purge();
    return store;
  }

  /** Every event held, for callers that must touch them (e.g. after a restore). */
  *events(): IterableIterator<E> {
    for (const pane of this.panes.values()) for (const bucket of pane.values()) yield* bucket.events;
  }
}

export interface WindowSnapshot<E> {
  watermark: number | null;
  panes: [number, [string, readonly unknown[], E[]][]][];
}
