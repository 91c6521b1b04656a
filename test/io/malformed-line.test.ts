/**
 * A malformed JSON line is refused with JSON.parse's own message, and reading it leaves no trace
 * on the process: `Error.stackTraceLimit` (set to 0 while JSON.parse runs, since only the message is
 * used) is what it was, whether the line parsed or not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseLine, readJsonObject } from '../../src/io/from-jsonl.js';

const saved = Error.stackTraceLimit;
afterEach(() => {
  Error.stackTraceLimit = saved;
});

describe('a malformed line', () => {
  it("is refused with JSON.parse's message, and Error.stackTraceLimit is left as it was", () => {
    for (const limit of [10, 3, Infinity]) {
      Error.stackTraceLimit = limit;
      for (const text of ['{', '{"a":', '{"a":1}}', 'nul', '{"a":1}']) {
        let expected: string | undefined;
        try {
          JSON.parse(text);
        } catch (error) {
          expected = (error as Error).message;
        }
        const read = readJsonObject(text);
        if (expected === undefined) expect(read).toEqual({ event: JSON.parse(text) });
        else expect(read).toEqual({ malformed: expected });
        expect(Error.stackTraceLimit).toBe(limit);
      }
      expect(parseLine('{')).toEqual({ reason: expect.stringMatching(/^malformed JSON: /) });
      // Errors thrown after it still carry their stack.
      expect(new Error('x').stack!.split('\n').length).toBeGreaterThan(1);
    }
  });
});
