/**
 * Checkpoints of a whole engine: every rule (text, status, counts, and its state: open windows,
 * machine keys, SUPPRESS periods), rule history, IOC sets, tables, models, event time, counters
 * and the input position, in the versioned document of engine-state.ts. Restoring compiles each
 * rule's text again into a plan (plans hold closures and sandboxes: they are not data) and hands
 * it its saved state.
 */
import { decodeEngineState, encodeEngineState, type SavedRule } from './engine-state.js';
import type { EventRecord } from '../lang/fields.js';
import type { IocRegistry } from './ioc-registry.js';
import type { Metrics } from './metrics.js';
import type { ModelRegistry } from './models.js';
import { RecompileError, type RuleRegistry } from './registry.js';
import type { RuleCompileContext } from './rule-plan.js';
import type { StateContext } from './rule-state.js';
import { MachineKeys } from './state-machine.js';
import { Suppressor } from './suppression.js';
import type { TableRegistry } from './tables.js';
import type { TimeIndex } from './time-index.js';
import { WindowStore } from './window.js';

/** The parts of an engine a checkpoint holds. */
export interface EngineParts {
  registry: RuleRegistry;
  iocs: IocRegistry;
  tables: TableRegistry;
  models: ModelRegistry;
  time: TimeIndex;
  metrics: Metrics;
  state: StateContext;
  compile(): RuleCompileContext;
}

export function takeCheckpoint(parts: EngineParts, position: number, extra: unknown): Uint8Array {
  const { registry, iocs, tables, models, time, metrics } = parts;
  const blobs: Uint8Array[] = [];
  const rules: SavedRule[] = registry.ordered().map((r) => ({
    name: r.name,
    text: r.plan.text,
    file: r.plan.source.file,
    ...(r.plan.source.language === 'sigma' ? { language: 'sigma' as const } : {}),
    order: r.order,
    status: r.state.status,
    deactivation: r.state.deactivation,
    stats: { ...r.state.stats },
    windows: r.state.windows?.snapshot(),
    machineBlob: r.state.machine && blobs.push(r.state.machine.serialize()) - 1,
    suppression: r.state.suppressor?.snapshot(),
  }));
  return encodeEngineState(
    {
      position,
      nextOrder: registry.nextOrder,
      counters: { ...metrics.counters },
      rules,
      history: registry.allHistory(),
      // Shared lists and tables are the host's to store (PlacementOptions in ioc-registry.ts).
      iocs: iocs.list().flatMap(({ name, shared }) => (shared ? [] : [{ name, blob: blobs.push(iocs.serialize(name)) - 1 }])),
      tables: tables.names().flatMap((name) => (tables.isShared(name) ? [] : [{ name, entries: tables.entries(name) }])),
      models: models.names().map((name) => [name, models.get(name)]),
      ...time.snapshot(),
      extra,
    },
    blobs,
  );
}

/** A rule of a checkpoint that this engine no longer compiles (a newer Vigil refusing it). */
export interface RefusedOnRestore {
  rule: string;
  reason: string;
}

/**
 * Replaces everything the parts hold with what the checkpoint saved; its input position and the
 * caller's data. A rule that no longer compiles is left out with its reason (its version history
 * stays), and everything else is restored: one rule a newer Vigil refuses must not take the other
 * rules' windows and machines with it.
 */
export function restoreCheckpoint(parts: EngineParts, bytes: Uint8Array): { position: number; extra?: unknown; refused: RefusedOnRestore[] } {
  const { registry, iocs, tables, models, time, metrics, state: host } = parts;
  const { state, blobs } = decodeEngineState(bytes);
  registry.clear();
  // Shared lists and tables stay: the host loaded them, and no checkpoint holds them.
  for (const { name, shared } of iocs.list()) if (!shared) iocs.drop(name);
  for (const name of tables.names()) if (!tables.isShared(name)) tables.delete(name);
  for (const name of models.names()) models.delete(name);

  for (const { name, blob } of state.iocs) {
    if (iocs.exists(name)) iocs.drop(name);
    iocs.load(name, blobs[blob]!);
  }
  for (const { name, entries } of state.tables) {
    tables.delete(name);
    tables.create(name, entries);
  }
  for (const [name, model] of state.models) models.set(name, model);
  const refused: RefusedOnRestore[] = [];
  for (const saved of state.rules) {
    let plan;
    try {
      plan = registry.recompile({ language: saved.language ?? 'vgl', text: saved.text, file: saved.file }, saved.name);
    } catch (error) {
      if (!(error instanceof RecompileError)) throw error;
      refused.push({ rule: saved.name, reason: error.message });
      continue;
    }
    const agg = plan.aggregation;
    registry.restoreRule(
      plan,
      {
        status: saved.status,
        deactivation: saved.deactivation,
        stats: saved.stats,
        windows: agg && (saved.windows ? WindowStore.restore(agg.window, saved.windows, host.windowBuffers) : new WindowStore<EventRecord>(agg.window, host.windowBuffers)),
        machine: plan.stateMachine && (saved.machineBlob !== undefined ? MachineKeys.restore(host.stateTables, blobs[saved.machineBlob]!) : MachineKeys.create(host.stateTables)),
        suppressor: plan.suppression && restoredSuppressor(plan.suppression.periodMs, saved.suppression),
      },
      saved.order,
    );
    if (saved.status === 'deactivated') plan.sandbox?.dispose();
  }
  registry.restoreHistory(state.history, state.nextOrder);
  metrics.counters = { ...state.counters };
  time.rebuild(registry.ordered());
  time.restore(state.watermarks, state.eventClocks);
  return { position: state.position, extra: state.extra, refused };
}

function restoredSuppressor(periodMs: number, saved: SavedRule['suppression']): Suppressor {
  const suppressor = new Suppressor(periodMs);
  if (saved) suppressor.restore(saved);
  return suppressor;
}
