/**
 * `vigil serve`: Vigil's HTTP API on Node (src/edge/node/server.ts), the same routes, tokens and
 * limits as the Worker and the Deno server. Settings are the edge's VIGIL_* environment variables
 * (src/edge/config.ts: VIGIL_TOKEN, VIGIL_READ_TOKEN, VIGIL_INGEST_TOKEN, …); the command adds only
 * where to listen and where to keep state. Runs until SIGINT or SIGTERM.
 */
import { startNodeServer } from '../edge/node/server.js';
import { readConfig, type Env } from '../edge/config.js';
import { guardOptionsFromEnv } from '../runtime/guard/guard-options.js';
import { UsageError, type CliIO } from './io.js';

export const SERVE_USAGE = `  vigil serve [--port <n>] [--host <address>] [--state-dir <dir>] [--no-guard]
      Serves the HTTP API (POST /events, GET /alerts, PUT /rules/<name>, PUT /iocs/<name>,
      GET /metrics, GET /health) on --host (default 127.0.0.1) and --port (default 8080; 0 picks
      a free port). Tokens and limits come from the environment as on the edge: VIGIL_TOKEN
      (rule and IOC management; unset: refused), VIGIL_READ_TOKEN, VIGIL_INGEST_TOKEN,
      VIGIL_MAX_BODY_BYTES, VIGIL_ALERT_CAPACITY, VIGIL_IDEMPOTENCY_KEYS, VIGIL_CORS_ORIGIN, VIGIL_WEBHOOK_URL, ….
      With --state-dir the engine checkpoints there after every change and resumes from it;
      without it state lives in memory. Prints "vigil listening on <url>" when ready.`;

export interface ServeSpec {
  port: number;
  host: string;
  stateDir?: string;
  guard: boolean;
  env: Env;
  /** Resolves when the server should stop (tests); default: SIGINT or SIGTERM. */
  until?: Promise<unknown>;
}

export async function runServe(spec: ServeSpec, io: CliIO): Promise<number> {
  try {
    readConfig(spec.env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const server = await startNodeServer({
    env: spec.env,
    port: spec.port,
    hostname: spec.host,
    stateDir: spec.stateDir,
    guard: spec.guard ? guardOptionsFromEnv(spec.env) : false,
  });
  io.stdout.write(`vigil listening on ${server.url}\n`);
  await (spec.until ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }));
  await server.close();
  return 0;
}
