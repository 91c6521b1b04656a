import type { QuickJSWASMModule } from 'quickjs-emscripten-core';
import { loadQuickJS } from '../../src/sandbox/load.js';
import { DEFAULT_SANDBOX_LIMITS, RuleSandbox, type SandboxLimits, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import type { UtilsHost } from '../../src/lang/utils.js';

let module: Promise<QuickJSWASMModule> | undefined;
/** One QuickJS module per test file (vitest forks per file), shared like the engine shares it. */
export function quickjs(): Promise<QuickJSWASMModule> {
  module ??= loadQuickJS();
  return module;
}

export const TABLES: Record<string, readonly string[]> = { admins: ['root', 'alice'], bad_ips: ['10.0.0.1'] };
export const host: UtilsHost = {
  inTable: (table, value) => TABLES[table]?.includes(value) ?? false,
  // Says what crossed, so a test sees the model name and the features arrive intact.
  classify: (model, features) => {
    if (model !== 'flows') throw new Error(`unknown model '${model}'`);
    return { label: JSON.stringify(features), cluster: 1, score: 0.25 };
  },
};

export async function sandbox(
  functions: { filter?: string; having?: string; sink?: string },
  limits: Partial<SandboxLimits> = {},
  rule = 'test',
  options: SandboxOptions = {},
): Promise<RuleSandbox> {
  return RuleSandbox.create(await quickjs(), rule, functions, { ...DEFAULT_SANDBOX_LIMITS, ...limits }, host, options);
}

/**
 * Process CPU time in ms, for deadlines and measurements alike: on a loaded machine wall time would
 * count the time this process was not running (the Node runtime measures deadlines the same way).
 */
export function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
