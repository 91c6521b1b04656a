/**
 * An unexpected error answers 500 with an incident id, not its message: a message can carry a path,
 * a secret-bearing URL or another tenant's data. The message goes to the server's log under the id.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readConfig } from '../../src/edge/config.js';
import { createHttpHandler } from '../../src/edge/http.js';
import { EngineInstance } from '../../src/edge/instance.js';
import type { VigilService } from '../../src/edge/service.js';
import { createNodeEngine } from '../../src/runtime/node.js';

const TOKEN = 'internal-error-token';
const SECRET = 'ENOENT: open /srv/vigil/tenant-42/secrets.json?sig=AKIA0000SECRET';

afterEach(() => vi.restoreAllMocks());

/** A working service whose rule listing fails the way a bug or a storage fault would. */
async function failingService(): Promise<{ service: VigilService; dispose: () => void }> {
  const engine = await createNodeEngine({});
  const instance = await EngineInstance.open(engine);
  const service = Object.create(instance) as VigilService;
  service.rules = async () => {
    throw new Error(SECRET);
  };
  return { service, dispose: () => engine.dispose() };
}

describe('a 500 answer', () => {
  it('names an incident the log explains, and not the error', async () => {
    const logged: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void logged.push(String(line)));
    const { service, dispose } = await failingService();
    try {
      const handler = createHttpHandler(service, readConfig({ VIGIL_TOKEN: TOKEN }).http);
      const response = await handler(new Request('http://vigil.test/rules', { headers: { authorization: `Bearer ${TOKEN}` } }));
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toContain('secrets.json');
      expect(text).not.toContain('AKIA');
      const { error } = JSON.parse(text) as { error: { code: string; incident: string; message: string } };
      expect(error.code).toBe('internal');
      expect(error.incident).toMatch(/^[0-9a-f-]{36}$/);
      expect(error.message).toContain(error.incident);
      // The operator's side: one log line with the id, the route and the whole message.
      const line = logged.find((l) => l.includes(error.incident));
      expect(line).toContain('GET /rules');
      expect(line).toContain(SECRET);

      // The engine carries on: the next request that does not fail is answered.
      const health = await handler(new Request('http://vigil.test/health'));
      expect(health.status).toBe(200);
    } finally {
      dispose();
    }
  });

  it('gives each failure its own incident', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const { service, dispose } = await failingService();
    try {
      const handler = createHttpHandler(service, readConfig({ VIGIL_TOKEN: TOKEN }).http);
      const incidents = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const response = await handler(new Request('http://vigil.test/rules', { headers: { authorization: `Bearer ${TOKEN}` } }));
        incidents.add(((await response.json()) as { error: { incident: string } }).error.incident);
      }
      expect(incidents.size).toBe(3);
    } finally {
      dispose();
    }
  });
});
