/**
 * Event time per source, Flink-style. Each source (an exporter and its observation domain, a file,
 * a partition and client, or the value of a chosen field) has its own highest event time and
 * out-of-order bound; its watermark is that time less the bound. The engine's watermark for a time
 * field is the minimum over the sources that are active, so one source running ahead — a forged
 * timestamp, an exporter with a wrong clock — cannot make every other source's events late. A
 * source silent for the idle timeout (processing time) stops holding the others back.
 *
 * An event too far ahead — of the processing clock (`maxFutureMs`) or of its own source's highest
 * time (`maxJumpMs`) — is *quarantined*: it moves no time. A source that really did jump (a replay
 * after a gap, an exporter whose clock was fixed) is believed after `jumpConfirmations` events in a
 * row agree on the new time; the events that waited for that are then released, so a legitimate
 * gap in a sparse feed loses nothing.
 */

/** Settings of event time; see EngineOptions for their meaning and defaults. */
export interface EventTimeSettings {
  outOfOrderMs: number;
  maxFutureMs: number;
  maxJumpMs: number;
  jumpConfirmations: number;
  sourceIdleMs: number;
}

/** One source's event time. */
export interface SourceTime {
  /** Highest event time accepted from the source. */
  highest: number;
  /** Its out-of-order bound: the source's watermark is `highest - outOfOrderMs`. */
  outOfOrderMs: number;
  /** Processing time of the source's last event. */
  lastSeen: number;
  /** Events quarantined (too far ahead). */
  quarantined: number;
  /** A jump being confirmed: the time it jumped to and the events (in order) that agree with it. */
  pendingJump?: { time: number; items: { item: unknown; context: unknown }[] };
}

/** Why an event moved no time. */
export type Quarantine = 'future' | 'jump';

/** The saved form of a clock (checkpoints). */
export interface EventClockSnapshot {
  value: number | null;
  sources: [string, { highest: number; outOfOrderMs: number; lastSeen: number; quarantined: number }][];
}

/**
 * The event time of one USING field. `observe` is called for every event that carries the field;
 * `value` is the field's watermark (never goes back).
 */
export class EventClock<T = unknown> {
  /** The watermark: no event earlier than this is expected any more. */
  value = -Infinity;
  private readonly sources = new Map<string, SourceTime>();
  /** Active sources ordered by watermark (a binary min-heap), so the minimum costs O(log n) per move. */
  private readonly heap: string[] = [];
  private readonly heapIndex = new Map<string, number>();

  constructor(private readonly settings: EventTimeSettings) {}

  /**
   * Takes an event's time from `source`. Returns the quarantine reason when the event is too far
   * ahead (it then moves no time, for now), else undefined — or, when this event confirms a jump,
   * the earlier events (`item`s) that waited for it, oldest first: their time is accepted now.
   * `now` is processing time; `bound` overrides the source's out-of-order bound; `trusted`
   * (re-entered alerts, whose time the engine made) skips the quarantine tests.
   */
  observe(time: number, source: string, now: number, bound?: number, trusted = false, item?: T, itemContext?: unknown): Quarantine | { item: T; context: unknown }[] | undefined {
    let s = this.sources.get(source);
    if (!trusted && time > now + this.settings.maxFutureMs) {
      if (s) s.quarantined++;
      else this.sources.set(source, (s = { highest: -Infinity, outOfOrderMs: bound ?? this.settings.outOfOrderMs, lastSeen: now, quarantined: 1 }));
      return 'future';
    }
    if (!s) {
      // A new source starts where it starts — unless that is far ahead of every other source's time.
      const reference = this.highestOfActive();
      if (!trusted && reference !== undefined && time > reference + this.settings.maxJumpMs) {
        this.sources.set(source, (s = { highest: -Infinity, outOfOrderMs: bound ?? this.settings.outOfOrderMs, lastSeen: now, quarantined: 0 }));
      } else {
        s = { highest: time, outOfOrderMs: bound ?? this.settings.outOfOrderMs, lastSeen: now, quarantined: 0 };
        this.sources.set(source, s);
        this.place(source);
        return undefined;
      }
    }
    if (bound !== undefined && bound !== s.outOfOrderMs) {
      s.outOfOrderMs = bound;
      this.place(source);
    }
    s.lastSeen = now;
    const before = s.highest;
    const reference = Number.isFinite(s.highest) ? s.highest : this.highestOfActive();
    let released: { item: T; context: unknown }[] | undefined;
    if (!trusted && reference !== undefined && time > reference + this.settings.maxJumpMs) {
      // Believe a jump only when enough events in a row agree with it.
      const pending = s.pendingJump;
      if (pending && Math.abs(time - pending.time) <= this.settings.maxJumpMs) {
        if (pending.items.length + 1 >= this.settings.jumpConfirmations) {
          released = pending.items as { item: T; context: unknown }[];
          s.quarantined -= released.length;
          s.pendingJump = undefined;
          if (s.highest < pending.time) s.highest = pending.time;
        } else {
          pending.items.push({ item, context: itemContext });
        }
      } else if (this.settings.jumpConfirmations > 1) {
        // A new candidate replaces an old one: the old one's events stay quarantined.
        s.pendingJump = { time, items: [{ item, context: itemContext }] };
      }
      if (!released && this.settings.jumpConfirmations > 1) {
        s.quarantined++;
        return 'jump';
      }
    } else if (s.pendingJump) {
      // The stream went on where it was: what jumped was an outlier.
      s.pendingJump = undefined;
    }
    if (time > s.highest) s.highest = time;
    if (s.highest !== before || !this.heapIndex.has(source)) this.place(source);
    return released;
  }

