/**
 * The recent history of keys, bounded: the last `perKey` items of each of at most `maxKeys` keys
 * (least recently updated keys go first), plus up to `maxPinned` pinned keys (watched in the
 * debugger, or recently alerted) that the general eviction does not touch.
 */
export class TrailBuffer<T> {
  private readonly trails = new Map<string, T[]>();
  /** Pinned keys, least recently pinned first. */
  private readonly pinned = new Set<string>();
  private unpinnedCount = 0;

  constructor(
    readonly perKey = 32,
    readonly maxKeys = 1500,
    readonly maxPinned = 256,
  ) {
    if (perKey < 1 || maxKeys < 1 || maxPinned < 0) throw new RangeError('TrailBuffer sizes must be positive');
  }

  add(key: string, item: T): void {
    let trail = this.trails.get(key);
    if (trail) {
      // Re-insert: the Map's order is the order of last update.
      this.trails.delete(key);
    } else {
      trail = [];
      if (!this.pinned.has(key)) this.unpinnedCount++;
    }
    trail.push(item);
    if (trail.length > this.perKey) trail.splice(0, trail.length - this.perKey);
    this.trails.set(key, trail);
    this.evict();
  }

  /** Oldest first; empty for an unknown key. */
  get(key: string): readonly T[] {
    return this.trails.get(key) ?? [];
  }

  has(key: string): boolean {
    return this.trails.has(key);
  }

  /** Keeps the key's trail regardless of other keys' traffic (the oldest pin goes past `maxPinned`). */
  pin(key: string): void {
    if (this.pinned.has(key)) {
      this.pinned.delete(key);
      this.pinned.add(key);
      return;
    }
    this.pinned.add(key);
    if (this.trails.has(key)) this.unpinnedCount--;
    while (this.pinned.size > this.maxPinned) {
      const oldest = this.pinned.values().next().value as string;
      this.unpin(oldest);
    }
    this.evict();
  }

  unpin(key: string): void {
    if (!this.pinned.delete(key)) return;
    if (this.trails.has(key)) this.unpinnedCount++;
    this.evict();
  }

  isPinned(key: string): boolean {
    return this.pinned.has(key);
  }

  /** Pinned keys, most recently pinned first. */
  pinnedKeys(): string[] {
    return [...this.pinned].reverse();
  }

  /** Keys with a trail, most recently updated first. */
  keys(): string[] {
    return [...this.trails.keys()].reverse();
  }

  get size(): number {
    return this.trails.size;
  }

  clear(): void {
    this.trails.clear();
    this.pinned.clear();
    this.unpinnedCount = 0;
  }

  /**
   * Over the bound, drops the least recently updated unpinned keys down to maxKeys less a sixteenth:
   * finding them walks the Map from its start, past the holes its re-inserts leave, so one walk per
   * new key cost ~1,500 steps each at 100k events/s; one walk per ~90 new keys costs 1/90 of that.
   */
  private evict(): void {
    if (this.unpinnedCount <= this.maxKeys) return;
    const target = this.maxKeys - Math.floor(this.maxKeys / 16);
    for (const key of this.trails.keys()) {
      if (this.unpinnedCount <= target) break;
      if (this.pinned.has(key)) continue;
      this.trails.delete(key);
      this.unpinnedCount--;
    }
  }
}
