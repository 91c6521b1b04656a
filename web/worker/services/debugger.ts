/**
 * The debugger service: the state-machine debugger's view of the STATE MACHINE rules (counts,
 * rates, trails of keys: ../transition-tracker.ts, fed by the engine's `onTransition`) and stepping the simulator one event at a
 * time until one reaches a rule.
 */
import type { MachineSnapshot, MachineTrail, TrailStep } from '../../../src/runtime/worker/protocol.js';
import { TransitionTracker } from '../transition-tracker.js';
import type { HostContext } from './context.js';
import type { SimulatorService } from './simulator.js';

export class DebuggerService {
  readonly tracker: TransitionTracker;

  constructor(
    private readonly ctx: HostContext,
    private readonly simulator: SimulatorService,
  ) {
    this.tracker = new TransitionTracker(() => ctx.now());
    // For the engine's lifetime: the worker has one engine, disposed with the worker.
    ctx.engine.onTransition(this.tracker.observe);
  }

  /** Follows the rules as they are now (after any change). */
  rulesChanged(): void {
    this.tracker.setRules(this.ctx.engine.rules());
  }

  machineRules(): string[] {
    return this.ctx.engine.rules().filter((r) => r.kind === 'state-machine').map((r) => r.name);
  }

  machineSnapshot(rule: string): MachineSnapshot {
    this.rulesChanged();
    const stats = this.ctx.engine.stateMachineStats(rule, { countStates: true });
    return this.tracker.snapshot(rule, { liveKeys: stats.liveKeys, byteSize: stats.byteSize, states: stats.states ?? {} });
  }

  machineTrail(rule: string, key: string): MachineTrail {
    this.rulesChanged();
    const t = this.tracker.rule(rule);
    if (!t) throw new Error(`rule "${rule}" is not a STATE MACHINE rule`);
    return this.tracker.trail(rule, key, this.ctx.engine.stateOf(rule, t.keyOfText(key)));
  }

  watchKey(rule: string, key: string, on: boolean): void {
    this.rulesChanged();
    this.tracker.rule(rule)?.watch(key, on);
  }

  async stepMachine(rule: string, options: { key?: string; maxEvents?: number } = {}): Promise<{ step?: TrailStep; key?: string; events: number }> {
    const t = this.tracker.rule(rule);
    if (!t) throw new Error(`rule "${rule}" is not a STATE MACHINE rule`);
    const maxEvents = options.maxEvents ?? (options.key === undefined ? 5000 : 50_000);
    const sim = this.simulator;
    if (sim.running) {
      sim.driver.stop();
      await sim.persistSettings();
    }
    if (options.key !== undefined) t.watch(options.key, true);
    const last = () => (options.key === undefined ? t.steps : (t.trails.get(options.key).at(-1)?.seq ?? 0));
    const before = last();
    let events = 0;
    const available = sim.status().available;
    while (available && events < maxEvents && last() === before) {
      sim.driver.step(1);
      events++;
    }
    this.ctx.feed.flushNow();
    if (last() === before) return { events };
    // The most recently updated key holds the newest step.
    const key = options.key ?? t.trails.keys()[0];
    const step = key === undefined ? undefined : t.trails.get(key).at(-1);
    return step ? { step, key, events } : { events };
  }
}
