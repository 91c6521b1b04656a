/**
 * Exactly-once ingest the hard way: on workerd (4 Durable Object partitions, rules re-keyed across
 * them), Deno and Node, the server is SIGKILLed at a random moment inside a request (before, while
 * or after it applies the batch), restarted on its storage, and the batch sent again with the same
 * Idempotency-Key. The final alerts must be those of an uninterrupted run on the same runtime and
 * of one engine in this process: none lost, none twice, every window count exact. A resend of a
 * batch that had been answered gets the first answer. (bench/edge-exactly-once.mjs: 20 kills each.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEdge } from '../conformance/runtimes.js';
import { buildNodeServer, difference, inBatches, killPlan, launcher, RUNTIMES, runWithKills, seededRandom, type Bundles } from './kill-harness.js';
import { PARTITION_FIELD, referenceAlerts, rekeyCase } from './rekey-case.js';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';

const KILLS = 4;
const SEED = Number(process.env.VIGIL_KILL_SEED ?? Date.now() % 1_000_000);

describe('exactly-once ingest across kill -9', () => {
  let bundles: Bundles;
  beforeAll(async () => {
    bundles = { ...buildEdge(), node: await buildNodeServer() };
  });
  afterAll(() => {
    if (bundles) rmSync(dirname(bundles.node), { recursive: true, force: true });
  });

  const testCase = rekeyCase(1200);
  const batches = inBatches(testCase.eventLines, 100);

  for (const runtime of RUNTIMES) {
    it(`${runtime}: ${KILLS} kills inside requests, batches resent with their keys: 0 lost, 0 duplicated (seed ${SEED})`, async () => {
      const expected = await referenceAlerts(testCase);
      expect(expected.length).toBeGreaterThan(100);
      const vars: Record<string, string> = runtime === 'workerd' ? { VIGIL_PARTITIONS: '4', VIGIL_PARTITION_FIELD: PARTITION_FIELD } : {};

      const calm = await runWithKills(launcher(runtime, bundles, vars), testCase, batches, new Map(), 'calm');
      expect(difference(expected, calm.alerts)).toEqual({ lost: [], duplicated: [] });

      // Delays up to twice a request's usual time: kills land before, during and after the work.
      const sortedLatencies = [...calm.latencies].sort((a, b) => a - b);
      const typical = sortedLatencies[sortedLatencies.length >> 1]!;
      const plan = killPlan(batches.length, KILLS, Math.max(5, 2 * typical), seededRandom(SEED + RUNTIMES.indexOf(runtime)));
      const run = await runWithKills(launcher(runtime, bundles, vars), testCase, batches, plan, 'kill');
      expect(run.kills).toBe(KILLS);
      expect(run.answerMismatches).toEqual([]);
      const { lost, duplicated } = difference(calm.alerts, run.alerts);
      expect({ lost, duplicated }).toEqual({ lost: [], duplicated: [] });
      console.log(`${runtime}: ${run.kills} kills (${run.unanswered} unanswered, ${run.replayed} resends answered from a ledger, ${run.partial} partial), ${run.alerts.length} alerts, typical request ${typical.toFixed(1)} ms`);
    }, 240_000);
  }
});
