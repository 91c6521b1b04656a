/**
 * Aho–Corasick over UTF-16 code units: which of many patterns occur in a text, in one pass.
 *
 * Where a scan spends its time decides the layout. The states near the root (depth ≤ 2, within a
 * budget) are visited at almost every character: they are DFA rows, one entry per character class
 * (every code unit that occurs in a pattern has its own class, every other unit class 0), failure
 * links folded in. The deep states are visited rarely and are most of the automaton: they keep
 * sorted sparse edges and a failure link, so the whole automaton stays small enough for the
 * processor's caches (a full DFA of the SigmaHQ command-line literals is 14 MB and scans at tens
 * of ns per character; this layout is a few MB and a few ns). A scan is linear in the text: each
 * character moves down one edge or along failure links, which never climb more than it descended.
 *
 * Each pattern is reported once per scan: a state's outputs and those of its dictionary-suffix
 * chain are stamped when first visited, so a frequent short pattern (`\`) costs nothing after its
 * first occurrence.
 */

export interface AutomatonLimits {
  /** Patterns in one automaton. Default 65,536. */
  maxPatterns: number;
  /** UTF-16 code units of all patterns of one automaton together (bounds its states and memory). Default 262,144. */
  maxPatternUnits: number;
}

export const DEFAULT_AUTOMATON_LIMITS: Readonly<AutomatonLimits> = { maxPatterns: 65_536, maxPatternUnits: 262_144 };

/** Entries of the dense rows (states near the root × classes) before depth 2 is left sparse. */
const DENSE_ENTRIES = 1 << 18;

export class AutomatonTooLarge extends Error {}

/**
 * Which of many patterns occur in a text: this automaton, or another implementation of it (the
 * WebAssembly scan of src/wasm/aho-corasick.ts). A matcher may report a pattern that is absent,
 * never miss one present (the prefilter then only evaluates a rule for nothing).
 */
export interface PatternMatcher {
  readonly patternCount: number;
  readonly stateCount: number;
  readonly byteSize: number;
  /** Calls `found` with the index of every pattern present in `text` (each once). */
  scan(text: string, found: (pattern: number) => void): void;
  /** Frees what the matcher holds outside the JavaScript heap. */
  dispose?(): void;
}

export interface PatternMatcherFactory {
  /** A matcher of `patterns`; throws AutomatonTooLarge past the limits. */
  create(patterns: readonly string[], limits: AutomatonLimits): PatternMatcher;
}

export class AhoCorasick implements PatternMatcher {
  readonly patternCount: number;
  readonly stateCount: number;
  readonly classCount: number;
  /** States 0 … denseCount - 1 are DFA rows; the rest are sparse. */
  readonly denseCount: number;
  /** Class of each ASCII code unit; `#other` for the rest (absent: class 0). */
  readonly #ascii = new Uint16Array(128);
  readonly #other = new Map<number, number>();
  /** Dense rows: next state per (state, class). */
  readonly #dense: Int32Array;
  /** Sparse states: edges `#edgeStart[s] .. #edgeStart[s + 1]` (units ascending, targets). */
  readonly #edgeStart: Int32Array;
  readonly #edgeUnit: Uint16Array;
  readonly #edgeTarget: Int32Array;
  readonly #fail: Int32Array;
  /** Per state: first output state on its suffix chain, itself included (-1: none). */
  readonly #term: Int32Array;
  /** Per state: next output state on its suffix chain, itself excluded (-1: none). */
  readonly #dict: Int32Array;
  /** Patterns ending at each state (`#outIds[#outStart[s] .. #outStart[s + 1]]`). */
  readonly #outStart: Int32Array;
  readonly #outIds: Int32Array;
  readonly #seen: Uint32Array;
  #stamp = 0;
  /** Empty patterns: present in every text. */
  readonly #empty: number[] = [];

