/**
 * Re-entry: alerts go back into the engine as events, routed by their `rule` field, so rules can
 * be fed by other rules' alerts. This is its one home — the single engine re-enters into itself,
 * and a deployment that spreads rules over several engines plugs in its own AlertTarget.
 *
 * Processing goes level by level (all alerts of one depth re-enter as one batch: one crossing per
 * rule), bounded by maxReentryDepth and by the re-entry budget. Output order is fixed and does not
 * depend on where batches end: depth first — each alert is followed by the alerts it caused (and
 * theirs), before the next alert of its level; alerts of one level come in the order their causes
 * had in the input. That is the order one event at a time would give. Every alert carries a key
 * (its cause's key, then its own sequence number) and the alerts of one input are emitted sorted
 * by it.
 */
import type { KeyedAlert } from './firing.js';
import type { EventRecord } from '../lang/fields.js';
import type { ResolvedOptions } from './options.js';
import { SandboxViolation, type FunctionPhase } from './ports.js';
import type { RuleRegistry } from './registry.js';
import { ALERT_FIELD } from './rule-plan.js';
import type { Alert, RuntimeDiagnostic } from './types.js';

/** Where re-entered alerts go: one level in, the alerts it raised (keyed) out. */
export interface AlertTarget {
  /** Whether any rule takes alerts (otherwise nothing re-enters). */
  wantsAlerts(): boolean;
  reenter(level: readonly KeyedAlert[], depth: number): KeyedAlert[];
}

export interface ReentryContext {
  options: Pick<ResolvedOptions, 'maxReentryDepth' | 'reentryBudget' | 'reentryFanOut'>;
  /** Whether a rule of this name exists (and can be blamed for a fan-out). */
  hasRule(name: string): boolean;
  report(diagnostic: RuntimeDiagnostic): void;
  /** Deactivates the named rule for a violation; the alert saying so, once. */
  deactivate(name: string, violation: SandboxViolation, phase: FunctionPhase): Alert | undefined;
  /** Hands an alert to the engine's listeners (after counting it, unless the engine that raised it did). */
  emit(keyed: KeyedAlert): void;
}

/** An input's alerts on their way out: re-entered level by level, then emitted in key order. */
export class Reentry {
  /** Alerts of the current input: raised directly, and raised by re-entered alerts (see reentryBudget). */
  private fanOut = { direct: 0, derived: 0 };
  private pending: KeyedAlert[] = [];
  private open = 0;

  constructor(
    private readonly ctx: ReentryContext,
    public target: AlertTarget,
  ) {}

  /**
   * Runs one input (a push, a flush, a clock tick): `work` hands its direct alerts to `raise` (as
   * many times as it fires things); they and everything they cause are emitted, in order, when the
   * input is done.
   */
  input(work: (raise: (level: KeyedAlert[], depth?: number) => void) => void): void {
    if (this.open++ === 0) {
      this.fanOut = { direct: 0, derived: 0 };
      this.pending = [];
    }
    try {
      work((level, depth = 0) => this.settle(level, depth));
    } finally {
      if (--this.open === 0) this.flushOut();
    }
  }

  /**
   * Alerts raised at `depth` (0: directly by the input; more: by alerts re-entered elsewhere, e.g.
   * forwarded from another partition) and the chain they start, depth by depth.
   */
  private settle(level: KeyedAlert[], from: number): void {
    if (from === 0) this.fanOut.direct += level.length;
    for (let depth = from; level.length; depth++) {
      if (depth > 0) level = this.withinBudget(level);
      this.pending.push(...level);
      if (!level.length || !this.target.wantsAlerts()) return;
      if (depth + 1 > this.ctx.options.maxReentryDepth) {
        const rules = [...new Set(level.map((a) => a.alert.rule))];
        this.ctx.report({
          code: 'vigil.reentry',
          message: `alert chain deeper than ${this.ctx.options.maxReentryDepth} re-entries stopped (rules ${rules.map((r) => `"${r}"`).join(', ')})`,
          rules,
        });
        return;
      }
      level = this.target.reenter(level, depth + 1);
    }
  }

  private flushOut(): void {
    const out = this.pending;
    this.pending = [];
    // Most inputs re-enter nothing and raise their alerts in order already: check before sorting.
    let sorted = true;
    for (let i = 1; i < out.length && sorted; i++) sorted = compareKeys(out[i - 1]!.key, out[i]!.key) <= 0;
    if (!sorted) out.sort((a, b) => compareKeys(a.key, b.key));
    for (const keyed of out) this.ctx.emit(keyed);
  }

  /**
   * Alerts raised by re-entered alerts count against the budget of the input that started the
   * chain. Past it, the rule raising the most of this round's alerts is deactivated and its alerts
   * of the round dropped, until the rest fits: an alert ring stops growing, every other rule goes on.
   */
  private withinBudget(level: KeyedAlert[]): KeyedAlert[] {
    const { reentryBudget, reentryFanOut } = this.ctx.options;
    const budget = reentryBudget + reentryFanOut * this.fanOut.direct;
    while (level.length && this.fanOut.derived + level.length > budget) {
      const counts = new Map<string, number>();
      for (const { alert } of level) counts.set(alert.rule, (counts.get(alert.rule) ?? 0) + 1);
      let worst = '';
      let most = 0;
      for (const [rule, n] of counts) if (n > most && this.ctx.hasRule(rule)) [worst, most] = [rule, n];
      if (!most) break;
      const reason = `alerts derived from one input passed the re-entry budget (${budget}: reentryBudget ${reentryBudget} + ${reentryFanOut} per direct alert); this rule raised ${most} of the last round, dropped`;
      const system = this.ctx.deactivate(worst, new SandboxViolation('fanout', worst, reason), 'sink');
      const at = level.find((a) => a.alert.rule === worst)!.key;
      level = level.filter((a) => a.alert.rule !== worst);
      if (system) level.push({ key: at, alert: system });
      // Alerts of other engines (an AlertTarget's) were counted there; the system alert is ours.
    }
    this.fanOut.derived += level.length;
    return level;
  }
}

/** The engine re-entering into itself: a level of alerts is one batch at its depth. */
export function selfTarget(registry: RuleRegistry, run: (batch: readonly EventRecord[], depth: number, prefixOf: (origin: number) => number[]) => KeyedAlert[]): AlertTarget {
  return {
    wantsAlerts: () => registry.router.hasField(ALERT_FIELD),
    reenter(level, depth) {
      const keys = level.map((a) => a.key);
      return run(
        level.map((a) => a.alert as EventRecord),
        depth,
        (origin) => keys[origin] ?? keys[0] ?? [],
      );
    },
  };
}

/** Element by element; a key that is a prefix of another (a cause and what it caused) comes first. */
export function compareKeys(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
