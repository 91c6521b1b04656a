// Aho–Corasick scanning over UTF-8 bytes, for the Sigma prefilter (src/sigma/prefilter-automaton.ts
// builds the same layout over UTF-16 in JavaScript). The host builds the automaton's tables (dense
// rows for the states near the root, sparse sorted edges and failure links below, outputs and
// dictionary links) and copies them in with `ac_new`; `ac_scan` reports each pattern present in a
// text once. Measured against the JavaScript scan in bench/sigma-ac.mjs: the text must first be
// encoded into linear memory, which costs about what the JavaScript scan does, so the engine keeps
// the JavaScript automaton (see the figures there).

class Automaton {
  states: i32 = 0;
  dense: i32 = 0;
  classes: i32 = 0;
  /** Byte → class (256 × u16). */
  classOf: usize = 0;
  denseRows: usize = 0;
  edgeStart: usize = 0;
  edgeUnit: usize = 0;
  edgeTarget: usize = 0;
  fail: usize = 0;
  term: usize = 0;
  dict: usize = 0;
  outStart: usize = 0;
  outIds: usize = 0;
  seen: usize = 0;
  stamp: u32 = 0;
  block: usize = 0;
}

// Handles index this list (0 is never a handle); freed slots are reused.
const automata: Array<Automaton | null> = [null];

/**
 * A new automaton from its tables, laid out one after another at `ptr` (each i32 unless said):
 * classOf (256 × u16), dense rows (dense × classes), edgeStart (states + 1), edgeUnit (edges × u8,
 * padded to 4), edgeTarget (edges), fail, term, dict (states each), outStart (states + 1),
 * outIds (outputs). Returns a handle.
 */
export function ac_new(ptr: usize, states: i32, dense: i32, classes: i32, edges: i32, outputs: i32): i32 {
  const a = new Automaton();
  a.states = states;
  a.dense = dense;
  a.classes = classes;
  const edgeBytes = (<usize>edges + 3) & ~(<usize>3);
  const bytes: usize = 512 + <usize>dense * classes * 4 + (<usize>states + 1) * 4 + edgeBytes + <usize>edges * 4 + <usize>states * 12 + (<usize>states + 1) * 4 + <usize>outputs * 4;
  const block = heap.alloc(bytes + <usize>states * 4);
  memory.copy(block, ptr, bytes);
  a.block = block;
  let at = block;
  a.classOf = at;
  at += 512;
  a.denseRows = at;
  at += <usize>dense * classes * 4;
  a.edgeStart = at;
  at += (<usize>states + 1) * 4;
  a.edgeUnit = at;
  at += edgeBytes;
  a.edgeTarget = at;
  at += <usize>edges * 4;
  a.fail = at;
  at += <usize>states * 4;
  a.term = at;
  at += <usize>states * 4;
  a.dict = at;
  at += <usize>states * 4;
  a.outStart = at;
  at += (<usize>states + 1) * 4;
  a.outIds = at;
  at += <usize>outputs * 4;
  a.seen = at;
  memory.fill(a.seen, 0, <usize>states * 4);
  for (let h = 1; h < automata.length; h++) {
    if (automata[h] === null) {
      automata[h] = a;
      return h;
    }
  }
  automata.push(a);
  return automata.length - 1;
}

export function ac_free(handle: i32): void {
  if (handle <= 0 || handle >= automata.length) return;
  const a = automata[handle];
  if (a === null) return;
  heap.free(a.block);
  automata[handle] = null;
}

/**
 * Scans `len` bytes at `text`; writes the ids of the patterns present (each once) at `out` (i32
 * each, at most `max`) and returns how many.
 */
export function ac_scan(handle: i32, text: usize, len: i32, out: usize, max: i32): i32 {
  const a = automata[handle]!;
  let stamp = a.stamp + 1;
  if (stamp == 0xffffffff) {
    memory.fill(a.seen, 0, <usize>a.states * 4);
    stamp = 1;
  }
  a.stamp = stamp;
  const dense = a.dense;
  const C = a.classes;
  const classOf = a.classOf;
  const rows = a.denseRows;
  const edgeStart = a.edgeStart;
  const edgeUnit = a.edgeUnit;
  const edgeTarget = a.edgeTarget;
  const fail = a.fail;
  const term = a.term;
  let found: i32 = 0;
  let s: i32 = 0;
  for (let i: i32 = 0; i < len; i++) {
    const unit = <i32>load<u8>(text + <usize>i);
    while (true) {
      if (s < dense) {
        s = load<i32>(rows + ((<usize>s * C + <usize>load<u16>(classOf + (<usize>unit << 1))) << 2));
        break;
      }
      let k = load<i32>(edgeStart + (<usize>s << 2));
      const end = load<i32>(edgeStart + ((<usize>s + 1) << 2));
      while (k < end && <i32>load<u8>(edgeUnit + <usize>k) < unit) k++;
      if (k < end && <i32>load<u8>(edgeUnit + <usize>k) == unit) {
        s = load<i32>(edgeTarget + (<usize>k << 2));
        break;
      }
      s = load<i32>(fail + (<usize>s << 2));
    }
    let t = load<i32>(term + (<usize>s << 2));
    while (t >= 0 && load<u32>(a.seen + (<usize>t << 2)) != stamp) {
      store<u32>(a.seen + (<usize>t << 2), stamp);
      const from = load<i32>(a.outStart + (<usize>t << 2));
      const to = load<i32>(a.outStart + ((<usize>t + 1) << 2));
      for (let k = from; k < to; k++) {
        if (found < max) store<i32>(out + (<usize>found << 2), load<i32>(a.outIds + (<usize>k << 2)));
        found++;
      }
      t = load<i32>(a.dict + (<usize>t << 2));
    }
  }
  return found;
}
