/** Line diff (longest common subsequence) for the rule history view. */

export interface DiffLine {
  op: 'same' | 'add' | 'del';
  text: string;
  /** 1-based line numbers in the old and new text. */
  oldLine?: number;
  newLine?: number;
}

const MAX_CELLS = 4_000_000;

export function diffLines(oldText: string, newText: string): DiffLine[] {
  const a = oldText === '' ? [] : oldText.split('\n');
  const b = newText === '' ? [] : newText.split('\n');
  // Trim the common head and tail; the table is only built for the middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ op: 'same', text: a[i]!, oldLine: i + 1, newLine: i + 1 });
  if ((am.length + 1) * (bm.length + 1) > MAX_CELLS) {
    am.forEach((text, i) => out.push({ op: 'del', text, oldLine: head + i + 1 }));
    bm.forEach((text, j) => out.push({ op: 'add', text, newLine: head + j + 1 }));
  } else {
    const n = am.length;
    const m = bm.length;
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i]![j] = am[i] === bm[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({ op: 'same', text: am[i]!, oldLine: head + i + 1, newLine: head + j + 1 });
        i++;
        j++;
      } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
        out.push({ op: 'add', text: bm[j]!, newLine: head + j + 1 });
        j++;
      } else {
        out.push({ op: 'del', text: am[i]!, oldLine: head + i + 1 });
        i++;
      }
    }
  }
  for (let k = 0; k < tail; k++) {
    const oi = a.length - tail + k;
    const ni = b.length - tail + k;
    out.push({ op: 'same', text: a[oi]!, oldLine: oi + 1, newLine: ni + 1 });
  }
  return out;
}
