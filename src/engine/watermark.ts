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
 *
 * The first times of a clock have nothing to be compared with: the very first event, forged, would
 * set every source's reference and make all the events after it late. So a clock *starts* only
 * once `jumpConfirmations` events agree (within `maxJumpMs` of each other) on where time is: until
 * then its events enter their windows as usual but no source moves the watermark. The events are
 * grouped by the time they agree on (at most START_CLUSTERS groups; a new time replaces the group
 * with fewest events), so an attacker interleaving forged times among honest ones does not stop the
 * honest group from starting the clock; after START_EVENTS events the largest group starts it
 * anyway. The sources of the starting group begin at their highest time in it; events of the other
 * groups moved no time and are reported (`vigil.future`, reason `start`).
 */

/** Settings of event time; see EngineOptions for their meaning and defaults. */
export interface EventTimeSettings {
  outOfOrderMs: number;
  maxFutureMs: number;
  maxJumpMs: number;
  jumpConfirmations: number;
  sourceIdleMs: number;
  /** Sources tracked per field; past it, idle ones are forgotten, then new ones share OVERFLOW_SOURCE. */
  maxSources: number;
}

/**
 * Where events of new sources go once `maxSources` are tracked and none is idle: a source name is
 * often attacker-chosen (a field of the event, a spoofed exporter address), and each would otherwise
 * cost memory and a place in the heap.
 */
export const OVERFLOW_SOURCE = '(other sources)';

/** One source's event time. */
export interface SourceTime {
  readonly name: string;
  /** Where the source sits in the heap of active sources; -1 when idle (or not started). */
  heapAt: number;
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

/** Groups of agreeing times kept while a clock starts (see the file comment). */
const START_CLUSTERS = 8;
/** Events after which a starting clock starts with its largest group even if none has reached `jumpConfirmations`. */
const START_EVENTS = 1000;

/** Times agreeing (within maxJumpMs of `at`, the group's first) while a clock starts. */
interface StartGroup {
  at: number;
  events: number;
  /** Per source, its highest time in the group. */
  highest: Map<string, number>;
}

/** How a clock started: the time it started at and the events whose times disagreed (they moved no time). */
export interface ClockStart {
  time: number;
  outliers: { time: number; events: number }[];
}

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
  private readonly heap: SourceTime[] = [];
  /** The source of the previous event: most batches come from one source. */
  private last?: SourceTime;
  /** The highest time accepted from any source: what a new source's first time is compared with. */
  private newest = -Infinity;
  /** Whether the idle sources were already forgotten since the last expireIdle (one sweep per batch). */
  private sweptWhenFull = false;
  /** While the clock starts: the groups of agreeing times so far (undefined once started). */
  private starting?: { groups: StartGroup[]; events: number };
  /** How the clock started, until `takeStart` hands it over (for the engine's report). */
  private started?: ClockStart;

  constructor(private readonly settings: EventTimeSettings) {}

  /**
   * Takes an event's time from `source`. Returns the quarantine reason when the event is too far
   * ahead (it then moves no time, for now), else undefined — or, when this event confirms a jump,
   * the earlier events (`item`s) that waited for it, oldest first: their time is accepted now.
   * `now` is processing time; `bound` overrides the source's out-of-order bound; `trusted`
   * (re-entered alerts, whose time the engine made) skips the quarantine tests.
   */
  observe(time: number, source: string, now: number, bound?: number, trusted = false, item?: T, itemContext?: unknown): Quarantine | { item: T; context: unknown }[] | undefined {
    let s = this.last !== undefined && this.last.name === source ? this.last : this.sources.get(source);
    if (s === undefined && this.sources.size >= this.settings.maxSources) {
      source = this.roomFor(source);
      s = this.sources.get(source);
    }
    if (!trusted && time > now + this.settings.maxFutureMs) {
      if (s) s.quarantined++;
      else this.sources.set(source, (s = this.newSource(source, -Infinity, bound, now, 1)));
      return 'future';
    }
    if (!trusted && this.settings.jumpConfirmations > 1 && (this.starting !== undefined || (this.newest === -Infinity && this.heap.length === 0))) {
      if (!s) this.sources.set(source, (s = this.newSource(source, -Infinity, bound, now, 0)));
      else s.lastSeen = now;
      if (bound !== undefined) s.outOfOrderMs = bound;
      this.last = s;
      this.startWith(time, source);
      return undefined;
    }
    if (!s) {
      // A new source starts where it starts — unless that is far ahead of every other source's time.
      const reference = Number.isFinite(this.newest) ? this.newest : undefined;
      if (!trusted && reference !== undefined && time > reference + this.settings.maxJumpMs) {
        this.sources.set(source, (s = this.newSource(source, -Infinity, bound, now, 0)));
      } else {
        this.sources.set(source, (s = this.newSource(source, time, bound, now, 0)));
        if (time > this.newest) this.newest = time;
        this.place(s);
        this.last = s;
        return undefined;
      }
    }
    this.last = s;
    if (bound !== undefined && bound !== s.outOfOrderMs) {
      s.outOfOrderMs = bound;
      if (s.heapAt >= 0) this.place(s);
    }
    s.lastSeen = now;
    const before = s.highest;
    const reference = Number.isFinite(s.highest) ? s.highest : Number.isFinite(this.newest) ? this.newest : undefined;
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
    if (s.highest > this.newest) this.newest = s.highest;
    if (s.highest !== before || s.heapAt < 0) this.place(s);
    return released;
  }

