/**
 * EngineMetrics.windowEvents: the events the open windows hold (what a checkpoint saves of them),
 * against a recount of the events each aggregation rule took, through window close and restore.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { createNodeEngine } from '../../src/runtime/node.js';
import { harness, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(() => {
  h?.engine.dispose();
  h = undefined;
});

const T0 = Date.UTC(2026, 0, 1);
const RULES = `
RULE "all logins"
SOURCES kind = "auth"
USING ts
AGGREGATE BY user
WITHIN 1:min, 1:min
HAVING function (events) { return events.length > 1000000; }
SINK function (w) { return { user: w.user }; }

RULE "failures, sliding"
SOURCES kind = "auth"
FILTER function (e) { return e.outcome === 'failure'; }
USING ts
AGGREGATE BY user
WITHIN 2:min, 1:min
HAVING function (events) { return events.length > 1000000; }
SINK function (w) { return { user: w.user }; }

RULE "not windowed"
SOURCES kind = "auth"
SINK function (e) { return null; }
`;

describe('windowEvents', () => {
  test('counts each rule’s held events once, drops them when their panes expire, and survives a checkpoint', async () => {
    h = await harness({ outOfOrderMs: 0 });
    h.rules(RULES);
    const events = Array.from({ length: 5000 }, (_, i) => ({ kind: 'auth', user: `u${i % 37}`, outcome: i % 3 === 0 ? 'failure' : 'success', ts: T0 + i * 10 }));
    h.engine.push(events);
    // Recount: every event in "all logins", the failures once in "failures, sliding" (two windows each).
    const failures = events.filter((e) => e.outcome === 'failure').length;
    expect(h.engine.metrics().windowEvents).toBe(events.length + failures);

    const bytes = h.engine.checkpoint();
    const restored = await createNodeEngine({ outOfOrderMs: 0 });
    try {
      restored.restore(bytes);
      expect(restored.metrics().windowEvents).toBe(events.length + failures);
    } finally {
      restored.dispose();
    }

    // Past the first minute: "all logins" drops it; the sliding rule keeps the minute for its second window.
    h.engine.push([{ kind: 'auth', user: 'zed', outcome: 'success', ts: T0 + 60_000 + 1 }]);
    expect(h.engine.metrics().windowEvents).toBe(1 + failures);
    // Past both windows of the first minute: only the two-minute window of the last event is left.
    h.engine.push([{ kind: 'auth', user: 'zed', outcome: 'success', ts: T0 + 180_000 }]);
    expect(h.engine.metrics().windowEvents).toBe(1);
  });
});
