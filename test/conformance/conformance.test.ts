/**
 * One suite, several runtimes: every case in test/conformance/cases runs on Node in-process (the
 * engine directly, and the HTTP handler), on workerd (the bundled Worker with its Durable Object,
 * over HTTP) and on Deno (the bundled server, over HTTP); the alerts must equal expected.jsonl,
 * which was generated from the Node engine run (`VIGIL_UPDATE_EXPECTED=1 npx vitest run
 * test/conformance` writes it again).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/event-time.js';
import { createNodeHandler } from '../../src/edge/node/server.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { runCaseOnEngine } from './browser-harness.js';
import { loadCases, writeExpected } from './cases.js';
import { buildEdge, envVars, runCaseOverHttp, startDeno, startWorkerd, type RunningServer } from './runtimes.js';

const cases = loadCases();

/** Alerts are compared in order, for every case: the order is part of the contract (src/engine/reentry.ts). */
const comparable = (_name: string, lines: string[] | undefined) => parsed(lines);
const update = process.env.VIGIL_UPDATE_EXPECTED === '1';
const parsed = (lines: string[] | undefined) => (lines ?? []).map((l) => JSON.parse(l) as unknown);

describe('conformance cases', () => {
  it('has the cases the suite promises', () => {
    expect(cases.map((c) => c.name)).toEqual(expect.arrayContaining(['simple-filter', 'ioc', 'windows', 'late-events', 'state-machine', 'alert-reentry']));
    for (const c of cases) if (!update) expect(c.expected, `${c.name}/expected.jsonl`).toBeDefined();
  });
});

describe('conformance on Node, engine in-process', () => {
  for (const testCase of cases) {
    it(testCase.name, async () => {
      const engine = await createNodeEngine({ ...testCase.engine, clock: new ManualClock(Date.UTC(2026, 0, 1)).now });
      try {
        const alerts = runCaseOnEngine(engine, testCase, 1);
        if (update) writeExpected(testCase.name, alerts);
        else expect(parsed(alerts)).toEqual(parsed(testCase.expected));
        expect(alerts.length).toBeGreaterThan(0);
        // Batch sizes must not change the output.
        const again = await createNodeEngine({ ...testCase.engine, clock: new ManualClock(Date.UTC(2026, 0, 1)).now });
        try {
          expect(comparable(testCase.name, runCaseOnEngine(again, testCase, 4))).toEqual(comparable(testCase.name, alerts));
        } finally {
          again.dispose();
        }
      } finally {
        engine.dispose();
      }
    });
  }
});

describe('conformance on Node, HTTP handler in-process', () => {
  for (const testCase of cases) {
    it(testCase.name, async () => {
      const { instance, handler } = await createNodeHandler({ env: envVars(testCase.engine) });
      try {
        const alerts = await runCaseOverHttp('http://vigil.test', testCase, handler);
        expect(comparable(testCase.name, alerts)).toEqual(comparable(testCase.name, testCase.expected));
      } finally {
        instance.engine.dispose();
      }
    });
  }
});

describe.skipIf(update)('conformance on workerd and Deno', () => {
  let build: { workerd: string; deno: string };
  const servers: RunningServer[] = [];
  beforeAll(() => {
    build = buildEdge();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('workerd: every case, each on a fresh Worker', async () => {
    await Promise.all(
      cases.map(async (testCase) => {
        const server = await startWorkerd(build.workerd, envVars(testCase.engine));
        servers.push(server);
        try {
          const alerts = await runCaseOverHttp(server.url, testCase);
          expect(comparable(testCase.name, alerts), `${testCase.name} on workerd`).toEqual(comparable(testCase.name, testCase.expected));
        } finally {
          await server.stop();
        }
      }),
    );
  });

  it('Deno: every case, each on a fresh server', async () => {
    const kvDir = mkdtempSync(join(tmpdir(), 'vigil-deno-kv-'));
    await Promise.all(
      cases.map(async (testCase) => {
        const server = await startDeno(build.deno, envVars(testCase.engine), join(kvDir, `${testCase.name}.db`));
        servers.push(server);
        try {
          const alerts = await runCaseOverHttp(server.url, testCase);
          expect(comparable(testCase.name, alerts), `${testCase.name} on Deno`).toEqual(comparable(testCase.name, testCase.expected));
        } finally {
          await server.stop();
        }
      }),
    );
  });
});