  /** One more time while the clock starts: into its group; the clock starts when a group is large enough. */
  private startWith(time: number, source: string): void {
    const starting = (this.starting ??= { groups: [], events: 0 });
    starting.events++;
    let group = starting.groups.find((g) => Math.abs(time - g.at) <= this.settings.maxJumpMs);
    if (!group) {
      if (starting.groups.length >= START_CLUSTERS) {
        let fewest = 0;
        for (let i = 1; i < starting.groups.length; i++) if (starting.groups[i]!.events < starting.groups[fewest]!.events) fewest = i;
        starting.groups.splice(fewest, 1);
      }
      group = { at: time, events: 0, highest: new Map() };
      starting.groups.push(group);
    }
    group.events++;
    const highest = group.highest.get(source);
    if (highest === undefined || time > highest) group.highest.set(source, time);
    if (group.events >= this.settings.jumpConfirmations || starting.events >= START_EVENTS) this.start();
  }

  /** Starts the clock with its largest group: its sources begin at their highest time in it. */
  private start(): void {
    const groups = this.starting!.groups;
    let chosen = groups[0]!;
    for (const g of groups) if (g.events > chosen.events) chosen = g;
    this.starting = undefined;
    for (const [name, highest] of chosen.highest) {
      const s = this.sources.get(name);
      if (!s) continue;
      s.highest = highest;
      if (highest > this.newest) this.newest = highest;
      this.place(s);
    }
    this.started = { time: chosen.at, outliers: groups.filter((g) => g !== chosen).map((g) => ({ time: g.at, events: g.events })) };
  }

  /** How the clock started, once (undefined when it has not, or was already told). */
  takeStart(): ClockStart | undefined {
    const started = this.started;
    this.started = undefined;
    return started;
  }

  /**
   * Drops sources idle longer than the idle timeout from the minimum (they come back with their
   * next event). Once per batch: it walks every active source.
   */
  expireIdle(now: number): void {
    this.sweptWhenFull = false;
    const idleMs = this.settings.sourceIdleMs;
    if (!Number.isFinite(idleMs) || this.heap.length <= 1) return;
    for (const s of [...this.heap]) {
      if (this.heap.length <= 1) break;
      if (now - s.lastSeen > idleMs) this.unplace(s);
    }
  }

  /** The watermark the active sources allow now, never lower than before. */
  advance(): number {
    if (this.heap.length) {
      const min = watermarkOf(this.heap[0]);
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
      active: s.heapAt >= 0,
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
    this.last = undefined;
    this.newest = -Infinity;
    for (const [name, saved] of snapshot.sources) {
      // JSON turns -Infinity into null.
      const highest = typeof saved.highest === 'number' ? saved.highest : -Infinity;
      const s = this.newSource(name, highest, saved.outOfOrderMs, saved.lastSeen, saved.quarantined);
      this.sources.set(name, s);
      if (Number.isFinite(highest)) this.place(s);
      if (highest > this.newest) this.newest = highest;
    }
  }

  // ── the heap of active sources by watermark ─────────────────────────────

  private newSource(name: string, highest: number, bound: number | undefined, now: number, quarantined: number): SourceTime {
    return { name, heapAt: -1, highest, outOfOrderMs: bound ?? this.settings.outOfOrderMs, lastSeen: now, quarantined };
  }

  /**
   * The source a new one's events are counted under when `maxSources` are tracked: the table is
   * swept of idle sources (not holding the watermark, no jump pending) once per batch; if that makes
   * no room, the new source shares OVERFLOW_SOURCE with the others that came too late.
   */
  private roomFor(source: string): string {
    if (!this.sweptWhenFull) {
      this.sweptWhenFull = true;
      for (const [name, s] of this.sources) if (s.heapAt < 0 && !s.pendingJump && s !== this.last) this.sources.delete(name);
    }
    return this.sources.size < this.settings.maxSources ? source : OVERFLOW_SOURCE;
  }

  /** Inserts the source into the heap, or moves it to where its watermark now belongs. */
  private place(s: SourceTime): void {
    if (s.heapAt < 0) {
      s.heapAt = this.heap.length;
      this.heap.push(s);
    }
    if (this.heap.length === 1) return;
    this.siftUp(s.heapAt);
    this.siftDown(s.heapAt);
  }

  private unplace(s: SourceTime): void {
    const i = s.heapAt;
    if (i < 0) return;
    const last = this.heap.pop()!;
    s.heapAt = -1;
    if (last !== s) {
      this.heap[i] = last;
      last.heapAt = i;
      this.siftUp(i);
      this.siftDown(last.heapAt);
    }
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (watermarkOf(heap[parent]) <= watermarkOf(heap[i])) break;
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
      if (left < heap.length && watermarkOf(heap[left]) < watermarkOf(heap[smallest])) smallest = left;
      if (right < heap.length && watermarkOf(heap[right]) < watermarkOf(heap[smallest])) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    const x = heap[a];
    heap[a] = heap[b];
    heap[b] = x;
    heap[a].heapAt = a;
    heap[b].heapAt = b;
  }
}

function watermarkOf(s: SourceTime): number {
  return s.highest - s.outOfOrderMs;
}
