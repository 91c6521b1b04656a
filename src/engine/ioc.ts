/**
 * IOC sets: named sets of indicators (IPs, domains, hashes…) tested by `IOC FILTERS`.
 * The engine only sees this interface; the implementation is the WebAssembly cuckoo filter in
 * assembly/ (src/wasm/cuckoo.ts), handed to the engine by the runtime that loaded it.
 */

export interface IocSetOptions {
  /** Expected number of entries; the set grows past it, it only sizes the first allocation. */
  capacity?: number;
  /** Target false-positive rate, e.g. 0.001. Chooses the fingerprint size. */
  falsePositiveRate?: number;
}

export interface IocSet {
  /** Adds entries; never loses one (the table grows when it must). */
  add(entries: readonly string[]): void;
  /** Removes entries that were added; returns how many were removed. */
  remove(entries: readonly string[]): number;
  /** True when the entry may be in the set: never false for an entry that was added. */
  has(entry: string): boolean;
  /** Membership of many entries at once: 1 when possibly present, 0 when certainly absent. */
  hasMany(entries: readonly string[]): Uint8Array;
  /** Number of entries held. */
  readonly count: number;
  /** Bytes of memory the set uses. */
  readonly byteSize: number;
  /** The filter as bytes (no entries stored), for checkpoints and sharing. */
  serialize(): Uint8Array;
  /** Frees the set's memory; the set must not be used afterwards. */
  dispose(): void;
}

export interface IocSetFactory {
  create(options?: IocSetOptions): IocSet;
  deserialize(bytes: Uint8Array): IocSet;
}
