/** Event time: what USING reads, and the clock that stands in for it without USING. */

/** Milliseconds since the epoch, from a number (epoch ms) or an ISO-8601 string; undefined otherwise. */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value === 'number') return inRange(value);
  if (typeof value === 'string' && value.length > 0) {
    // Numeric strings are epoch ms: some exporters quote every value.
    if (/^-?\d+(\.\d+)?$/.test(value)) return inRange(Number(value));
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/**
 * Times a JavaScript Date can hold (±100,000,000 days around 1970, as Date.parse accepts): a number
 * past that (1e22, 1e300, a 400-digit string) is no time, reported like any unusable time rather
 * than handed to window arithmetic that cannot represent it.
 */
const MAX_EVENT_TIME_MS = 8.64e15;
function inRange(ms: number): number | undefined {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_EVENT_TIME_MS ? ms : undefined;
}

/** The source of processing time. Injected, because on the edge `Date.now()` stands still within a request. */
export type Clock = () => number;

/** A clock that only moves when told to: for tests, replays and edge runtimes. */
export class ManualClock {
  constructor(private nowMs = 0) {}
  readonly now: Clock = () => this.nowMs;
  set(ms: number): void {
    this.nowMs = ms;
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
}
