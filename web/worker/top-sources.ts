/**
 * Counts values of one field of the events over a sliding window (per-second buckets), for the
 * dashboard's top source addresses, destination addresses and URLs. The value is the first of a
 * few usual fields present (`TopCounter` takes the reader; `SourceCounter` is the source-address one).
 */
import { SlidingCounts } from '../../src/engine/rate-meter.js';

export const SOURCE_FIELDS = ['src_ip', 'sourceAddress', 'source.ip', 'src', 'srcaddr', 'client_ip', 'ip'] as const;
export const DESTINATION_FIELDS = ['destinationAddress', 'destination.ip', 'dst', 'dst_ip', 'dstaddr'] as const;
export const URL_FIELDS = ['url', 'url.full', 'http.url'] as const;

/** The first non-empty string among `fields` (a flat dotted key first, then the nested path). */
export function firstField(event: unknown, fields: readonly string[]): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const record = event as Record<string, unknown>;
  for (const field of fields) {
    let value: unknown = record[field];
    if (value === undefined && field.includes('.')) {
      value = field.split('.').reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined), record);
    }
    if (typeof value === 'string' && value) return value;
  }
  return undefined;
}

/** The source address of an event. */
export function sourceAddress(event: unknown): string | undefined {
  return firstField(event, SOURCE_FIELDS);
}

/** The destination address of an event. */
export function destinationAddress(event: unknown): string | undefined {
  return firstField(event, DESTINATION_FIELDS);
}

/**
 * The URL of an event: `url`, `url.full` or `http.url`; else, for HTTP events that carry a host and
 * a path (the simulator's web traffic), `host` + `path`.
 */
export function eventUrl(event: unknown): string | undefined {
  const url = firstField(event, URL_FIELDS);
  if (url !== undefined || typeof event !== 'object' || event === null) return url;
  const { host, path } = event as Record<string, unknown>;
  return typeof host === 'string' && host && typeof path === 'string' && path.startsWith('/') ? `${host}${path}` : undefined;
}

/** A value and how often it was seen over the window. */
export interface TopEntry {
  address: string;
  count: number;
}

/** The top-N of one value of the events over a sliding window of whole seconds. */
export class TopCounter {
  private readonly counts: SlidingCounts<string>;

  constructor(
    private readonly read: (event: unknown) => string | undefined,
    windowSeconds = 60,
    clock: () => number = Date.now,
  ) {
    this.counts = new SlidingCounts(clock, windowSeconds);
  }

  add(events: readonly unknown[]): void {
    const read = this.read;
    for (const event of events) {
      const value = read(event);
      if (value !== undefined) this.counts.add(value);
    }
  }

  /** The `n` most frequent values over the window, most frequent first (ties by value). */
  top(n = 10): TopEntry[] {
    return [...this.counts.totals()]
      .map(([address, count]) => ({ address, count }))
      .sort((x, y) => y.count - x.count || (x.address < y.address ? -1 : x.address > y.address ? 1 : 0))
      .slice(0, n);
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
