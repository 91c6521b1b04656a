/**
 * Counts source addresses of the events over a sliding window (per-second buckets), for the
 * dashboard's "top source addresses". The address is the first of a few usual fields present.
 */

export const SOURCE_FIELDS = ['src_ip', 'sourceAddress', 'source.ip', 'src', 'srcaddr', 'client_ip', 'ip'] as const;

/** The source address of an event: flat dotted key first, then the nested path. */
export function sourceAddress(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const record = event as Record<string, unknown>;
  for (const field of SOURCE_FIELDS) {
    let value: unknown = record[field];
    if (value === undefined && field.includes('.')) {
      value = field.split('.').reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined), record);
    }
    if (typeof value === 'string' && value) return value;
  }
  return undefined;
}

export class SourceCounter {
  private readonly buckets: Map<string, number>[];
  private second = -1;

  constructor(
    private readonly windowSeconds = 60,
    private readonly clock: () => number = Date.now,
  ) {
    this.buckets = Array.from({ length: windowSeconds }, () => new Map());
  }

  add(events: readonly unknown[]): void {
    const bucket = this.roll();
    for (const event of events) {
      const address = sourceAddress(event);
      if (address !== undefined) bucket.set(address, (bucket.get(address) ?? 0) + 1);
    }
  }

  /** The `n` most frequent addresses over the window, most frequent first (ties by address). */
  top(n = 10): { address: string; count: number }[] {
    this.roll();
    const totals = new Map<string, number>();
    for (const bucket of this.buckets) for (const [a, c] of bucket) totals.set(a, (totals.get(a) ?? 0) + c);
    return [...totals]
      .map(([address, count]) => ({ address, count }))
      .sort((x, y) => y.count - x.count || (x.address < y.address ? -1 : 1))
      .slice(0, n);
  }

  private roll(): Map<string, number> {
    const now = Math.floor(this.clock() / 1000);
    const size = this.windowSeconds;
    if (this.second < 0 || now - this.second >= size) {
      for (const b of this.buckets) b.clear();
    } else {
      for (let s = this.second + 1; s <= now; s++) this.buckets[s % size]!.clear();
    }
    this.second = Math.max(this.second, now);
    return this.buckets[this.second % size]!;
  }
}
