/**
 * The simulator library as the quality tracker needs it: every generator is wrapped so that each
 * event it takes is stamped with the generator's name (a mix keeps the stamp: it copies its parts'
 * events) and each injection is noted against the generator that got it; the outermost generator
 * (the mix, or the one generator) hands its batches to the tracker. The driver is unchanged.
 */
import type { SimGenerator, SimulatorLib } from './simulator.js';
import type { QualityTracker, TrackedEvent } from './quality.js';

class TrackedGenerator implements SimGenerator {
  /** Only the generator the driver takes from reports its batches (a mix's parts do not). */
  outermost = true;

  constructor(
    private readonly inner: SimGenerator,
    private readonly tracker: QualityTracker,
    /** The generator name to stamp on events; undefined for a mix (its parts stamp theirs). */
    private readonly stamp: string | undefined,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get now(): number {
    return this.inner.now;
  }

  get rate(): number {
    return this.inner.rate;
  }

  set rate(perSecond: number) {
    this.inner.rate = perSecond;
  }

  get hasAnomalies(): boolean | undefined {
    return this.inner.hasAnomalies;
  }

  take(n: number): ReturnType<SimGenerator['take']> {
    const taken = this.inner.take(n);
    if (this.stamp !== undefined) for (const t of taken) (t as TrackedEvent).generator = this.stamp;
    if (this.outermost) this.tracker.observeTaken(taken);
    return taken;
  }

  inject(n: number): void {
    if (this.stamp !== undefined && this.inner.hasAnomalies !== false) this.tracker.noteInjected(this.stamp, n);
    this.inner.inject(n);
  }

  /** src/simulate's mix calls `settle` on its parts. */
  settle(): ReturnType<SimGenerator['take']> {
    const inner = this.inner as SimGenerator & { settle?(): ReturnType<SimGenerator['take']> };
    const settled = inner.settle?.() ?? [];
    if (this.stamp !== undefined) for (const t of settled) (t as TrackedEvent).generator = this.stamp;
    if (this.outermost) this.tracker.observeTaken(settled);
    return settled;
  }
}

export function trackedSimulatorLib(lib: SimulatorLib, tracker: QualityTracker): SimulatorLib {
  return {
    createGenerator: (name, options) => new TrackedGenerator(lib.createGenerator(name, options), tracker, name),
    mixGenerators(parts, seed) {
      for (const part of parts) if (part.generator instanceof TrackedGenerator) part.generator.outermost = false;
      return new TrackedGenerator(lib.mixGenerators(parts, seed), tracker, undefined);
    },
    score: (alerts, truthKeys) => lib.score(alerts, truthKeys),
    alertKey: (alert) => lib.alertKey(alert),
    relabel: lib.relabel ? (taken, stream) => lib.relabel!(taken, stream) : undefined,
  };
}
