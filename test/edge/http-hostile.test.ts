/**
 * Hostile requests to the HTTP API (a red-team of src/edge): each case is an attack that once
 * hung, lost accepted data or answered 500, and what the API does now.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/edge/config.js';
import { createHttpHandler, type Handler } from '../../src/edge/http.js';
import { EngineInstance } from '../../src/edge/instance.js';
import { createNodeEngine } from '../../src/runtime/node.js';

const TOKEN = 'hostile-token';
const admin = { authorization: `Bearer ${TOKEN}` };

const disposers: (() => void)[] = [];
afterEach(() => disposers.splice(0).forEach((d) => d()));

async function server(): Promise<{ handler: Handler; instance: EngineInstance }> {
  const engine = await createNodeEngine({});
  disposers.push(() => engine.dispose());
  const instance = await EngineInstance.open(engine);
  return { instance, handler: createHttpHandler(instance, readConfig({ VIGIL_TOKEN: TOKEN }).http) };
}

const call = (handler: Handler, method: string, path: string, body?: string, headers: Record<string, string> = admin) =>
  handler(new Request(`http://vigil.test${path}`, { method, body, headers }));

describe('IOC list and table bodies', () => {
  it('takes a body that repeats one entry many times in linear time, as one entry', async () => {
    // 4,000 copies of one key (52 kB): the cuckoo filter holds 8 copies of a key per level, so
    // each further copy added a level, every insert walked them all: 12 s of a blocked engine
    // (20,000 copies: several minutes).
    const { handler, instance } = await server();
    const body = 'evil.example\n'.repeat(4_000);
    const started = Date.now();
    for (const [method, path] of [
      ['PUT', '/iocs/dups'],
      ['POST', '/iocs/dups/entries'],
      ['POST', '/iocs/fresh/entries'],
      ['PUT', '/tables/dups'],
    ] as const) {
      const response = await call(handler, method, path, body);
      expect(response.status, `${method} ${path}`).toBe(200);
      expect(((await response.json()) as { count: number }).count, `${method} ${path}`).toBeLessThanOrEqual(2);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(instance.engine.iocs.has('dups', 'evil.example')).toBe(true);
    expect(instance.engine.iocs.has('fresh', 'evil.example')).toBe(true);
    const removed = await call(handler, 'DELETE', '/iocs/dups/entries', body);
    expect(((await removed.json()) as { removed: number }).removed).toBe(1);
  });
});
