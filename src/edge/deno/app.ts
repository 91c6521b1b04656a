/**
 * Vigil's HTTP API on Deno: one engine, checkpointed into Deno KV after every change, restored at
 * start, processing-time windows checked every VIGIL_TICK_MS. Shared by the two ways to run it:
 * `deno serve` of the package's `vigil-engine/server/deno` (./serve.ts) and the bundle of
 * scripts/edge-build.mjs (./main.ts).
 *
 * Settings are the VIGIL_* environment variables (src/edge/config.ts) plus `VIGIL_KV_PATH` (a file
 * for Deno KV; unset: Deno's default database, which on Deno Deploy is the project's KV) and
 * `VIGIL_WASM_URL` / `VIGIL_QUICKJS_WASM_URL` (where the two WebAssembly modules are).
 */
import { createEngine } from '../../targets/deno.js';
import { ChunkedCheckpointStore, type ByteStore } from '../checkpoint-store.js';
import { readConfig } from '../config.js';
import { createHttpHandler, type Handler } from '../http.js';
import { EngineInstance } from '../instance.js';
import { WebhookingService } from '../webhooks.js';

/** The slice of the Deno namespace used here (Deno's own types are not part of this project's build). */
export interface DenoKv {
  get(key: unknown[]): Promise<{ value: unknown }>;
  set(key: unknown[], value: unknown): Promise<unknown>;
  delete(key: unknown[]): Promise<void>;
}
export interface DenoApi {
  env: { toObject(): Record<string, string> };
  unrefTimer(id: number): void;
  openKv(path?: string): Promise<DenoKv>;
  serve(
    options: { port: number; hostname: string; onListen?: (address: { hostname: string; port: number }) => void },
    handler: (request: Request) => Promise<Response>,
  ): { finished: Promise<void> };
}
declare const Deno: DenoApi;

/** Deno KV values are limited to 64 KiB; chunks stay below. */
const CHUNK_BYTES = 60 * 1024;

class DenoKvByteStore implements ByteStore {
  constructor(
    private readonly kv: DenoKv,
    private readonly prefix: string[] = ['vigil'],
  ) {}
  async get(key: string): Promise<Uint8Array | undefined> {
    const { value } = await this.kv.get([...this.prefix, key]);
    return value instanceof Uint8Array ? value : undefined;
  }
  async put(key: string, value: Uint8Array): Promise<void> {
    await this.kv.set([...this.prefix, key], value.slice());
  }
  async delete(key: string): Promise<void> {
    await this.kv.delete([...this.prefix, key]);
  }
}

export interface DenoAppOptions {
  /** Where vigil.wasm and QuickJS's module are when VIGIL_WASM_URL / VIGIL_QUICKJS_WASM_URL are unset; default: the package's. */
  wasmUrl?: string;
  quickjsWasmUrl?: string;
}

/** The handler over a restored engine, with the tick timer started. */
export async function createDenoHandler(options: DenoAppOptions = {}): Promise<Handler> {
  const env = Deno.env.toObject();
  const config = readConfig(env);
  const engine = await createEngine({
    ...config.engine,
    clock: () => Date.now(),
    wasmUrl: env.VIGIL_WASM_URL || options.wasmUrl,
    quickjsWasmUrl: env.VIGIL_QUICKJS_WASM_URL || options.quickjsWasmUrl,
  });
  const kv = await Deno.openKv(env.VIGIL_KV_PATH || undefined);
  const vigil = await EngineInstance.open(engine, {
    alertCapacity: config.alertCapacity,
    alertRingBytes: config.alertRingBytes,
    ledgerKeys: config.ledgerKeys,
    store: new ChunkedCheckpointStore(new DenoKvByteStore(kv), CHUNK_BYTES),
  });
  const webhooks = config.webhook ? new WebhookingService(vigil, config.webhook) : undefined;
  let ticking = false;
  const timer = setInterval(() => {
    if (ticking || !vigil.hasTimedRules()) return;
    ticking = true;
    vigil
      .advanceTime()
      .then(() => webhooks?.forward())
      .finally(() => (ticking = false));
  }, config.tickMs);
  // The server keeps the process alive, not the timer: `deno serve` shuts down on SIGTERM.
  Deno.unrefTimer(timer as unknown as number);
  return withHostChecked(createHttpHandler(webhooks ?? vigil, config.http));
}

/**
 * Deno builds request.url as `http://${Host}${path}`: a Host like `x/metrics#` would turn
 * `GET /events` into GET /metrics (past a proxy that admits only /events). A Host that is not a host
 * (RFC 3986 reg-name or IP literal, optional port) is refused; any other leaves the request line's
 * path as the URL's.
 */
function withHostChecked(handler: Handler): Handler {
  return (request) => {
    const host = request.headers.get('host');
    if (host !== null && !HOST.test(host)) {
      return Promise.resolve(Response.json({ error: { code: 'bad-request-target', message: `the Host header "${host.slice(0, 100)}" is not a host name` } }, { status: 400 }));
    }
    return handler(request);
  };
}

/**
 * `{ fetch }` for `deno serve` and Deno Deploy: the engine is loaded on the first request (a
 * failed load, e.g. a bad VIGIL_* value, answers 500 naming it and is tried again next request).
 */
export function createDenoApp(options: DenoAppOptions = {}): { fetch(request: Request): Promise<Response> } {
  let handler: Promise<Handler> | undefined;
  return {
    async fetch(request) {
      handler ??= createDenoHandler(options).catch((error: unknown) => {
        handler = undefined;
        throw error;
      });
      let ready: Handler;
      try {
        ready = await handler;
      } catch (error) {
        return Response.json({ error: { code: 'not_started', message: `vigil did not start: ${(error as Error).message}` } }, { status: 500 });
      }
      return ready(request);
    },
  };
}

/** A Host header's value: a registered name or an IP literal, and an optional port. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::\d{0,5})?$/;
