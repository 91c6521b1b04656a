/**
 * The pieces of `vigil run --threads` (src/cli/threads.ts) against naive models: LineBlocks cuts
 * any chunking of an input into the blocks a split of the whole text on newlines gives; BlockMerger
 * writes blocks in input order whatever order they finish in, and drops what a rule raised after
 * the block that deactivated it, as one engine would never have raised it.
 */
import { describe, expect, it } from 'vitest';
import { BlockMerger, LineBlocks, type Block, type BlockResult } from '../../src/cli/threads.js';
import { MORE_RULE_ERRORS, RULE_ERRORS_REPORTED } from '../../src/engine/firing.js';

const LIMIT = 1024 * 1024;

function seeded(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/** The naive model: lines of the whole text, cut every `batch` lines; an over-long line becomes a blank line and a note. */
function naiveBlocks(text: string, batch: number, skip: number, atBreak: boolean) {
  let lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else if (atBreak) lines.pop();
  const blocks: { firstLine: number; text: string; oversized: { line: number; bytes: number }[] }[] = [];
  for (let start = skip; start < lines.length; start += batch) {
    const slice = lines.slice(start, start + batch);
    const oversized: { line: number; bytes: number }[] = [];
    const kept = slice.map((line, k) => {
      const bytes = Buffer.byteLength(line);
      if (bytes <= LIMIT) return line;
      oversized.push({ line: start + k + 1, bytes });
      return '';
    });
    const last = start + batch >= lines.length;
    // The input's last line keeps its missing newline; an over-long one leaves nothing at all.
    const endsWithNewline = !last || text.endsWith('\n') || atBreak;
    let body = kept.join('\n') + (endsWithNewline ? '\n' : '');
    if (last && !endsWithNewline && Buffer.byteLength(slice[slice.length - 1]!) > LIMIT) body = kept.slice(0, -1).join('\n') + (kept.length > 1 ? '\n' : '');
    blocks.push({ firstLine: start, text: body, oversized });
  }
  return blocks;
}

function cut(text: string, batch: number, skip: number, atBreak: boolean, random: () => number): Block[] {
  const bytes = Buffer.from(text);
  const blocks = new LineBlocks(batch, skip, 'jsonl');
  const out: Block[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = random() < 0.1 ? 1 + Math.floor(random() * 3_000_000) : 1 + Math.floor(random() * 200);
    out.push(...blocks.push(new Uint8Array(bytes.subarray(at, at + size))));
    at += size;
  }
  const last = blocks.end(atBreak);
  if (last) out.push(last);
  return out;
}

describe('LineBlocks', () => {
  it.each([
    [1, 3, 0, false],
    [2, 4, 0, true],
    [3, 1, 0, false],
    [4, 5, 10, false],
    [5, 3, 6, true],
  ])('cuts random chunkings as the naive model (seed %i, %i lines a block, %i skipped, broken off: %s)', (seed, batch, skip, atBreak) => {
    const random = seeded(seed);
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) {
      const r = random();
      lines.push(r < 0.1 ? '' : r < 0.17 ? 'x'.repeat(LIMIT + Math.floor(random() * 3) - 1) : r < 0.2 ? 'é'.repeat(LIMIT / 2 + 1) : JSON.stringify({ i, v: 'y'.repeat(Math.floor(random() * 50)) }));
    }
    const text = lines.join('\n') + (random() < 0.5 ? '\n' : '');
    const expected = naiveBlocks(text, batch, skip, atBreak);
    const got = cut(text, batch, skip, atBreak, random);
    expect(got.map((b) => ({ firstLine: b.firstLine, text: Buffer.from(b.bytes).toString(), oversized: b.oversized }))).toEqual(expected);
    expect(got.map((b) => b.index)).toEqual(expected.map((b) => b.firstLine / batch));
  });

  it('decides the format at the first line holding an object, as one parser would', () => {
    const blocks = new LineBlocks(2, 0, 'auto');
    const goflow = JSON.stringify({ type: 'IPFIX', time_received_ns: 1, sequence_num: 1, sampler_address: '10.0.0.1', src_addr: '10.0.0.2', dst_addr: '10.0.0.3', bytes: 1, packets: 1, proto: 'TCP' });
    const got = blocks.push(Buffer.from(['not json', '', '[1]', goflow, goflow, '{}'].join('\n') + '\n'));
    // Blocks up to the deciding line's are read with auto (nothing before it is an object); after it, as decided.
    expect(got.map((b) => b.format)).toEqual(['auto', 'auto', 'goflow2']);
  });
});

