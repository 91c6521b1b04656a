/**
 * The flows service: statistics of the flow events the engine saw (../flow-stats.ts) and the flow
 * model trained on them (../flow-model.ts), which rules score with as `utils.classify("flows", …)`.
 */
import type { FlowHostProfile, FlowModelView, FlowSummary } from '../../../src/runtime/worker/protocol.js';
import { FlowModelKeeper } from '../flow-model.js';
import { FlowStats } from '../flow-stats.js';
import type { HostContext } from './context.js';

/** The name rules give `utils.classify` for the model trained in the Flows view. */
export const FLOW_MODEL_NAME = 'flows';
/** The flow model trains on whole windows only once they hold this many host windows. */
const MIN_FULL_TRAINING_ROWS = 30;

export class FlowsService {
  private readonly stats = new FlowStats();
  private readonly models = new FlowModelKeeper();

  constructor(private readonly ctx: HostContext) {
    this.stats.onWindowClosed = (rows) => this.models.score(rows);
  }

  /** Counts the flow events among `events` (`anomalous`: the simulator's ground truth, per event). */
  add(events: readonly unknown[], anomalous?: readonly boolean[]): void {
    this.stats.add(events, anomalous);
  }

  clear(): void {
    this.stats.clear();
    this.models.clear();
  }

  /** What the metrics snapshot carries; undefined before the first flow. */
  summary(): FlowSummary | undefined {
    if (!this.stats.flows) return undefined;
    const view = this.models.currentView();
    const summary = this.stats.summary();
    return view ? { ...summary, model: { version: view.version, trainedAt: view.trainedAt, k: view.k, flagged: this.models.flagged } } : summary;
  }

  flowHostProfile(address: string): FlowHostProfile {
    const profile = this.stats.hostProfile(address);
    for (const w of profile.windows) {
      // The model judges what a host sends (its features are per source).
      if (w.open || !w.out.flows) continue;
      const row = this.stats.outboundRow(address, w.windowStart);
      const verdict = row && this.models.classify(row.inputs);
      if (verdict) Object.assign(w, verdict);
    }
    return profile;
  }

  flowHosts(prefix = '', limit = 50): string[] {
    return this.stats.hosts(prefix, limit);
  }

  async trainFlowModel(options: { maxRows?: number } = {}): Promise<FlowModelView> {
    // Rows of part of a minute look like quiet hosts: train on whole windows once there are enough.
    const full = this.stats.featureRows('full');
    const rows = full.length >= MIN_FULL_TRAINING_ROWS ? full : this.stats.featureRows('all');
    const view = this.models.train(rows, { now: this.ctx.now(), windowMs: this.stats.windowMs, maxRows: options.maxRows });
    this.publish();
    this.ctx.feed.markDirty();
    return view;
  }

  flowModel(): FlowModelView | undefined {
    return this.models.currentView();
  }

  labelFlowCluster(cluster: number, label: 'normal' | 'anomalous'): FlowModelView {
    const view = this.models.label(cluster, label);
    this.publish();
    this.ctx.feed.markDirty();
    return view;
  }

  flowModelJson(): string | undefined {
    const model = this.models.current;
    return model ? JSON.stringify(model) : undefined;
  }

  /** Rules score with the model the view shows: `utils.classify("flows", utils.flowFeatures(events))`. */
  private publish(): void {
    const model = this.models.current;
    if (model) this.ctx.engine.models.set(FLOW_MODEL_NAME, model);
  }
}
