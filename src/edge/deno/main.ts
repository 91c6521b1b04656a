/**
 * Vigil on Deno (and Deno Deploy): the HTTP API over one engine, checkpointed into Deno KV after
 * every change, restored at start. Run the bundle from scripts/edge-build.mjs:
 *
 *   deno run --unstable-kv --allow-net --allow-read --allow-write --allow-env build/edge/deno/main.js
 *
 * Settings are the VIGIL_* environment variables (src/edge/config.ts), plus `PORT` / `HOSTNAME`
 * (default 8000, 127.0.0.1), `VIGIL_KV_PATH` (a file for Deno KV; unset: Deno's default database,
 * which on Deno Deploy is the project's KV) and `VIGIL_WASM_URL` / `VIGIL_QUICKJS_WASM_URL`
 * (default: vigil.wasm and emscripten-module.wasm next to this module). Processing-time windows are
 * checked every VIGIL_TICK_MS.
 */
import { createEngine } from '../../targets/deno.js';
import { ChunkedCheckpointStore, type ByteStore } from '../checkpoint-store.js';
import { readConfig } from '../config.js';
import { createHttpHandler } from '../http.js';
import { EngineInstance } from '../instance.js';
import { WebhookingService } from '../webhooks.js';

/** The slice of the Deno namespace used here (Deno's own types are not part of this project's build). */
interface DenoKv {
  get(key: unknown[]): Promise<{ value: unknown }>;
  set(key: unknown[], value: unknown): Promise<unknown>;
  delete(key: unknown[]): Promise<void>;
}
interface DenoApi {
  env: { toObject(): Record<string, string> };
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

export async function main(): Promise<void> {
  const env = Deno.env.toObject();
  const config = readConfig(env);
  const vigilUrl = env.VIGIL_WASM_URL ?? new URL('./vigil.wasm', import.meta.url).href;
  const quickjsUrl = env.VIGIL_QUICKJS_WASM_URL ?? new URL('./emscripten-module.wasm', import.meta.url).href;
  const engine = await createEngine({ ...config.engine, clock: () => Date.now(), wasmUrl: vigilUrl, quickjsWasmUrl: quickjsUrl });
  const kv = await Deno.openKv(env.VIGIL_KV_PATH || undefined);
  const vigil = await EngineInstance.open(engine, {
    alertCapacity: config.alertCapacity,
    store: new ChunkedCheckpointStore(new DenoKvByteStore(kv), CHUNK_BYTES),
  });
  const webhooks = config.webhook ? new WebhookingService(vigil, config.webhook) : undefined;
  const handler = createHttpHandler(webhooks ?? vigil, config.http);
  let ticking = false;
  setInterval(() => {
    if (ticking || !vigil.hasTimedRules()) return;
    ticking = true;
    vigil
      .advanceTime()
      .then(() => webhooks?.forward())
      .finally(() => (ticking = false));
  }, config.tickMs);
  Deno.serve(
    {
      port: Number(env.PORT ?? 8000),
      hostname: env.HOSTNAME ?? '127.0.0.1',
      // The tests wait for this line to learn the port.
      onListen: ({ hostname, port }) => console.log(`vigil listening on http://${hostname}:${port}/`),
    },
    handler,
  );
}

await main();
