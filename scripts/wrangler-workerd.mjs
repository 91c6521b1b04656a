#!/usr/bin/env node
/**
 * Bundles a Worker with wrangler exactly as `wrangler deploy` would (`--dry-run --outdir`), then
 * serves that bundle with workerd, with the `[vars]` of its wrangler.toml plus secrets given here:
 * the local run of what would be deployed.
 *
 *   node scripts/wrangler-workerd.mjs [--project .] [--out build/wrangler] [--port 8787]
 *        [--storage .vigil-do] [--var VIGIL_TOKEN=secret]… [--bundle-only]
 *
 * wrangler 4 needs Node ≥ 22.12: on an older Node it runs under the Deno binary of the
 * devDependencies (`deno run -A npm:wrangler@4`), fetched from the npm registry or Deno's cache.
 * The tests (test/edge/deploy.test.ts) use the exported functions.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import workerdModule from 'workerd';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Pinned: the version the deploy test was last run with (a new wrangler may bundle differently).
export const WRANGLER = 'wrangler@4.164.0';

const quote = (text) => JSON.stringify(String(text));

function denoBinary() {
  const direct = join(root, 'node_modules/deno/deno');
  if (existsSync(direct)) return direct;
  const scoped = join(root, 'node_modules/@deno');
  for (const dir of existsSync(scoped) ? readdirSync(scoped) : []) if (existsSync(join(scoped, dir, 'deno'))) return join(scoped, dir, 'deno');
  throw new Error('deno binary not found under node_modules (npm ci installs it)');
}

/** The command that runs wrangler here: npx on Node ≥ 22.12, else Deno's npm: specifier. */
export function wranglerCommand() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) return { file: 'npx', args: ['--yes', WRANGLER] };
  return { file: denoBinary(), args: ['run', '-A', `npm:${WRANGLER}`] };
}

/** `wrangler deploy --dry-run --outdir <out>` in `project`; returns wrangler's output. */
export function wranglerDryRun(project, out) {
  rmSync(out, { recursive: true, force: true });
  const { file, args } = wranglerCommand();
  return execFileSync(file, [...args, 'deploy', '--dry-run', '--outdir', out], {
    cwd: project,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', WRANGLER_SEND_METRICS: 'false', CI: '1' },
  });
}

/**
 * The `[vars]` table of a wrangler.toml: `NAME = "text"` lines (and comments) only; anything else
 * in the table is an error naming its line, rather than a value silently missed.
 */
export function readWranglerVars(file) {
  const vars = {};
  let inVars = false;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, index) => {
      const line = raw.trim();
      if (line.startsWith('[')) inVars = line === '[vars]';
      else if (inVars && line && !line.startsWith('#')) {
        const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*")\s*(#.*)?$/.exec(line);
        if (!match) throw new Error(`${file}:${index + 1}: only NAME = "text" is read in [vars]`);
        vars[match[1]] = JSON.parse(match[2]);
      }
    });
  return vars;
}

/**
 * A workerd config (Cap'n Proto text) serving a wrangler output directory: its one .js file as the
 * main module, each .wasm file as a compiled module under the name the bundle imports it by, the
 * vars as text bindings and, with `durableObject`, its class bound as `binding`.
 */
export function workerdConfigForBundle({ dir, port, vars = {}, storage, configFile, durableObject, compatibilityDate }) {
  const files = readdirSync(dir);
  const scripts = files.filter((f) => f.endsWith('.js') || f.endsWith('.mjs'));
  if (scripts.length !== 1) throw new Error(`${dir}: expected one .js module from wrangler, found ${scripts.join(', ') || 'none'}`);
  const embed = (name) => quote(relative(dirname(resolve(configFile)), join(resolve(dir), name)));
  const modules = [`(name = ${quote(scripts[0])}, esModule = embed ${embed(scripts[0])})`];
  for (const wasm of files.filter((f) => f.endsWith('.wasm'))) modules.push(`(name = ${quote(wasm)}, wasm = embed ${embed(wasm)})`);
  const bindings = Object.entries(vars).map(([name, value]) => `(name = ${quote(name)}, text = ${quote(value)})`);
  const services = ['(name = "main", worker = .worker)'];
  let objects = '';
  if (durableObject) {
    bindings.push(`(name = ${quote(durableObject.binding)}, durableObjectNamespace = ${quote(durableObject.className)})`);
    if (storage) services.push(`(name = "do-storage", disk = (path = ${quote(resolve(storage))}, writable = true))`);
    objects = `
  durableObjectNamespaces = [ (className = ${quote(durableObject.className)}, uniqueKey = ${quote(durableObject.className)}) ],
  durableObjectStorage = ${storage ? '(localDisk = "do-storage")' : '(inMemory = void)'},`;
  }
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ ${services.join(', ')} ],
  sockets = [ (name = "http", address = ${quote(`127.0.0.1:${port}`)}, http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  compatibilityDate = ${quote(compatibilityDate)},
  modules = [ ${modules.join(', ')} ],
  bindings = [ ${bindings.join(', ')} ],${objects}
);
`;
}

/** compatibility_date, the first Durable Object binding and its class, from a wrangler.toml. */
export function readWranglerWorker(file) {
  const text = readFileSync(file, 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(text)?.[1];
  if (!date) throw new Error(`${file}: no compatibility_date`);
  const binding = /\[\[durable_objects\.bindings\]\][^[]*?name\s*=\s*"([^"]+)"[^[]*?class_name\s*=\s*"([^"]+)"/s.exec(text);
  return { compatibilityDate: date, durableObject: binding ? { binding: binding[1], className: binding[2] } : undefined };
}

export const workerdBinary = typeof workerdModule === 'string' ? workerdModule : workerdModule.default;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      project: { type: 'string', default: '.' },
      out: { type: 'string' },
      port: { type: 'string', default: '8787' },
      storage: { type: 'string' },
      var: { type: 'string', multiple: true, default: [] },
      'bundle-only': { type: 'boolean' },
    },
  });
  const project = resolve(values.project);
  const out = resolve(values.out ?? join(project, 'build/wrangler'));
  process.stderr.write(wranglerDryRun(project, out));
  if (values['bundle-only']) process.exit(0);
  const toml = join(project, 'wrangler.toml');
  const vars = { ...readWranglerVars(toml) };
  for (const v of values.var) vars[v.slice(0, v.indexOf('='))] = v.slice(v.indexOf('=') + 1);
  if (values.storage) mkdirSync(values.storage, { recursive: true });
  const configFile = join(out, 'workerd.capnp');
  writeFileSync(configFile, workerdConfigForBundle({ dir: out, port: values.port, vars, storage: values.storage, configFile, ...readWranglerWorker(toml) }));
  const child = spawn(workerdBinary, ['serve', configFile, '--experimental'], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 1));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
}
