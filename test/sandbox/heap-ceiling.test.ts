/**
 * The WebAssembly heap every sandboxed rule of an engine shares has a ceiling (`sandboxHeapBytes`,
 * at most the QuickJS build's 2 GiB): each rule's sandbox costs 250–310 KB of it when loaded, so
 * 7,000–8,500 sandboxed rules filled the default and every later one failed with "sandbox
 * prelude.js failed: null" (or "out of memory"). A rule refused for the heap must say so and name itself, and the
 * rules already loaded must go on as if it had never been offered (room is kept for running them).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { harness, plain, type Harness } from '../engine/helpers.js';

let engines: Harness[] = [];
afterEach(() => {
  for (const h of engines) h.engine.dispose();
  engines = [];
});

/** Small enough that a few dozen rules fill it (the heap starts at 16 MiB). */
const HEAP_BYTES = 40 * 1024 * 1024;
const options = { sandboxHeapBytes: HEAP_BYTES, sandbox: { memoryBytes: 1024 * 1024 } };

/** A sandboxed rule (the loop keeps it off the native path) that allocates while it runs. */
function ruleText(k: number): string {
  return `RULE "r${k}"
SOURCES kind = "x"
FILTER function (e) { const seen = []; for (let j = 0; j < 200; j++) seen.push("v" + j); return e.n % 7 === ${k} % 7 && seen.length === 200; }
SINK function (e) { return { id: e.n, by: ${k} }; }
`;
}

const events = Array.from({ length: 50 }, (_, n) => ({ kind: 'x', n, pad: 'p'.repeat(n * 100) }));

async function engine(): Promise<Harness> {
  const h = await harness(options);
  engines.push(h);
  return h;
}

describe('the shared sandbox heap', () => {
  test('a rule that does not fit is refused with a reason naming it; the loaded rules run as in an engine without it', async () => {
    const h = await engine();
    let refused: { k: number; message: string } | undefined;
    for (let k = 0; k < 400 && !refused; k++) {
      const result = h.engine.putRules(ruleText(k));
      if (!result.ok) refused = { k, message: result.diagnostics.map((d) => d.message).join('\n') };
    }
    expect(refused, 'a 40 MiB heap holds fewer than 400 sandboxed rules').toBeDefined();
    const { k, message } = refused!;
    expect(k).toBeGreaterThan(10);
    expect(message).toContain(`rule "r${k}"`);
    expect(message).toMatch(/sandbox heap is full/);
    expect(message).toContain(`${k} sandboxed rules`);
    expect(message).toContain(String(HEAP_BYTES));
    expect(message).toContain('sandboxHeapBytes');
    expect(h.engine.rule(`r${k}`)).toBeUndefined();

    h.engine.push(events);
    h.engine.flush();
    const alerts = plain(h.take());
    expect(alerts.filter((a) => a.rule === 'vigil.rule.deactivated')).toEqual([]);

    // Oracle: a fresh engine given only the rules that were loaded.
    const fresh = await engine();
    let all = '';
    for (let j = 0; j < k; j++) all += ruleText(j) + '\n';
    fresh.rules(all);
    fresh.engine.push(events);
    fresh.engine.flush();
    expect(alerts).toEqual(plain(fresh.take()));
    // Every loaded rule raised its share: none was starved of memory by the refused one.
    for (let j = 0; j < k; j++) expect(alerts.filter((a) => a.by === j).length).toBe(events.filter((e) => e.n % 7 === j % 7).length);
  }, 120_000);

  test('removing rules makes room for as many again', async () => {
    const h = await engine();
    let k = 0;
    while (k < 400 && h.engine.putRules(ruleText(k)).ok) k++;
    expect(k).toBeLessThan(400);
    for (let j = 0; j < 5; j++) expect(h.engine.removeRule(`r${j}`)).toBe(true);
    // Setups differ by a few hundred bytes (the rules' names), so one more may fit, not many.
    let again = 0;
    while (again < 100 && h.engine.putRules(ruleText(1000 + again)).ok) again++;
    expect(again).toBeGreaterThanOrEqual(5);
    expect(again).toBeLessThanOrEqual(7);
  }, 120_000);

  test('a rule whose own memory limit cannot hold the sandbox setup says so', async () => {
    const small = await harness({ sandbox: { memoryBytes: 50_000 } });
    engines.push(small);
    const refused = small.engine.putRules(ruleText(1));
    expect(refused.ok).toBe(false);
    expect(refused.diagnostics[0]!.message).toBe('rule "r1": its memory limit of 50000 bytes (sandbox.memoryBytes) is too small for the sandbox\'s own setup');
  });

  test('sandboxHeapBytes must be a positive number', async () => {
    await expect(harness({ sandboxHeapBytes: 0 })).rejects.toThrow(/sandboxHeapBytes/);
    await expect(harness({ sandboxHeapBytes: Number.NaN })).rejects.toThrow(/sandboxHeapBytes/);
  });
});
