/**
 * Vigil on Deno as a self-contained bundle (scripts/edge-build.mjs puts it in build/edge/deno with
 * both .wasm files beside it):
 *
 *   deno run --unstable-kv --allow-net --allow-read --allow-write --allow-env build/edge/deno/main.js
 *
 * Listens on `PORT` / `HOSTNAME` (default 8000, 127.0.0.1); the modules default to vigil.wasm and
 * emscripten-module.wasm next to this module. Other settings: ./app.ts. From the package, use
 * ./serve.ts with `deno serve` instead.
 */
import { createDenoHandler, type DenoApi } from './app.js';

declare const Deno: DenoApi;

export async function main(): Promise<void> {
  const env = Deno.env.toObject();
  const handler = await createDenoHandler({
    wasmUrl: new URL('./vigil.wasm', import.meta.url).href,
    quickjsWasmUrl: new URL('./emscripten-module.wasm', import.meta.url).href,
  });
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
