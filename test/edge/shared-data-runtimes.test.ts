/**
 * The README example loaded over HTTP on workerd (3 Durable Object partitions, keyed by src_ip so
 * the alert-fed rule runs re-keyed), Deno and Node: the IOC list in two POST /iocs/:list/entries
 * parts, the table with PUT /tables/admins, then a kill -9 and a restart on the same storage (the
 * list and the table come back from their blobs), then the events. The output is the README's.
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRules } from '../../src/lang/parse.js';
import { buildEdge, flush, readAlerts, ROOT, TOKEN } from '../conformance/runtimes.js';
import { buildNodeServer, launcher, RUNTIMES, type Bundles } from './kill-harness.js';

const example = (file: string) => readFileSync(`${ROOT}examples/${file}`, 'utf8');
const canonical = (lines: string[]) => lines.map((l) => JSON.stringify(JSON.parse(l))).sort();
const readme = () => canonical(/```jsonl\n([\s\S]*?)```/.exec(readFileSync(`${ROOT}README.md`, 'utf8'))![1]!.split('\n').filter(Boolean));
const auth = { authorization: `Bearer ${TOKEN}` };

async function ok(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  expect(response.status, text).toBeLessThan(300);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

describe('IOC entries and tables over HTTP on each runtime', () => {
  let bundles: Bundles;
  beforeAll(async () => {
    bundles = { ...buildEdge(), node: await buildNodeServer() };
  });
  afterAll(() => {
    if (bundles) rmSync(dirname(bundles.node), { recursive: true, force: true });
  });

  for (const runtime of RUNTIMES) {
    it(`${runtime}: the README example, its list and table surviving kill -9`, async () => {
      const launch = launcher(runtime, bundles, runtime === 'workerd' ? { VIGIL_PARTITIONS: '3', VIGIL_PARTITION_FIELD: 'src_ip' } : {});
      let server = await launch();
      try {
        const ips = example('bad-ips.txt').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
        await ok(await fetch(`${server.url}/iocs/bad_ips/entries`, { method: 'POST', headers: auth, body: ips.slice(0, 1).join('\n') }));
        expect((await ok(await fetch(`${server.url}/iocs/bad_ips/entries`, { method: 'POST', headers: auth, body: ips.slice(1).join('\n') }))).count).toBe(ips.length);
        await ok(await fetch(`${server.url}/tables/admins`, { method: 'PUT', headers: auth, body: example('admins.txt') }));
        for (const rule of parseRules(example('auth.vgl'), 'auth.vgl').rules) {
          await ok(await fetch(`${server.url}/rules/${encodeURIComponent(rule.name)}`, { method: 'PUT', headers: auth, body: rule.text }));
        }
        await server.stop('SIGKILL');
        server = await launch();
        const table = await fetch(`${server.url}/tables/admins`);
        expect(table.status).toBe(200);
        expect((await table.text()).split('\n').filter(Boolean).sort()).toEqual(
          example('admins.txt').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).sort(),
        );
        await ok(await fetch(`${server.url}/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': 'example' }, body: example('auth.jsonl') }));
        await flush(server.url);
        expect(canonical(await readAlerts(server.url))).toEqual(readme());
      } finally {
        await server.stop('SIGKILL');
      }
    }, 120_000);
  }
});
