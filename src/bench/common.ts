/**
 * What every benchmark module returns and the helpers they share. Runtime-agnostic: no Node or
 * DOM APIs (time from `performance.now()`), so the same code runs under `node bench/*.mjs` and in
 * the web app's Benchmarks view.
 */

/** One benchmark's figures: a table (rows of named cells) and notes on how to read it. */
export interface BenchResult {
  /** Column names, in display order (every row has these keys). */
  columns: string[];
  rows: Record<string, string | number>[];
  notes: string[];
}

/** Progress callback: a short message between phases (setup, each repetition). */
export type Progress = (message: string) => void;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** mulberry32: a seeded PRNG, so every run draws the same data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Milliseconds, monotonic. */
export const now = (): number => performance.now();
