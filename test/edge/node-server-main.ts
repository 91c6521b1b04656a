/**
 * The Node server as a process of its own, for tests that kill it (test/edge/kill-harness.ts
 * bundles this file): settings from the environment, state in VIGIL_STATE_DIR, the port in PORT
 * (0: any), and the line `vigil listening on <url>` once it listens.
 */
import { startNodeServer } from '../../src/edge/node/server.js';

const env = process.env as Record<string, string>;
const server = await startNodeServer({ env, port: Number(env.PORT ?? 0), stateDir: env.VIGIL_STATE_DIR || undefined, guard: false });
console.log(`vigil listening on ${server.url}/`);
