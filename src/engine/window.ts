/**
 * Event-time windows for one aggregation rule, kept in panes.
 *
 * Windows are aligned to the epoch: a window starts at every multiple of the slide and lasts the
 * length. Events are stored once, in the pane (gcd(length, slide) wide) their time falls in; a
 * window is the union of its panes. So an event costs one insertion however many sliding windows
 * overlap it, and a window's events are gathered only when it fires.
 *
 * The bookkeeping lives in WebAssembly (src/wasm/window-buffers.ts): key interning, one (pane,
 * key) slot per event with its count and value aggregates, which windows close as the watermark
 * moves and which keys have data in them, pane expiry. The events stay here, in an array per slot
 * id, so HAVING receives them. Inserts are buffered and cross into the module in batches: lateness,
 * re-fired windows and the next window end are computed here from the spec and the watermark, so
 * a batch crosses when PENDING_INSERTS have gathered, a window is due, a pane expires, or the store
 * is read.
 */
import { LATE_SLOT, type WindowBuffers, type FiredWindows, type WindowBufferFactory } from './ports.js';

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

export type InsertOutcome<E> =
  | { late: true; shed?: undefined }
  /** `shed`: not kept, the store already holding its bound of events. */
  | { late: false; shed?: boolean; refired: FiredWindow<E>[] };

export type { WindowBufferFactory } from './ports.js';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function floorTo(value: number, step: number): number {
  return Math.floor(value / step) * step;
}

/** The smallest multiple of `step` above `x`. */
function firstAbove(x: number, step: number): number {
  let s = floorTo(x, step) + step;
  if (!(s > x)) s += step;
  else if (s - step > x) s -= step;
  return s;
}

/**
 * Inserts buffered before they cross into the module (one crossing of CHUNK_EVENTS in
 * src/wasm/window-buffers.ts). Without a bound the whole of a window's inserts crossed when it
 * closed: at 100k events/s with one-minute windows, millions of inserts made that one push take
 * about a second (the web app's worker stalled for seconds at every minute), and the pending
 * arrays doubled the memory the window's events already held.
 */
export const PENDING_INSERTS = 4096;

const LATE: { late: true } = Object.freeze({ late: true });
const NONE_REFIRED: { late: false; refired: FiredWindow<never>[] } = Object.freeze({ late: false, refired: Object.freeze([]) as unknown as FiredWindow<never>[] });
const SHED: { late: false; shed: true; refired: FiredWindow<never>[] } = Object.freeze({ late: false, shed: true, refired: NONE_REFIRED.refired });

export class WindowStore<E> {
  readonly paneMs: number;
  readonly #buffers: WindowBuffers;
  readonly #value: ((event: E) => number) | undefined;
  // Per slot id (assigned by the module; cleared when it frees the slot).
  #events: (E[] | undefined)[] = [];
  #keys: (readonly unknown[] | undefined)[] = [];
  #keyTexts: (string | undefined)[] = [];
  // Inserts not yet handed to the module.
  #pTimes: number[] = [];
  #pKeyTexts: string[] = [];
  #pKeys: (readonly unknown[])[] = [];
  #pEvents: E[] = [];
  #pValues: number[] | null;
  #slotsOut = new Uint32Array(256);
  /** Every window whose end is at or before this has fired. */
  private watermark = -Infinity;
  /** The earliest end, above the watermark, of a window holding any pane; Infinity when none. */
  private nextEnd = Infinity;
  /** The earliest time at which some pane can be dropped. */
  private nextPurge = Infinity;
  /** Events held (pending or filed by slot), until their pane expires. */
  #held = 0;

