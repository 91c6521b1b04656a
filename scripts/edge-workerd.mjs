#!/usr/bin/env node
/**
 * Runs the bundled Worker on workerd without wrangler (wrangler needs Node ≥ 22.12): writes a
 * workerd config for a directory built by scripts/edge-build.mjs and starts `workerd serve`.
 *
 *   node scripts/edge-workerd.mjs --dir build/edge/workerd [--port 8787] [--storage .vigil-do]
 *        [--var VIGIL_TOKEN=secret]… [--write-config <file>]
 *
 * Durable Objects keep their storage on disk under --storage (in memory without it). With
 * --write-config the config is written and nothing is started (the tests start workerd themselves).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import workerdModule from 'workerd';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const COMPATIBILITY_DATE = '2025-09-01';

const quote = (text) => JSON.stringify(String(text));

/**
 * The workerd config (Cap'n Proto text) for a built Worker directory. `configFile` is where the
 * config will be written: embedded files are named relative to it.
 */
export function workerdConfig({ dir, port, storage, vars = {}, configFile }) {
  const embed = (name) => quote(relative(dirname(resolve(configFile)), join(resolve(dir), name)));
  const bindings = Object.entries(vars).map(([name, value]) => `(name = ${quote(name)}, text = ${quote(value)})`);
  bindings.push('(name = "VIGIL_PARTITION", durableObjectNamespace = "VigilPartition")');
  const services = ['(name = "main", worker = .vigilWorker)'];
  if (storage) services.push(`(name = "do-storage", disk = (path = ${quote(resolve(storage))}, writable = true))`);
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ ${services.join(', ')} ],
  sockets = [ (name = "http", address = ${quote(`127.0.0.1:${port}`)}, http = (), service = "main") ],
);

const vigilWorker :Workerd.Worker = (
  compatibilityDate = ${quote(COMPATIBILITY_DATE)},
  modules = [
    (name = "worker.js", esModule = embed ${embed('worker.js')}),
    (name = "emscripten-module.wasm", wasm = embed ${embed('emscripten-module.wasm')}),
    (name = "vigil.wasm", wasm = embed ${embed('vigil.wasm')}),
  ],
  bindings = [ ${bindings.join(', ')} ],
  durableObjectNamespaces = [ (className = "VigilPartition", uniqueKey = "vigil-partition") ],
  durableObjectStorage = ${storage ? '(localDisk = "do-storage")' : '(inMemory = void)'},
);
`;
}

/** The workerd executable itself (not the npm wrapper, so a signal reaches the server). */
export const workerdBinary = typeof workerdModule === 'string' ? workerdModule : workerdModule.default;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: join(root, 'build/edge/workerd') },
      port: { type: 'string', default: '8787' },
      storage: { type: 'string' },
      var: { type: 'string', multiple: true, default: [] },
      'write-config': { type: 'string' },
    },
  });
  const vars = Object.fromEntries(values.var.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
  if (values.storage) mkdirSync(values.storage, { recursive: true });
  const file = values['write-config'] ?? join(resolve(values.dir), 'config.capnp');
  const text = workerdConfig({ dir: values.dir, port: values.port, storage: values.storage, vars, configFile: file });
  writeFileSync(file, text);
  if (!values['write-config']) {
    const child = spawn(workerdBinary, ['serve', file, '--experimental'], { stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 1));
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  }
}