describe('BlockMerger', () => {
  const alert = (rule: string, n: number) => ({ rule, text: `${rule}:${n}\n` });
  const deactivation = (rule: string, n: number) => ({ rule: 'vigil.rule.deactivated', text: `off ${rule}:${n}\n`, deactivation: { rule, kind: 'memory' as const, reason: 'r', phase: 'filter' } });

  it('writes in block order whatever order blocks finish in, and drops what a rule raised after its deactivation', () => {
    // Block 2 deactivates "b"; a thread that had not heard of it yet still raised "b" in blocks 3
    // and 5, deactivated it again in block 4, and reported about it.
    const results: BlockResult[] = [
      { index: 0, alerts: [alert('a', 0), alert('b', 0)], reports: [{ text: 'line 1\n' }] },
      { index: 1, alerts: [alert('b', 1)], reports: [] },
      { index: 2, alerts: [alert('a', 2), deactivation('b', 2)], reports: [{ diagnostic: { code: 'vigil.rule.error', rule: 'b', message: 'm' } }] },
      { index: 3, alerts: [alert('b', 3), alert('a', 3)], reports: [{ diagnostic: { code: 'vigil.rule.error', rule: 'b', message: 'later' } }, { text: 'line 3000\n' }] },
      { index: 4, alerts: [deactivation('b', 4), alert('a', 4)], reports: [] },
      { index: 5, alerts: [alert('b', 5)], reports: [{ diagnostic: { code: 'vigil.rule.error', rule: 'a', message: 'kept' } }] },
    ];
    // One engine's output: everything up to and with block 2, then nothing more of "b".
    const expected = ['a:0', 'b:0', 'b:1', 'a:2', 'off b:2', 'a:3', 'a:4'];
    const expectedReports = ['line 1', 'vigil.rule.error b', 'line 3000', 'vigil.rule.error a'];
    for (const order of [[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [3, 0, 5, 1, 4, 2]]) {
      const written: string[] = [];
      const reports: string[] = [];
      const told: string[] = [];
      const merger = new BlockMerger(
        0,
        (r) => {
          written.push(...r.alerts.map((a) => a.text.trim()));
          reports.push(...r.reports.map((x) => ('text' in x ? x.text.trim() : `${x.diagnostic.code} ${x.diagnostic.rule}`)));
        },
        (d) => told.push(d.rule),
      );
      for (const i of order) merger.add(results[i]!);
      expect(written).toEqual(expected);
      expect(reports).toEqual(expectedReports);
      expect(told).toEqual(['b']);
      expect(merger.pending).toBe(0);
    }
  });
  it.each([
    [1, 0],
    [2, 4],
    [3, 9],
    [4, 11],
    [5, 0],
  ])("reports a rule's first errors and the notice as one engine would, whichever threads met them (seed %i, %i errors before)", (seed, before) => {
    const random = seeded(seed);
    const threads = 1 + Math.floor(random() * 4);
    // Per block, how many errors rule "r" had (in input order), and which thread ran it.
    const blocks = Array.from({ length: 30 }, () => ({ errors: random() < 0.6 ? Math.floor(random() * 4) : 0, thread: Math.floor(random() * threads) }));
    // Each thread's engine caps its own count, from the same start (a checkpoint's).
    const counts = new Array(threads).fill(before);
    const results: BlockResult[] = blocks.map(({ errors, thread }, index) => {
      const reports: BlockResult['reports'] = [];
      for (let k = 0; k < errors; k++) {
        const n = ++counts[thread];
        if (n <= RULE_ERRORS_REPORTED) reports.push({ diagnostic: { code: 'vigil.rule.error', rule: 'r', message: `error in block ${index}, #${k}` } });
        else if (n === RULE_ERRORS_REPORTED + 1) reports.push({ diagnostic: { code: 'vigil.rule.error', rule: 'r', message: MORE_RULE_ERRORS } });
      }
      return { index, alerts: [], reports };
    });
    // The naive model: one engine counting every error in input order.
    const expected: string[] = [];
    let count = before;
    blocks.forEach(({ errors }, index) => {
      for (let k = 0; k < errors; k++) {
        count++;
        if (count <= RULE_ERRORS_REPORTED) expected.push(`error in block ${index}, #${k}`);
        else if (count === RULE_ERRORS_REPORTED + 1) expected.push(MORE_RULE_ERRORS);
      }
    });
    expect(count).toBeGreaterThan(RULE_ERRORS_REPORTED + 1);
    const written: string[] = [];
    const merger = new BlockMerger(0, (r) => written.push(...r.reports.map((x) => ('diagnostic' in x ? x.diagnostic.message : x.text))), () => undefined, [['r', before]]);
    const order = results.map((_, i) => i).sort(() => random() - 0.5);
    for (const i of order) merger.add(results[i]!);
    expect(written).toEqual(expected);
  });
});
