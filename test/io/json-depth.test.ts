/** The depth scan on JSON text, against a walk of the parsed value (nestingDepthExceeds) as oracle. */
import { describe, expect, it } from 'vitest';
import { nestingDepthExceeds } from '../../src/engine/nesting.js';
import { decodeGoflowLine } from '../../src/io/from-goflow.js';
import { JsonLinesDecoder, parseLine } from '../../src/io/from-jsonl.js';
import { jsonTextNestsDeeperThan } from '../../src/io/json-depth.js';

function seeded(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/** A random JSON value up to `depth` deep, with strings full of brackets, quotes and escapes. */
function randomValue(random: () => number, depth: number): unknown {
  const pick = random();
  if (depth <= 1 || pick < 0.2) {
    const texts = ['[', ']', '{', '}', '"', '\\', '\\"[', 'a"{b', '\u2028', 'plain'];
    return random() < 0.5 ? texts[Math.floor(random() * texts.length)]! + texts[Math.floor(random() * texts.length)]! : Math.floor(random() * 100);
  }
  const n = 1 + Math.floor(random() * 3);
  if (pick < 0.6) return Array.from({ length: n }, () => randomValue(random, depth - 1));
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}[{"`, randomValue(random, depth - 1)]));
}

describe('jsonTextNestsDeeperThan', () => {
  it('agrees with a walk of the parsed value on random JSON (brackets and escapes inside strings)', () => {
    const random = seeded(7);
    let deep = 0;
    for (let i = 0; i < 3000; i++) {
      const value = randomValue(random, 2 + Math.floor(random() * 12));
      const text = JSON.stringify(value);
      for (const max of [1, 2, 3, 5, 8]) {
        const expected = nestingDepthExceeds(value, max);
        if (expected) deep++;
        expect(jsonTextNestsDeeperThan(text, max), `${text} (max ${max})`).toBe(expected);
      }
    }
    expect(deep).toBeGreaterThan(1000);
  });

  it('counts exactly 128 as allowed and 129 as too deep, at the default', () => {
    const nested = (d: number) => `{"a":${'['.repeat(d - 1)}${']'.repeat(d - 1)}}`;
    expect(jsonTextNestsDeeperThan(nested(128))).toBe(false);
    expect(jsonTextNestsDeeperThan(nested(129))).toBe(true);
    expect(jsonTextNestsDeeperThan(`{"s":"${'['.repeat(10_000)}"}`)).toBe(false);
  });
});

describe('decoders refuse a line nested deeper than 128', () => {
  const deep = `{"kind":"x","v":${'['.repeat(5000)}${']'.repeat(5000)}}`;
  const ok = `{"kind":"x","v":${'['.repeat(127)}${']'.repeat(127)}}`;

  it('JSON lines, with the line number, and the lines after it still read', () => {
    const decoder = new JsonLinesDecoder();
    const events: number[] = [];
    const errors: string[] = [];
    decoder.push(new TextEncoder().encode(`${ok}\n${deep}\n{"kind":"y"}\n`), { onEvent: (e) => events.push(e.line), onError: (e) => errors.push(`${e.line}: ${e.reason}`) });
    expect(events).toEqual([1, 3]);
    expect(errors).toEqual(['2: nested deeper than 128']);
    expect(parseLine(deep)).toEqual({ reason: 'nested deeper than 128' });
  });

  it('goflow2 lines', () => {
    const r = decodeGoflowLine(`{"src_addr":"10.0.0.1","dst_addr":"10.0.0.2","proto":"TCP","x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe('nested deeper than 128');
  });
});
