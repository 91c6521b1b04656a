/**
 * Aho–Corasick over UTF-16 code units: which of many patterns occur in a text, in one pass.
 *
 * Built as a full DFA over character classes: every code unit that occurs in a pattern gets a class
 * (the most frequent `maxClasses - 2` their own; the rest share one class), every other unit class
 * 0, and each state holds its next state for every class, failure links already folded in. A scan
 * is then one table read per code unit, whatever the text: an attacker's 1 MB value costs 1 M
 * reads. Sharing a class can only report a pattern that is absent (never miss one present): the
 * prefilter only ever evaluates a rule for nothing, never skips one that matches.
 *
 * Each pattern is reported once per scan: a state's outputs and those of its dictionary-suffix
 * chain are stamped when first visited, so a frequent short pattern (`\`) costs nothing after its
 * first occurrence.
 */

export interface AutomatonLimits {
  /** Patterns in one automaton. Default 65,536. */
  maxPatterns: number;
  /** UTF-16 code units of all patterns of one automaton together (bounds the states). Default 262,144. */
  maxPatternUnits: number;
  /** Character classes (the table holds one entry per state and class). Default 128. */
  maxClasses: number;
}

export const DEFAULT_AUTOMATON_LIMITS: Readonly<AutomatonLimits> = { maxPatterns: 65_536, maxPatternUnits: 262_144, maxClasses: 128 };

export class AutomatonTooLarge extends Error {}

export class AhoCorasick {
  readonly patternCount: number;
  readonly stateCount: number;
  readonly classCount: number;
  /** Whether some code units share a class (reports may then include absent patterns). */
  readonly approximate: boolean;
  /** Class of each ASCII code unit; `other` for the rest. */
  readonly #ascii = new Uint8Array(128);
  readonly #other = new Map<number, number>();
  /** Per state and class: the next state's row offset (state × classes), bit-inverted when it has outputs. */
  readonly #delta: Int32Array;
  /** Per state: first output state on its suffix chain, itself included (-1: none). */
  readonly #term: Int32Array;
  /** Per state: next output state on its suffix chain, itself excluded (-1: none). */
  readonly #dict: Int32Array;
  /** Patterns ending at each state (CSR: ids in `#outIds[#outStart[s] .. #outStart[s + 1]]`). */
  readonly #outStart: Int32Array;
  readonly #outIds: Int32Array;
  readonly #seen: Uint32Array;
  #stamp = 0;
  /** Empty patterns: present in every text. */
  readonly #empty: number[] = [];

  constructor(patterns: readonly string[], limits: AutomatonLimits = DEFAULT_AUTOMATON_LIMITS) {
    let units = 0;
    for (const p of patterns) units += p.length;
    if (patterns.length > limits.maxPatterns) throw new AutomatonTooLarge(`${patterns.length} patterns, more than the limit of ${limits.maxPatterns}`);
    if (units > limits.maxPatternUnits) throw new AutomatonTooLarge(`${units} code units of patterns, more than the limit of ${limits.maxPatternUnits}`);
    this.patternCount = patterns.length;

    // Classes: by frequency, so the units that share the last class are the rarest.
    const counts = new Map<number, number>();
    for (const p of patterns) for (let i = 0; i < p.length; i++) counts.set(p.charCodeAt(i), (counts.get(p.charCodeAt(i)) ?? 0) + 1);
    const byFrequency = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || a - b);
    const own = Math.max(1, limits.maxClasses - 2);
    this.approximate = byFrequency.length > own + 1;
    byFrequency.forEach((unit, i) => {
      const cls = i < own ? i + 1 : own + 1;
      if (unit < 128) this.#ascii[unit] = cls;
      else this.#other.set(unit, cls);
    });
    const C = Math.min(byFrequency.length, own + 1) + 1;
    this.classCount = C;

    // The trie, in the table itself (-1: no edge yet).
    const maxStates = units + 1;
    const goto = new Int32Array(maxStates * C).fill(-1);
    const ends: number[][] = [];
    let states = 1;
    patterns.forEach((p, id) => {
      if (p.length === 0) {
        this.#empty.push(id);
        return;
      }
      let s = 0;
      for (let i = 0; i < p.length; i++) {
        const at = s * C + this.classOf(p.charCodeAt(i));
        if (goto[at] < 0) goto[at] = states++;
        s = goto[at];
      }
      (ends[s] ??= []).push(id);
    });
    this.stateCount = states;

    // Breadth first: failure links, dictionary links, and the missing edges through the failure links.
    const fail = new Int32Array(states);
    const term = new Int32Array(states).fill(-1);
    const dict = new Int32Array(states).fill(-1);
    const queue = new Int32Array(states);
    let head = 0;
    let tail = 0;
    for (let c = 0; c < C; c++) {
      const t = goto[c];
      if (t < 0) goto[c] = 0;
      else {
        fail[t] = 0;
        queue[tail++] = t;
      }
    }
    if (ends[0]) term[0] = 0;
    while (head < tail) {
      const s = queue[head++];
      const f = fail[s];
      dict[s] = term[f];
      term[s] = ends[s] ? s : dict[s];
      for (let c = 0; c < C; c++) {
        const at = s * C + c;
        const t = goto[at];
        if (t < 0) goto[at] = goto[f * C + c];
        else {
          fail[t] = goto[f * C + c];
          queue[tail++] = t;
        }
      }
    }
    // Row offsets, inverted for targets with outputs: the scan learns both from one read.
    const delta = new Int32Array(states * C);
    for (let i = 0; i < delta.length; i++) {
      const t = goto[i];
      delta[i] = term[t] >= 0 ? ~(t * C) : t * C;
    }
    this.#delta = delta;
    this.#term = term;
    this.#dict = dict;
    const outStart = new Int32Array(states + 1);
    for (let s = 0; s < states; s++) outStart[s + 1] = outStart[s] + (ends[s]?.length ?? 0);
    const outIds = new Int32Array(outStart[states]);
    for (let s = 0; s < states; s++) ends[s]?.forEach((id, k) => (outIds[outStart[s] + k] = id));
    this.#outStart = outStart;
    this.#outIds = outIds;
    this.#seen = new Uint32Array(states);
  }

  /** Bytes the automaton's tables hold. */
  get byteSize(): number {
    return this.#delta.byteLength + this.#term.byteLength + this.#dict.byteLength + this.#outStart.byteLength + this.#outIds.byteLength + this.#seen.byteLength + 128;
  }

  private classOf(unit: number): number {
    return unit < 128 ? this.#ascii[unit] : (this.#other.get(unit) ?? 0);
  }

  /** Calls `found` once for every pattern (by index) that occurs in `text` (possibly more when `approximate`). */
  scan(text: string, found: (pattern: number) => void): void {
    for (const id of this.#empty) found(id);
    const delta = this.#delta;
    const ascii = this.#ascii;
    const other = this.#other;
    const C = this.classCount;
    let stamp = ++this.#stamp;
    if (stamp === 0xffffffff) {
      this.#seen.fill(0);
      this.#stamp = stamp = 1;
    }
    let row = 0;
    for (let i = 0, n = text.length; i < n; i++) {
      const unit = text.charCodeAt(i);
      const v = delta[row + (unit < 128 ? ascii[unit] : (other.get(unit) ?? 0))];
      if (v >= 0) {
        row = v;
        continue;
      }
      row = ~v;
      this.report((row / C) | 0, stamp, found);
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