  /**
   * Drops sources idle longer than the idle timeout from the minimum (they come back with their
   * next event). Once per batch: it walks every active source.
   */
  expireIdle(now: number): void {
    const idleMs = this.settings.sourceIdleMs;
    if (!Number.isFinite(idleMs) || this.heap.length <= 1) return;
    for (const name of [...this.heap]) {
      if (this.heap.length <= 1) break;
      if (now - this.sources.get(name)!.lastSeen > idleMs) this.unplace(name);
    }
  }

  /** The watermark the active sources allow now, never lower than before. */
  advance(): number {
    if (this.heap.length) {
      const min = this.watermarkOf(this.heap[0]);
      if (min > this.value) this.value = min;
    }
    return this.value;
  }

  /** Moves the watermark up to `time` (an idle or finished input: no earlier event will come). */
  raise(time: number): void {
    if (time > this.value) this.value = time;
  }

  /** Per source: highest time, watermark, lag behind the engine's watermark, quarantined count. */
  describe(now: number): { source: string; highest: number | null; watermark: number | null; outOfOrderMs: number; idleMs: number; active: boolean; quarantined: number }[] {
    return [...this.sources].map(([source, s]) => ({
      source,
      highest: Number.isFinite(s.highest) ? s.highest : null,
      watermark: Number.isFinite(s.highest) ? s.highest - s.outOfOrderMs : null,
      outOfOrderMs: s.outOfOrderMs,
      idleMs: now - s.lastSeen,
      active: this.heapIndex.has(source),
      quarantined: s.quarantined,
    }));
  }

  get sourceCount(): number {
    return this.sources.size;
  }

  snapshot(): EventClockSnapshot {
    return {
      value: Number.isFinite(this.value) ? this.value : null,
      sources: [...this.sources].map(([name, s]) => [name, { highest: s.highest, outOfOrderMs: s.outOfOrderMs, lastSeen: s.lastSeen, quarantined: s.quarantined }]),
    };
  }

  restore(snapshot: EventClockSnapshot): void {
    this.value = snapshot.value ?? -Infinity;
    this.sources.clear();
    this.heap.length = 0;
    this.heapIndex.clear();
    for (const [name, s] of snapshot.sources) {
      // JSON turns -Infinity into null.
      const highest = typeof s.highest === 'number' ? s.highest : -Infinity;
      this.sources.set(name, { ...s, highest });
      if (Number.isFinite(highest)) this.place(name);
    }
  }

  // ── the heap of active sources by watermark ─────────────────────────────

  private watermarkOf(name: string): number {
    const s = this.sources.get(name)!;
    return s.highest - s.outOfOrderMs;
  }

  private highestOfActive(): number | undefined {
    let best: number | undefined;
    for (const name of this.heap) {
      const h = this.sources.get(name)!.highest;
      if (best === undefined || h > best) best = h;
    }
    return best;
  }

  /** Inserts the source into the heap, or moves it to where its watermark now belongs. */
  private place(name: string): void {
    let i = this.heapIndex.get(name);
    if (i === undefined) {
      i = this.heap.length;
      this.heap.push(name);
      this.heapIndex.set(name, i);
    }
    this.siftUp(i);
    this.siftDown(this.heapIndex.get(name)!);
  }

  private unplace(name: string): void {
    const i = this.heapIndex.get(name);
    if (i === undefined) return;
    const last = this.heap.pop()!;
    this.heapIndex.delete(name);
    if (i < this.heap.length) {
      this.heap[i] = last;
      this.heapIndex.set(last, i);
      this.siftUp(i);
      this.siftDown(this.heapIndex.get(last)!);
    }
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.watermarkOf(heap[parent]) <= this.watermarkOf(heap[i])) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.watermarkOf(heap[left]) < this.watermarkOf(heap[smallest])) smallest = left;
      if (right < heap.length && this.watermarkOf(heap[right]) < this.watermarkOf(heap[smallest])) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    [heap[a], heap[b]] = [heap[b], heap[a]];
    this.heapIndex.set(heap[a], a);
    this.heapIndex.set(heap[b], b);
  }
}