  /**
   * @param ownClasses code units with a class (a column) of their own in the dense rows, the most
   * frequent in the patterns; the rarer ones share the last class, whose entries send the scan to
   * the state's sparse edges (so many distinct characters do not make every dense row wide).
   */
  constructor(patterns: readonly string[], limits: AutomatonLimits = DEFAULT_AUTOMATON_LIMITS, ownClasses = 126) {
    let units = 0;
    for (const p of patterns) units += p.length;
    if (patterns.length > limits.maxPatterns) throw new AutomatonTooLarge(`${patterns.length} patterns, more than the limit of ${limits.maxPatterns}`);
    if (units > limits.maxPatternUnits) throw new AutomatonTooLarge(`${units} code units of patterns, more than the limit of ${limits.maxPatternUnits}`);
    this.patternCount = patterns.length;

    // The trie: edges keyed by state × 65536 + unit, outputs per state.
    const edges = new Map<number, number>();
    const children: number[][] = [[]];
    const depth: number[] = [0];
    const ends: number[][] = [];
    const classes = new Map<number, number>();
    patterns.forEach((p, id) => {
      if (p.length === 0) {
        this.#empty.push(id);
        return;
      }
      let s = 0;
      for (let i = 0; i < p.length; i++) {
        const unit = p.charCodeAt(i);
        classes.set(unit, (classes.get(unit) ?? 0) + 1);
        const key = s * 65536 + unit;
        let t = edges.get(key);
        if (t === undefined) {
          t = children.length;
          edges.set(key, t);
          children.push([]);
          depth.push(depth[s] + 1);
          children[s].push(unit);
        }
        s = t;
      }
      (ends[s] ??= []).push(id);
    });
    const states = children.length;
    this.stateCount = states;
    // Classes by frequency: 1 … own for the most frequent units, `rare` (the last) shared by the rest.
    const byFrequency = [...classes.keys()].sort((a, b) => classes.get(b)! - classes.get(a)! || a - b);
    const own = Math.min(byFrequency.length, ownClasses);
    const rare = byFrequency.length > own ? own + 1 : -1;
    const C = own + 1 + (rare > 0 ? 1 : 0);
    this.classCount = C;
    classes.clear();
    byFrequency.forEach((unit, i) => classes.set(unit, i < own ? i + 1 : rare));
    for (const [unit, cls] of classes) {
      if (unit < 128) this.#ascii[unit] = cls;
      else this.#other.set(unit, cls);
    }

    // Breadth first: the order states are renumbered in, so the shallow ones come first.
    const order = new Int32Array(states);
    const failOld = new Int32Array(states);
    let tail = 1;
    for (let head = 0; head < tail; head++) {
      const s = order[head];
      for (const unit of children[s]) {
        const t = edges.get(s * 65536 + unit)!;
        order[tail++] = t;
        if (s === 0) continue;
        let f = failOld[s];
        let next = edges.get(f * 65536 + unit);
        while (next === undefined && f !== 0) {
          f = failOld[f];
          next = edges.get(f * 65536 + unit);
        }
        failOld[t] = next ?? 0;
      }
    }
    const renumber = new Int32Array(states);
    for (let i = 0; i < states; i++) renumber[order[i]] = i;
    const maxDenseDepth = C * states <= DENSE_ENTRIES ? Infinity : 2;
    let dense = 0;
    while (dense < states && depth[order[dense]] <= maxDenseDepth && (dense + 1) * C <= DENSE_ENTRIES) dense++;
    dense = Math.max(dense, 1);
    this.denseCount = dense;

    const fail = new Int32Array(states);
    const term = new Int32Array(states).fill(-1);
    const dict = new Int32Array(states).fill(-1);
    const edgeStart = new Int32Array(states + 1);
    // Sparse edges: all of a sparse state's, and a dense state's through rare units.
    const sparseKids = (i: number) => (i >= dense ? children[order[i]] : children[order[i]].filter((unit) => classes.get(unit) === rare));
    for (let i = 0; i < states; i++) edgeStart[i + 1] = edgeStart[i] + sparseKids(i).length;
    const edgeUnit = new Uint16Array(edgeStart[states]);
    const edgeTarget = new Int32Array(edgeStart[states]);
    const denseRows = new Int32Array(dense * C);
    for (let i = 0; i < states; i++) {
      const old = order[i];
      fail[i] = renumber[failOld[old]];
      // BFS order: a failure link points to a shallower state, already numbered and finished.
      if (i > 0) {
        dict[i] = term[fail[i]];
        term[i] = ends[old] ? i : dict[i];
      }
      if (i < dense) {
        // A full row: own edges, the rest through the failure link's row (root: back to the root);
        // the rare class: -1, look at the sparse edges.
        const row = i * C;
        if (i > 0) denseRows.set(denseRows.subarray(fail[i] * C, fail[i] * C + C), row);
        else if (rare > 0) denseRows[rare] = -1;
        for (const unit of children[old]) if (classes.get(unit) !== rare) denseRows[row + classes.get(unit)!] = renumber[edges.get(old * 65536 + unit)!];
      }
      {
        let k = edgeStart[i];
        for (const unit of sparseKids(i).slice().sort((a, b) => a - b)) {
          edgeUnit[k] = unit;
          edgeTarget[k++] = renumber[edges.get(old * 65536 + unit)!];
        }
      }
    }
    this.#dense = denseRows;
    this.#edgeStart = edgeStart;
    this.#edgeUnit = edgeUnit;
    this.#edgeTarget = edgeTarget;
    this.#fail = fail;
    this.#term = term;
    this.#dict = dict;
    const outStart = new Int32Array(states + 1);
    for (let i = 0; i < states; i++) outStart[i + 1] = outStart[i] + (ends[order[i]]?.length ?? 0);
    const outIds = new Int32Array(outStart[states]);
    for (let i = 0; i < states; i++) ends[order[i]]?.forEach((id, k) => (outIds[outStart[i] + k] = id));
    this.#outStart = outStart;
    this.#outIds = outIds;
    this.#seen = new Uint32Array(states);
  }

