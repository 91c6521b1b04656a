/**
 * The simulator service: the traffic simulator (../simulator.ts's driver over src/simulate) as the
 * page drives it, with its settings persisted. The driver pushes its events through `ingest`, the
 * same path as the page's own events.
 */
import type { SimulatorSettings, SimulatorStatus } from '../../../src/runtime/worker/protocol.js';
import { STORE_FORMAT, type SettingsRecord } from '../records.js';
import { SimulatorDriver, type SimulatorLib, type SimulatorTimer } from '../simulator.js';
import type { HostContext } from './context.js';

export class SimulatorService {
  readonly driver: SimulatorDriver;

  constructor(
    private readonly ctx: HostContext,
    lib: SimulatorLib | { unavailable: string },
    /** Pushes generated events to the engine; returns how many it rejected. */
    ingest: (events: Record<string, unknown>[], anomalous: readonly boolean[]) => number,
    timer: SimulatorTimer | undefined,
    warmupMs: number,
  ) {
    this.driver = new SimulatorDriver('unavailable' in lib ? undefined : lib, { push: ingest }, timer, () => ctx.feed.markDirty(), warmupMs);
    if ('unavailable' in lib) this.driver.setUnavailable(lib.unavailable);
  }

  get running(): boolean {
    return this.driver.running;
  }

  status(): SimulatorStatus {
    return this.driver.status();
  }

  async configure(settings: Partial<SimulatorSettings>): Promise<SimulatorStatus> {
    this.driver.configure(settings);
    await this.persistSettings();
    return this.driver.status();
  }

  async start(): Promise<SimulatorStatus> {
    this.driver.start();
    await this.persistSettings();
    return this.driver.status();
  }

  async stop(): Promise<SimulatorStatus> {
    this.driver.stop();
    await this.persistSettings();
    this.ctx.feed.flushNow();
    return this.driver.status();
  }

  inject(n = 1): SimulatorStatus {
    this.driver.inject(n);
    return this.driver.status();
  }

  resetScore(): SimulatorStatus {
    this.driver.resetScore();
    return this.driver.status();
  }

  /** Applies stored (or default) settings at start-up, and starts when they say so. */
  load(settings: SimulatorSettings, running: boolean): void {
    this.driver.configure(settings);
    if (running) this.safeStart();
  }

  settingsRecord(): SettingsRecord {
    return { format: STORE_FORMAT, simulator: this.driver.status().settings, simulatorRunning: this.driver.running };
  }

  persistSettings(): Promise<void> {
    return this.ctx.persistence.write({ settings: this.settingsRecord() });
  }

  private safeStart(): void {
    try {
      this.driver.start();
    } catch {
      // Unavailable simulator: the status says why.
    }
  }
}