  /**
   * `buffers` makes the module side (createHotPaths(...).windowBuffers); `value`, when given,
   * reads the numeric value whose sum, min and max the module keeps per pane and key.
   */
  constructor(
    readonly spec: WindowSpec,
    buffers: WindowBufferFactory,
    value?: (event: E) => number,
  ) {
    if (!(spec.lengthMs > 0) || !(spec.slideMs > 0) || spec.slideMs > spec.lengthMs) {
      throw new RangeError(`invalid window: length ${spec.lengthMs} ms, slide ${spec.slideMs} ms`);
    }
    this.paneMs = gcd(spec.lengthMs, spec.slideMs);
    this.#buffers = buffers.create(spec);
    this.#value = value;
    this.#pValues = value ? [] : null;
  }

  get currentWatermark(): number {
    return this.watermark;
  }

  /**
   * Events held in open panes (an event counts once however many sliding windows it is in): what a
   * snapshot of this store saves.
   */
  get heldEvents(): number {
    return this.#held;
  }

  get openPaneCount(): number {
    this.#flush();
    return this.#buffers.paneCount;
  }

  /**
   * Adds an event at time t. An event whose every window was already purged (older than the
   * allowed lateness) is late and not stored. Windows that already fired and still accept late
   * events fire again with the event included. With `maxHeld` events held already, the event is
   * shed: not kept (held events leave as their panes expire).
   */
  insert(t: number, keyText: string, key: readonly unknown[], event: E, maxHeld = Infinity): InsertOutcome<E> {
    const { lengthMs, slideMs, allowedLatenessMs } = this.spec;
    const wm = this.watermark;
    // The windows of t start at the multiples of the slide in (t − length, floor(t / slide)·slide].
    const latest = floorTo(t, slideMs);
    if (!(latest + lengthMs + allowedLatenessMs > wm)) return LATE;
    if (this.#held >= maxHeld) return SHED;
    this.#pTimes.push(t);
    this.#pKeyTexts.push(keyText);
    this.#pKeys.push(key);
    this.#pEvents.push(event);
    if (this.#pValues) this.#pValues.push(this.#value!(event));
    this.#held++;
    if (this.#pTimes.length >= PENDING_INSERTS) this.#flush();
    const paneExpiry = floorTo(floorTo(t, this.paneMs), slideMs) + lengthMs + allowedLatenessMs;
    if (paneExpiry < this.nextPurge) this.nextPurge = paneExpiry;
    const first = firstAbove(t - lengthMs, slideMs);
    if (latest + lengthMs > wm) {
      const open = first + lengthMs > wm ? first : Math.max(first, firstAbove(wm - lengthMs, slideMs));
      if (open + lengthMs < this.nextEnd) this.nextEnd = open + lengthMs;
    }
    if (!(first + lengthMs <= wm)) return NONE_REFIRED;
    // Some of t's windows fired already: those within the allowed lateness fire again.
    const refired: FiredWindow<E>[] = [];
    for (let s = first; s <= latest; s += slideMs) {
      const end = s + lengthMs;
      if (end > wm) break;
      if (!(end + allowedLatenessMs > wm)) continue;
      refired.push({ start: s, end, keyText, key, events: this.#eventsOf(s, keyText), update: true });
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
    this.#flush();
    const previous = this.watermark;
    this.watermark = watermark;
    return this.#collect(this.#buffers.advance(previous, watermark, true));
  }

  /** Everything still held, as if no more events will come: for end of input. */
  drain(): FiredWindow<E>[] {
    return this.advance(Infinity);
  }

  /** The open panes as plain data, for checkpoints (events must be JSON-safe). */
  snapshot(): WindowSnapshot<E> {
    this.#flush();
    return {
      watermark: Number.isFinite(this.watermark) ? this.watermark : null,
      panes: this.#buffers.dump().map(({ start, slots }) => [
        start,
        Array.from(slots, (slot): [string, readonly unknown[], E[]] => [this.#keyTexts[slot]!, this.#keys[slot]!, this.#events[slot]!]),
      ]),
    };
  }

  /** A store holding what `snapshot` saved. */
  static restore<E>(spec: WindowSpec, snapshot: WindowSnapshot<E>, buffers: WindowBufferFactory, value?: (event: E) => number): WindowStore<E> {
    const store = new WindowStore<E>(spec, buffers, value);
    for (const [start, keys] of snapshot.panes) {
      for (const [keyText, key, events] of keys) {
        for (const event of events) {
          store.#pTimes.push(start);
          store.#pKeyTexts.push(keyText);
          store.#pKeys.push(key);
          store.#pEvents.push(event);
          if (store.#pValues) store.#pValues.push(value!(event));
          store.#held++;
        }
      }
    }
    store.#flush();
    store.watermark = snapshot.watermark ?? -Infinity;
    store.#collect(store.#buffers.setWatermark(store.watermark));
    return store;
  }

  /** Every event held, for callers that must touch them (e.g. after a restore). */
  *events(): IterableIterator<E> {
    this.#flush();
    for (const events of this.#events) if (events) yield* events;
  }

  /** Frees the module memory now (otherwise it is freed when the store is collected). */
  dispose(): void {
    this.#buffers.dispose();
  }

  // Hands the buffered inserts to the module (one crossing per 4096) and files their events by slot.
  #flush(): void {
    const n = this.#pTimes.length;
    if (n === 0) return;
    if (this.#slotsOut.length < n) this.#slotsOut = new Uint32Array(Math.max(n, 2 * this.#slotsOut.length));
    const slots = this.#slotsOut;
    const keyTexts = this.#pKeyTexts;
    const pEvents = this.#pEvents;
    this.#buffers.insertMany(keyTexts, this.#pTimes, this.#pValues, slots, 0, n);
    const events = this.#events;
    for (let i = 0; i < n; i++) {
      const slot = slots[i]!;
      if (slot === LATE_SLOT) continue; // cannot happen: the module's watermark never leads ours
      const held = events[slot];
      if (held === undefined) {
        events[slot] = [pEvents[i]!];
        this.#keys[slot] = this.#pKeys[i];
        this.#keyTexts[slot] = keyTexts[i];
      } else {
        held.push(pEvents[i]!);
      }
    }
    this.#pTimes.length = 0;
    keyTexts.length = 0;
    this.#pKeys.length = 0;
    pEvents.length = 0;
    if (this.#pValues) this.#pValues.length = 0;
  }

  // The fired windows with their events (keys in order of first arrival); forgets freed slots.
  #collect(out: FiredWindows): FiredWindow<E>[] {
    const fired: FiredWindow<E>[] = [];
    const events = this.#events;
    for (let w = 0; w < out.length; w++) {
      const start = out.start(w);
      const end = out.end(w);
      const base = fired.length;
      const slots = out.slots(w);
      for (let i = 0; i < slots; i++) {
        const slot = out.slot(w, i);
        const at = base + out.slotKey(w, i);
        const held = events[slot]!;
        if (at === fired.length) {
          fired.push({ start, end, keyText: this.#keyTexts[slot]!, key: this.#keys[slot]!, events: held.slice(), update: false });
        } else {
          const into = fired[at]!.events;
          for (let j = 0; j < held.length; j++) into.push(held[j]!);
        }
      }
    }
    const freed = out.freed;
    for (let i = 0; i < freed.length; i++) {
      const slot = freed[i]!;
      this.#held -= events[slot]?.length ?? 0;
      events[slot] = undefined;
      this.#keys[slot] = undefined;
      this.#keyTexts[slot] = undefined;
    }
    this.nextEnd = out.nextEnd;
    this.nextPurge = out.nextPurge;
    return fired;
  }

  // The events of one key in window [start, start + length), pane by pane.
  #eventsOf(start: number, keyText: string): E[] {
    this.#flush();
    const events: E[] = [];
    for (const slot of this.#buffers.keySlots(keyText, start, start + this.spec.lengthMs)) {
      for (const event of this.#events[slot]!) events.push(event);
    }
    return events;
  }
}

export interface WindowSnapshot<E> {
  watermark: number | null;
  panes: [number, [string, readonly unknown[], E[]][]][];
}
