/**
 * The Sigma prefilter's matchers over the WebAssembly Aho–Corasick scan (assembly/aho-corasick.ts).
 *
 * The automaton is built here, by the JavaScript construction (src/sigma/prefilter-automaton.ts)
 * run over the patterns' UTF-8 bytes, and its tables copied into the module's memory once. A scan
 * encodes the text into the shared scratch buffer with one `TextEncoder.encodeInto` and the module
 * walks the bytes. Over UTF-8 a pattern occurs in a text exactly when its characters do (UTF-8 is
 * self-synchronising); a lone surrogate becomes U+FFFD on both sides, which can only report a
 * pattern that is absent, never miss one.
 *
 * Not what the engine uses: bench/sigma-ac.mjs measures this scan at 1.4–1.65× the JavaScript one
 * (CPU time, command lines of ~140 units), but in the engine, where most values are short (Image,
 * OriginalFileName, User…), the per-scan cost of encoding into linear memory and crossing evens it
 * out (bench/sigma.mjs: no difference within the noise of a shared machine), so the engine keeps
 * the JavaScript automaton, which needs no memory outside the heap. `LiteralPrefilter` takes this
 * factory as an option (the tests run the corpus through both).
 */
import { AhoCorasick, AutomatonTooLarge, type PatternMatcher, type PatternMatcherFactory } from '../sigma/prefilter-automaton.js';
import type { VigilExports } from './exports.js';
import type { Scratch } from './scratch.js';

const encoder = new TextEncoder();

/** A UTF-8 byte string: one code unit per byte, so the JavaScript construction builds a byte automaton. */
function bytesOf(text: string): string {
  const bytes = encoder.encode(text);
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}

/** Automata freed when their matcher is collected without `dispose` (a router dropped whole). */
const collected = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<() => void>((free) => free()) : undefined;

class WasmPatternMatcher implements PatternMatcher {
  readonly patternCount: number;
  readonly stateCount: number;
  readonly byteSize: number;
  #handle: number;
  readonly #ex: VigilExports;
  readonly #scratch: Scratch;
  /** Empty patterns (present in every text; the byte automaton leaves them out). */
  readonly #empty: number[] = [];

  constructor(ex: VigilExports, scratch: Scratch, patterns: readonly string[], limits: { maxPatterns: number; maxPatternUnits: number }) {
    // The limits are the caller's, on the patterns as given (the byte automaton may be larger).
    let units = 0;
    for (const p of patterns) units += p.length;
    if (patterns.length > limits.maxPatterns) throw new AutomatonTooLarge(`${patterns.length} patterns, more than the limit of ${limits.maxPatterns}`);
    if (units > limits.maxPatternUnits) throw new AutomatonTooLarge(`${units} code units of patterns, more than the limit of ${limits.maxPatternUnits}`);
    patterns.forEach((p, id) => p === '' && this.#empty.push(id));
    // Every byte its own class: the module's dense rows have no shared class.
    const automaton = new AhoCorasick(patterns.map(bytesOf), { maxPatterns: limits.maxPatterns, maxPatternUnits: limits.maxPatternUnits * 3 }, 256);
    const t = automaton.tables();
    const states = automaton.stateCount;
    const dense = automaton.denseCount;
    const C = automaton.classCount;
    const edges = t.edgeUnit.length;
    const outputs = t.outIds.length;
    const edgeBytes = (edges + 3) & ~3;
    const size = 512 + dense * C * 4 + (states + 1) * 4 + edgeBytes + edges * 4 + states * 12 + (states + 1) * 4 + outputs * 4;
    scratch.reserve(size);
    const buf = scratch.u8.buffer;
    let at = scratch.ptr;
    const put32 = (arr: Int32Array) => {
      new Int32Array(buf, at, arr.length).set(arr);
      at += arr.length * 4;
    };
    new Uint16Array(buf, at, 256).set(Uint16Array.from({ length: 256 }, (_, unit) => t.classOf(unit)));
    at += 512;
    put32(t.dense.subarray(0, dense * C));
    put32(t.edgeStart);
    new Uint8Array(buf, at, edges).set(t.edgeUnit);
    at += edgeBytes;
    put32(t.edgeTarget);
    put32(t.fail);
    put32(t.term);
    put32(t.dict);
    put32(t.outStart);
    put32(t.outIds);
    this.#handle = ex.ac_new(scratch.ptr, states, dense, C, edges, outputs);
    scratch.fresh();
    this.#ex = ex;
    this.#scratch = scratch;
    this.patternCount = patterns.length;
    this.stateCount = states;
    this.byteSize = size + states * 4;
    const handle = this.#handle;
    collected?.register(this, () => ex.ac_free(handle), this);
  }

  scan(text: string, found: (pattern: number) => void): void {
    for (const id of this.#empty) found(id);
    const scratch = this.#scratch;
    // Results first (i32 each; each pattern is reported at most once), then the text's UTF-8 (at most 3 bytes per UTF-16 unit).
    const max = this.patternCount;
    const textAt = (max * 4 + 15) & ~15;
    scratch.reserve(textAt + text.length * 3);
    const { written } = encoder.encodeInto(text, scratch.u8.subarray(scratch.ptr + textAt, scratch.ptr + textAt + text.length * 3));
    const n = this.#ex.ac_scan(this.#handle, scratch.ptr + textAt, written, scratch.ptr, max);
    scratch.fresh();
    const ids = scratch.u32;
    const base = scratch.ptr >>> 2;
    for (let k = 0; k < n && k < max; k++) found(ids[base + k]);
  }

  dispose(): void {
    if (this.#handle === 0) return;
    this.#ex.ac_free(this.#handle);
    collected?.unregister(this);
    this.#handle = 0;
  }
}

export class WasmPatternMatcherFactory implements PatternMatcherFactory {
  constructor(
    private readonly ex: VigilExports,
    private readonly scratch: Scratch,
  ) {}

  create(patterns: readonly string[], limits: { maxPatterns: number; maxPatternUnits: number }): PatternMatcher {
    return new WasmPatternMatcher(this.ex, this.scratch, patterns, limits);
  }
}
