/** The engine's counters and its input rate, and the metrics document made of them. */
import type { EngineCounters } from './engine-state.js';
import type { Clock } from './event-time.js';
import { RateMeter } from './rate-meter.js';
import type { LiveRule } from './registry.js';
import type { EngineMetrics } from './types.js';

export function zeroCounters(): EngineCounters {
  return { eventsIn: 0, alertsOut: 0, lateEvents: 0, deactivations: 0, reentries: 0, quarantined: 0 };
}

export class Metrics {
  counters = zeroCounters();
  private readonly rate: RateMeter;

  constructor(clock: Clock) {
    this.rate = new RateMeter(clock);
  }

  eventsIn(count: number): void {
    this.counters.eventsIn += count;
    this.rate.add(count);
  }

  report(rules: readonly LiveRule[]): EngineMetrics {
    const byRule: EngineMetrics['rules'] = {};
    // defineProperty: a rule may be named `__proto__`.
    let windowEvents = 0;
    for (const rule of rules) {
      Object.defineProperty(byRule, rule.name, { value: { ...rule.state.stats, state: rule.state.status }, enumerable: true, writable: true, configurable: true });
      windowEvents += rule.state.windows?.heldEvents ?? 0;
    }
    return { ...this.counters, eventsPerSecond: this.rate.perSecond(), windowEvents, rules: byRule };
  }
}
