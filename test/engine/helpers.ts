import type { Alert, Engine, EngineOptions, RuntimeDiagnostic } from '../../src/engine/engine.js';
import { ManualClock } from '../../src/engine/event-time.js';
import { createNodeEngine } from '../../src/runtime/node.js';

export interface Harness {
  engine: Engine;
  clock: ManualClock;
  alerts: Alert[];
  diagnostics: RuntimeDiagnostic[];
  /** Applies rules and fails the test with the diagnostics when they do not apply. */
  rules(text: string): void;
  /** Alerts collected so far, then cleared. */
  take(): Alert[];
}

export async function harness(options: EngineOptions = {}): Promise<Harness> {
  const clock = new ManualClock(1_700_000_000_000);
  const engine = await createNodeEngine({ clock: clock.now, ...options });
  const alerts: Alert[] = [];
  const diagnostics: RuntimeDiagnostic[] = [];
  engine.onAlert((a) => alerts.push(a));
  engine.onDiagnostic((d) => diagnostics.push(d));
  return {
    engine,
    clock,
    alerts,
    diagnostics,
    rules(text) {
      const result = engine.putRules(text);
      if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n'));
    },
    take() {
      return alerts.splice(0, alerts.length);
    },
  };
}

/** Strips the non-enumerable `fields` view and anything JSON would drop, as the CLI output does. */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
