/**
 * Counts values of one field of the events over a sliding window (per-second buckets), for the
 * dashboard's top source addresses, destination addresses and URLs. The value is the first of a
 * few usual fields present (`TopCounter` takes the reader; `SourceCounter` is the source-address one).
 */
export const SOURCE_FIELDS = ['src_ip', 'sourceAddress', 'source.ip', 'src', 'srcaddr', 'client_ip', 'ip'] as const;
export const DESTINATION_FIELDS = ['destinationAddress', 'destination.ip', 'dst', 'dst_ip', 'dstaddr'] as const;
export const URL_FIELDS = ['url', 'url.full', 'http.url'] as const;

/**
 * A reader of the first non-empty string among `fields` (a flat dotted key first, then the nested
 * path). The dotted paths are split once here, not per event: this runs for every event, three times.
 */
export function fieldReader(fields: readonly string[]): (event: unknown) => string | undefined {
  const plan = fields.map((field) => ({ field, path: field.includes('.') ? field.split('.') : undefined }));
  return (event) => {
    if (typeof event !== 'object' || event === null) return undefined;
    const record = event as Record<string, unknown>;
    for (const { field, path } of plan) {
      let value: unknown = record[field];
      if (value === undefined && path) {
        value = record;
        for (const k of path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[k] : undefined;
      }
      if (typeof value === 'string' && value) return value;
    }
    return undefined;
  };
}

/** The first non-empty string among `fields` (a flat dotted key first, then the nested path). */
export function firstField(event: unknown, fields: readonly string[]): string | undefined {
  return fieldReader(fields)(event);
}

/** The source address of an event. */
export const sourceAddress = fieldReader(SOURCE_FIELDS);

/** The destination address of an event. */
export const destinationAddress = fieldReader(DESTINATION_FIELDS);

const urlField = fieldReader(URL_FIELDS);

/**
 * The URL of an event: `url`, `url.full` or `http.url`; else, for HTTP events that carry a host and
 * a path (the simulator's web traffic), `host` + `path`.
 */
export function eventUrl(event: unknown): string | undefined {
  const url = urlField(event);
  if (url !== undefined || typeof event !== 'object' || event === null) return url;
  const { host, path } = event as Record<string, unknown>;
  return typeof host === 'string' && host && typeof path === 'string' && path.startsWith('/') ? `${host}${path}` : undefined;
}

/** A value and how often it was seen over the window. */
export interface TopEntry {
  address: string;
  count: number;
}

/**
 * Distinct values counted per second of the window. Beyond it a second counts only the values it
 * has already seen (the rest are tallied in `untracked`): at 100k events/s of mostly distinct
 * addresses the window would otherwise hold millions of entries. Heavy hitters show up early in
 * every second, so the top-N stays right for them; counts of rare values above the cap are low.
 */
export const MAX_VALUES_PER_SECOND = 2000;

/**
 * The top-N of one value of the events over a sliding window of whole seconds. `top()` is
 * computed at most once per second of the clock (the page asks several times a second; merging the
 * window's seconds costs time in the number of distinct values) and selects the N largest without
 * sorting every value.
 */
export class TopCounter {
  /** Slot `s % seconds` holds second `s` (stamped; a stale slot is cleared when reused). */
  private readonly slots: { second: number; counts: Map<string, number> }[];
  private newest = -1;
  /** The sum of the live slots, kept as they fill and expire (top() then reads one map). */
  private readonly totals = new Map<string, number>();
  private cached: { second: number; n: number; top: TopEntry[] } | undefined;
  /** Events whose value was not counted because their second already held MAX_VALUES_PER_SECOND values. */
  untracked = 0;

  constructor(
    private readonly read: (event: unknown) => string | undefined,
    private readonly windowSeconds = 60,
    private readonly clock: () => number = Date.now,
    private readonly maxValuesPerSecond = MAX_VALUES_PER_SECOND,
  ) {
    if (!(Number.isInteger(windowSeconds) && windowSeconds >= 1)) throw new RangeError('TopCounter needs a whole number of seconds, at least 1');
    this.slots = Array.from({ length: windowSeconds }, () => ({ second: -1, counts: new Map<string, number>() }));
  }

  /** The current second (a clock that goes back counts into the newest second seen); expires old slots. */
  private second(): number {
    const second = Math.max(this.newest, Math.floor(this.clock() / 1000));
    if (second !== this.newest) {
      this.newest = second;
      for (const slot of this.slots) if (slot.second >= 0 && slot.second <= second - this.windowSeconds) this.expire(slot);
    }
    return second;
  }

  private expire(slot: { second: number; counts: Map<string, number> }): void {
    const totals = this.totals;
    for (const [key, k] of slot.counts) {
      const left = totals.get(key)! - k;
      if (left > 0) totals.set(key, left);
      else totals.delete(key);
    }
    slot.counts.clear();
    slot.second = -1;
  }

  add(events: readonly unknown[]): void {
    const read = this.read;
    const second = this.second();
    const slot = this.slots[second % this.windowSeconds]!;
    if (slot.second !== second) {
      if (slot.second >= 0) this.expire(slot);
      slot.second = second;
    }
    const counts = slot.counts;
    const totals = this.totals;
    for (const event of events) {
      const value = read(event);
      if (value === undefined) continue;
      const n = counts.get(value);
      if (n !== undefined) counts.set(value, n + 1);
      else if (counts.size < this.maxValuesPerSecond) counts.set(value, 1);
      else {
        this.untracked++;
        continue;
      }
      totals.set(value, (totals.get(value) ?? 0) + 1);
    }
  }

  /** The `n` most frequent values over the window, most frequent first (ties by value). */
  top(n = 10): TopEntry[] {
    if (!(n >= 1)) return [];
    const second = this.second();
    const c = this.cached;
    if (c && c.second === second && c.n === n) return c.top;
    const totals = this.totals;
    const before = (x: TopEntry, y: TopEntry) => y.count - x.count || (x.address < y.address ? -1 : x.address > y.address ? 1 : 0);
    // The n best so far, kept sorted; most values fall below the last one and cost one comparison.
    const best: TopEntry[] = [];
    for (const [address, count] of totals) {
      const entry = { address, count };
      if (best.length === n && before(entry, best[n - 1]!) >= 0) continue;
      let i = best.length;
      while (i > 0 && before(entry, best[i - 1]!) < 0) i--;
      best.splice(i, 0, entry);
      if (best.length > n) best.pop();
    }
    this.cached = { second, n, top: best };
    return best;
  }
}

/** Top source addresses (kept for existing callers). */
export class SourceCounter extends TopCounter {
  constructor(windowSeconds = 60, clock: () => number = Date.now) {
    super(sourceAddress, windowSeconds, clock);
  }
}

/** Top sources, destinations and URLs, fed together. */
export class TrafficTops {
  readonly sources: TopCounter;
  readonly destinations: TopCounter;
  readonly urls: TopCounter;

  constructor(windowSeconds = 60, clock: () => number = Date.now) {
    this.sources = new TopCounter(sourceAddress, windowSeconds, clock);
    this.destinations = new TopCounter(destinationAddress, windowSeconds, clock);
    this.urls = new TopCounter(eventUrl, windowSeconds, clock);
  }

  add(events: readonly unknown[]): void {
    this.sources.add(events);
    this.destinations.add(events);
    this.urls.add(events);
  }
}