  /** Bytes the automaton's tables hold. */
  get byteSize(): number {
    return (
      this.#dense.byteLength +
      this.#edgeStart.byteLength +
      this.#edgeUnit.byteLength +
      this.#edgeTarget.byteLength +
      this.#fail.byteLength +
      this.#term.byteLength +
      this.#dict.byteLength +
      this.#outStart.byteLength +
      this.#outIds.byteLength +
      this.#seen.byteLength +
      this.#ascii.byteLength +
      this.#other.size * 16
    );
  }

  /**
   * The tables, for a copy in another runtime (bench/sigma-ac.mjs moves them into the WebAssembly
   * scan of assembly/aho-corasick.ts). Class of a code unit: `classOf(unit)`.
   */
  tables(): { dense: Int32Array; edgeStart: Int32Array; edgeUnit: Uint16Array; edgeTarget: Int32Array; fail: Int32Array; term: Int32Array; dict: Int32Array; outStart: Int32Array; outIds: Int32Array; classOf: (unit: number) => number } {
    return {
      dense: this.#dense,
      edgeStart: this.#edgeStart,
      edgeUnit: this.#edgeUnit,
      edgeTarget: this.#edgeTarget,
      fail: this.#fail,
      term: this.#term,
      dict: this.#dict,
      outStart: this.#outStart,
      outIds: this.#outIds,
      classOf: (unit) => this.classOf(unit),
    };
  }

  private classOf(unit: number): number {
    return unit < 128 ? this.#ascii[unit] : (this.#other.get(unit) ?? 0);
  }

  /** Calls `found` once for every pattern (by index) that occurs in `text`. */
  scan(text: string, found: (pattern: number) => void): void {
    for (const id of this.#empty) found(id);
    const dense = this.#dense;
    const ascii = this.#ascii;
    const other = this.#other;
    const edgeStart = this.#edgeStart;
    const edgeUnit = this.#edgeUnit;
    const edgeTarget = this.#edgeTarget;
    const fail = this.#fail;
    const term = this.#term;
    const denseCount = this.denseCount;
    const C = this.classCount;
    let stamp = ++this.#stamp;
    if (stamp === 0xffffffff) {
      this.#seen.fill(0);
      this.#stamp = stamp = 1;
    }
    let s = 0;
    for (let i = 0, n = text.length; i < n; i++) {
      const unit = text.charCodeAt(i);
      const cls = unit < 128 ? ascii[unit] : (other.get(unit) ?? 0);
      for (;;) {
        if (s < denseCount) {
          const next = dense[s * C + cls];
          if (next >= 0) {
            s = next;
            break;
          }
        }
        let k = edgeStart[s];
        const end = edgeStart[s + 1];
        while (k < end && edgeUnit[k] < unit) k++;
        if (k < end && edgeUnit[k] === unit) {
          s = edgeTarget[k];
          break;
        }
        if (s === 0) break;
        s = fail[s];
      }
      if (term[s] >= 0) this.report(s, stamp, found);
    }
  }

  /** The outputs of `state` and its dictionary-suffix chain, each state once per scan. */
  private report(state: number, stamp: number, found: (pattern: number) => void): void {
    const seen = this.#seen;
    for (let t = this.#term[state]; t >= 0 && seen[t] !== stamp; t = this.#dict[t]) {
      seen[t] = stamp;
      for (let k = this.#outStart[t], end = this.#outStart[t + 1]; k < end; k++) found(this.#outIds[k]);
    }
  }

  /** The patterns (indices, ascending) that occur in `text`. */
  present(text: string): number[] {
    const out: number[] = [];
    this.scan(text, (id) => out.push(id));
    return out.sort((a, b) => a - b);
  }
}
