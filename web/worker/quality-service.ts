/**
 * The quality service: the simulator's generators are wrapped (quality-lib.ts) so the tracker
 * (quality.ts) sees every generated event with its generator and every injection; every alert of
 * the live engine reaches it too. The page asks for `quality()` (the Quality view, the injected
 * keys in the Simulator view).
 */
import { alertTruthKey } from './simulator-lib.js';
import { trackedSimulatorLib } from './quality-lib.js';
import { QualityTracker, type QualityReport } from './quality.js';
import type { SimulatorDriver, SimulatorLib } from './simulator.js';

export class QualityService {
  readonly tracker: QualityTracker;

  constructor(now: () => number) {
    this.tracker = new QualityTracker(alertTruthKey, now);
  }

  /** The simulator library with its generators wrapped for the tracker. */
  track(lib: SimulatorLib | { unavailable: string }): SimulatorLib | { unavailable: string } {
    return 'unavailable' in lib ? lib : trackedSimulatorLib(lib, this.tracker);
  }

  /**
   * The tracker starts again whenever the driver's score does (Reset, new generators or seed):
   * its `resetScore` is wrapped on this instance, so the driver itself needs no hook.
   */
  attach(driver: SimulatorDriver): void {
    const resetScore = driver.resetScore.bind(driver);
    driver.resetScore = () => {
      resetScore();
      this.tracker.reset();
    };
  }

  observeAlert(alert: object): void {
    this.tracker.observeAlert(alert as Record<string, unknown>);
  }

  report(): QualityReport {
    return this.tracker.report();
  }
}
