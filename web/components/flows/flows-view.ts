/**
 * The Flows view (#/flows?host=<address>): statistics of the flow events the engine saw, all
 * aggregated in the worker — protocol statistics over time, top talkers by bytes and by flows, a
 * host's profile per window — and the flow model: train K-Means (k by silhouette) + KNN in the
 * worker, see the host windows in 2-D after PCA with the anomalies in red, relabel a cluster by
 * clicking its centroid or its chip, download the model JSON.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { FlowHostProfile, FlowSummary, FlowTalker } from '../../../src/runtime/worker/protocol.js';
import type { ClassFigures, ExplainedFlowModelView, TruthFigures } from '../../worker/flow-model.js';
import { fmtCount, fmtDateTime, fmtPercent, fmtTime } from '../../lib/format.js';
import { describeFeatures, FLOW_METRICS, fmtVolume, talkerBars, TRANSPORTS, transportShares, type FlowMetric } from '../../lib/flows.js';
import { formatRoute, type Route } from '../../lib/router.js';
import { StoreController } from '../../state/controller.js';
import { baseStyles } from '../shared/styles.js';
import { clusterColor } from './cluster-plot.js';
import { describeWhy } from './flow-why.js';
import './cluster-plot.js';
import './host-profile.js';
import { TRANSPORT_COLORS } from './protocol-chart.js';
import './protocol-chart.js';

/** The host profile is fetched again at most this often while flows arrive. */
const PROFILE_REFRESH_MS = 2000;

export class FlowsView extends LitElement {
  static override properties = {
    route: { attribute: false },
    metric: { state: true },
    model: { state: true },
    profile: { state: true },
    training: { state: true },
    hostOptions: { state: true },
  };

  declare route: Route | undefined;
  declare metric: FlowMetric;
  /** The worker sends the explained view (web/worker/flow-model.ts) through the protocol's FlowModelView. */
  declare model: ExplainedFlowModelView | undefined;
  declare profile: FlowHostProfile | undefined;
  declare training: boolean;
  declare hostOptions: string[];
  private readonly data = new StoreController(this, ['metrics']);
  private profileFetch = { host: '', at: 0, version: -1, pending: false };
  private modelFetching = false;

  constructor() {
    super();
    this.route = undefined;
    this.metric = 'flows';
    this.model = undefined;
    this.profile = undefined;
    this.training = false;
    this.hostOptions = [];
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: grid;
        grid-template-columns: repeat(12, minmax(0, 1fr));
        grid-template-rows: auto minmax(220px, 0.9fr) minmax(340px, 1.3fr);
        gap: 8px;
        padding: 8px;
        height: 100%;
        min-height: 0;
        overflow: auto;
      }
      .tiles {
        grid-column: 1 / -1;
        display: grid;
        grid-template-columns: repeat(6, minmax(0, 1fr));
        gap: 8px;
      }
      .tile {
        padding: 8px 12px;
      }
      .tile .k {
        font-size: 11px;
        color: var(--fg-dim);
        text-transform: uppercase;
        letter-spacing: 0.06em;
        white-space: nowrap;
      }
      .tile .v {
        font: 600 20px/1.3 var(--font-mono);
        font-variant-numeric: tabular-nums;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .panel {
        display: flex;
        flex-direction: column;
        overflow: hidden;
      }
      .protocols {
        grid-column: span 6;
      }
      .protocols vigil-protocol-chart {
        flex: 1;
      }
      .talkers {
        grid-column: span 3;
      }
      .profile {
        grid-column: span 5;
      }
      .ml {
        grid-column: span 7;
      }
      .scroll {
        flex: 1;
        overflow: auto;
        min-height: 0;
      }
      .seg {
        display: inline-flex;
      }
      .seg button {
        height: 22px;
        padding: 0 8px;
        border-radius: 0;
        font-size: 11px;
        text-transform: none;
        letter-spacing: 0;
      }
      .seg button:first-child {
        border-radius: var(--radius) 0 0 var(--radius);
      }
      .seg button:last-child {
        border-radius: 0 var(--radius) var(--radius) 0;
      }
      .seg button[aria-pressed='true'] {
        background: var(--accent-2);
        border-color: var(--accent);
        color: #fff;
      }
      .legend {
        display: flex;
        gap: 14px;
        padding: 4px 10px 0;
        font: 11px var(--font-mono);
        color: var(--fg-dim);
      }
      .legend i {
        display: inline-block;
        width: 10px;
        height: 10px;
        border-radius: 2px;
        margin-right: 4px;
        vertical-align: -1px;
      }
      .talker {
        display: grid;
        grid-template-columns: minmax(0, 1fr) auto;
        gap: 8px;
        padding: 3px 10px;
        font: 12px var(--font-mono);
        position: relative;
        cursor: pointer;
      }
      .talker:hover {
        background: var(--bg-hover);
      }
      .talker.sel {
        outline: 1px solid var(--accent);
        outline-offset: -1px;
      }
      .talker i {
        position: absolute;
        left: 0;
        top: 2px;
        bottom: 2px;
        background: rgba(74, 163, 255, 0.15);
      }
      .talker span {
        position: relative;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .body {
        padding: 8px 10px;
        display: flex;
        flex-direction: column;
        gap: 8px;
        min-height: 0;
        flex: 1;
      }
      .pick {
        display: flex;
        gap: 8px;
        align-items: center;
      }
      .pick input {
        width: 180px;
        font-family: var(--font-mono);
      }
      .ml-body {
        display: grid;
        grid-template-columns: minmax(0, 1fr) 250px;
        gap: 8px;
        padding: 8px;
        flex: 1;
        min-height: 0;
      }
      .ml-body vigil-cluster-plot {
        min-height: 260px;
      }
      .side {
        display: flex;
        flex-direction: column;
        gap: 8px;
        min-height: 0;
        overflow: auto;
        font-size: var(--fs-small);
      }
      .chips {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
      }
      .chip {
        height: auto;
        padding: 2px 8px;
        border-radius: 10px;
        font: 11px var(--font-mono);
        display: inline-flex;
        gap: 6px;
        align-items: center;
      }
      .chip .sw {
        width: 8px;
        height: 8px;
        border-radius: 50%;
      }
      .chip.anomalous {
        border-color: #ff4d5e;
        color: #ff8a95;
      }
      dl {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 2px 10px;
        margin: 0;
        font-variant-numeric: tabular-nums;
      }
      dt {
        color: var(--fg-dim);
      }
      dd {
        margin: 0;
      }
      .flagged div {
        font: 11px var(--font-mono);
        padding: 2px 0;
        border-bottom: 1px solid var(--line);
        cursor: pointer;
      }
      .flagged .why {
        display: block;
        font: 11px var(--font-ui);
        color: var(--fg-dim);
        white-space: normal;
      }
      table.truth td,
      table.truth th {
        padding: 1px 6px;
        font-size: 11px;
        max-width: none;
      }
      .flagged div:hover {
        color: var(--fg);
        background: var(--bg-hover);
      }
      .note {
        color: var(--fg-faint);
        font-size: var(--fs-small);
      }
      .start {
        grid-column: 1 / -1;
        grid-row: 2 / span 2;
        display: flex;
        flex-direction: column;
        align-items: center;
        justify-content: center;
        gap: 12px;
        color: var(--fg-dim);
        text-align: center;
      }
      /* Tablets in portrait and phones: the panels stack (the two talker lists side by side on a
         tablet), each with a height of its own, the model's side column goes under its plot, and
         the page scrolls. */
      @media (max-width: 799.98px) {
        :host {
          grid-template-columns: repeat(2, minmax(0, 1fr));
          grid-template-rows: none;
          grid-auto-rows: auto;
          height: auto;
          overflow: visible;
        }
        .tiles {
          grid-template-columns: repeat(3, minmax(0, 1fr));
        }
        .protocols,
        .profile,
        .ml,
        .start {
          grid-column: 1 / -1;
          grid-row: auto;
        }
        .talkers {
          grid-column: span 1;
          max-height: 340px;
        }
        .protocols {
          height: 280px;
        }
        .start {
          padding: 24px 16px;
        }
        .panel-head {
          height: auto;
          min-height: 32px;
          flex-wrap: wrap;
          padding: 4px 10px;
        }
        .legend {
          flex-wrap: wrap;
          gap: 2px 14px;
        }
        .profile .scroll {
          overflow: visible;
        }
        .pick {
          flex-wrap: wrap;
        }
        .pick input {
          flex: 1 1 180px;
        }
        .ml-body {
          grid-template-columns: minmax(0, 1fr);
        }
        .ml-body vigil-cluster-plot {
          height: 320px;
        }
        .side {
          overflow: visible;
        }
      }
      @media (max-width: 479.98px) {
        .tiles {
          grid-template-columns: repeat(2, minmax(0, 1fr));
        }
        .talkers {
          grid-column: 1 / -1;
        }
        .ml-body vigil-cluster-plot {
          height: 280px;
        }
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.fetchModel();
  }

  private get summary(): FlowSummary | undefined {
    return this.data.store.metrics?.flows;
  }

  private get host(): string {
    return this.route?.params.host ?? '';
  }

  private selectHost(host: string): void {
    const trimmed = host.trim();
    location.hash = formatRoute({ view: 'flows', params: { host: trimmed || undefined } });
  }

  /** Refetches what the summary says has changed: the model after training or scoring, the host's profile. */
  override willUpdate(): void {
    const summary = this.summary;
    if (!summary || this.data.store.status !== 'ready') return;
    if (summary.model && summary.model.version !== this.model?.version && !this.training) void this.fetchModel();
    const host = this.host;
    const f = this.profileFetch;
    if (!host) {
      this.profile = undefined;
      return;
    }
    const stale = host !== f.host || (summary.version !== f.version && Date.now() - f.at > PROFILE_REFRESH_MS);
    if (stale && !f.pending) void this.fetchProfile(host, summary.version);
  }

  private async fetchModel(): Promise<void> {
    const store = this.data.store;
    if (this.modelFetching || store.status !== 'ready') return;
    this.modelFetching = true;
    try {
      this.model = ((await store.api.flowModel()) as ExplainedFlowModelView | undefined) ?? undefined;
    } catch {
      // The worker went away: the shell shows it.
    } finally {
      this.modelFetching = false;
    }
  }

  private async fetchProfile(host: string, version: number): Promise<void> {
    const f = this.profileFetch;
    f.pending = true;
    f.host = host;
    f.version = version;
    f.at = Date.now();
    try {
      const profile = await this.data.store.api.flowHostProfile(host);
      if (host === this.host) this.profile = profile;
    } catch (error) {
      this.data.store.toast('error', `Could not load the profile of ${host}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      f.pending = false;
    }
  }

  private async suggestHosts(prefix: string): Promise<void> {
    this.hostOptions = await this.data.store.api.flowHosts(prefix, 30);
  }

  private async train(): Promise<void> {
    const store = this.data.store;
    this.training = true;
    const view = await store.run(() => store.api.trainFlowModel());
    this.training = false;
    if (!view) return;
    this.model = view as ExplainedFlowModelView;
    const anomalous = view.clusters.filter((c) => c.label === 'anomalous').length;
    store.toast('info', `Trained on ${fmtCount(view.points.length)} host windows in ${Math.round(view.ms)} ms: k = ${view.k}, ${anomalous} anomalous cluster${anomalous === 1 ? '' : 's'}`);
  }

  private async toggleCluster(index: number): Promise<void> {
    const store = this.data.store;
    const cluster = this.model?.clusters[index];
    if (!cluster) return;
    const view = await store.run(() => store.api.labelFlowCluster(index, cluster.label === 'anomalous' ? 'normal' : 'anomalous'));
    if (view) this.model = view as ExplainedFlowModelView;
  }

  private async download(): Promise<void> {
    const json = await this.data.store.run(() => this.data.store.api.flowModelJson());
    if (!json) return;
    const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'vigil-flow-model.json';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  /** Adds the flows generator to the simulator's mix and runs it. */
  private async runFlowSimulator(): Promise<void> {
    const store = this.data.store;
    const settings = store.metrics?.simulator.settings;
    if (!settings) return;
    const mix = settings.mix.some((p) => p.generator === 'flows') ? settings.mix : [...settings.mix, { generator: 'flows' as const, weight: 1 }];
    await store.run(async () => {
      await store.api.configureSimulator({ mix });
      await store.api.startSimulator();
    }, 'The flows generator runs in the simulator');
  }

  override render() {
    const store = this.data.store;
    const s = this.summary;
    if (!store.metrics) return html`<div class="empty" style="grid-column:1/-1">Waiting for the engine…</div>`;
    if (!s) {
      return html`<div class="start panel" data-testid="flows-empty">
        <b>No flow events yet.</b>
        <span>The Flows view aggregates flow records (<span class="mono">source.ip</span>, <span class="mono">destination.ip</span>, <span class="mono">network.bytes</span>, …) the engine receives.<br />Run the simulator's <span class="mono">flows</span> generator, or push flows (NetFlow/IPFIX, goflow2 JSON decoded to flow events).</span>
        <button class="primary" data-testid="flows-run-simulator" @click=${this.runFlowSimulator}>▶ Run the flows generator</button>
      </div>`;
    }
    const shares = transportShares(s.totals, this.metric);
    return html`
      <div class="tiles">
        ${this.tile('Flows seen', fmtCount(s.flows), 'flows-total', '', s.flows)}
        ${TRANSPORTS.map((t) => this.tile(`${t} ${this.metric}`, fmtPercent(shares[t]), `flows-share-${t}`))}
        ${this.tile(`Sources · ${s.talkerSpanMs / 60_000} min`, fmtCount(s.sources), 'flows-sources')}
        ${this.tile('Event time', fmtTime(s.eventTime), '', s.late ? `${fmtCount(s.late)} late flows left out of the windows` : fmtDateTime(s.eventTime))}
      </div>
      <section class="panel protocols">
        <div class="panel-head">
          <span class="grow">Protocols · ${this.metric} per second, ${s.bucketMs / 1000} s buckets</span>
          <span class="seg" role="group" aria-label="measure">
            ${FLOW_METRICS.map((m) => html`<button aria-pressed=${this.metric === m} data-testid=${`flows-metric-${m}`} @click=${() => (this.metric = m)}>${m}</button>`)}
          </span>
        </div>
        <div class="legend" data-testid="protocol-legend">
          ${TRANSPORTS.map((t) => html`<span><i style="background:${TRANSPORT_COLORS[t]}"></i>${t} ${this.metric === 'bytes' ? fmtVolume(s.totals[t].bytes) : fmtCount(s.totals[t][this.metric])}</span>`)}
          <span class="faint">over the last ${Math.round((s.protocols.length * s.bucketMs) / 60_000)} min</span>
        </div>
        <vigil-protocol-chart data-testid="protocol-chart" .points=${s.protocols} .bucketMs=${s.bucketMs} .metric=${this.metric}></vigil-protocol-chart>
      </section>
      ${this.talkerPanel('Top talkers · bytes', 'top-talkers-bytes', s.topByBytes, 'bytes', s)}
      ${this.talkerPanel('Top talkers · flows', 'top-talkers-flows', s.topByFlows, 'flows', s)}
      ${this.profilePanel()}
      ${this.modelPanel(s)}
    `;
  }

  private tile(k: string, v: string, testid = '', title = '', value?: number) {
    return html`<div class="panel tile" data-testid=${testid || nothing} data-value=${value ?? nothing} title=${title || nothing}><div class="k">${k}</div><div class="v">${v}</div></div>`;
  }

  private talkerPanel(title: string, testid: string, talkers: readonly FlowTalker[], key: 'bytes' | 'flows', s: FlowSummary) {
    const bars = talkerBars(talkers, key);
    return html`<section class="panel talkers">
      <div class="panel-head"><span class="grow">${title} · ${s.talkerSpanMs / 60_000} min</span></div>
      <div class="scroll" data-testid=${testid}>
        ${talkers.length === 0 ? html`<div class="empty">No flows in the last windows.</div>` : nothing}
        ${talkers.map(
          (t, i) => html`<div
            class="talker ${t.address === this.host ? 'sel' : ''}"
            data-testid="talker"
            title=${`${t.address}: ${fmtCount(t.flows)} flows, ${fmtCount(t.packets)} packets, ${fmtVolume(t.bytes)} — show its profile`}
            @click=${() => this.selectHost(t.address)}
          >
            <i style="width:${bars[i]}%"></i><span>${t.address}</span><span class="dim">${key === 'bytes' ? fmtVolume(t.bytes) : fmtCount(t.flows)}</span>
          </div>`,
        )}
      </div>
    </section>`;
  }

  private profilePanel() {
    const host = this.host;
    const profile = this.profile?.address === host ? this.profile : undefined;
    return html`<section class="panel profile">
      <div class="panel-head"><span class="grow">Host profile · per ${((this.summary?.windowMs ?? 60_000) / 60_000).toString()} min window</span></div>
      <div class="body">
        <div class="pick">
          <input
            list="flow-hosts"
            placeholder="address, e.g. 10.1.0.1"
            aria-label="host"
            data-testid="host-input"
            .value=${host}
            @focus=${(e: Event) => void this.suggestHosts((e.target as HTMLInputElement).value)}
            @input=${(e: Event) => void this.suggestHosts((e.target as HTMLInputElement).value)}
            @change=${(e: Event) => this.selectHost((e.target as HTMLInputElement).value)}
          />
          <datalist id="flow-hosts">${this.hostOptions.map((h) => html`<option value=${h}></option>`)}</datalist>
          <span class="note">${host ? '' : 'Pick a host: type an address, or click a talker or a point of the plot.'}</span>
        </div>
        <div class="scroll">
          ${host && profile ? html`<vigil-host-profile data-testid="host-profile" .profile=${profile}></vigil-host-profile>` : nothing}
          ${host && profile && profile.windows.every((w) => !w.out.flows && !w.in.flows) ? html`<div class="empty">No flows of ${host} in the kept windows.</div>` : nothing}
        </div>
      </div>
    </section>`;
  }

  /** Recall and precision per class against the simulator's truth (accuracy would hide rare attacks among normal rows). */
  private vsTruth(title: string, testid: string, t: TruthFigures | undefined) {
    if (!t) return nothing;
    const cls = (name: string, c: ClassFigures) => html`<tr data-class=${name}>
      <td>${name}</td><td class="num">${fmtCount(c.support)}</td><td class="num" data-testid="class-recall">${fmtPercent(c.recall)}</td><td class="num" data-testid="class-precision">${fmtPercent(c.precision)}</td>
    </tr>`;
    return html`<div data-testid=${testid}>
      <div class="note">${title} (${fmtCount(t.rows)} with ground truth):</div>
      <table class="grid truth">
        <thead><tr><th>class</th><th class="num">rows</th><th class="num">recall</th><th class="num">precision</th></tr></thead>
        <tbody>${cls('anomalous', t.anomalous)}${cls('normal', t.normal)}</tbody>
      </table>
    </div>`;
  }

  private modelPanel(s: FlowSummary) {
    const m = this.model;
    const flagged = (m?.scored ?? []).filter((p) => p.label === 'anomalous').slice(-40).reverse();
    const anomalousRows = m?.points.filter((p) => p.label === 'anomalous') ?? [];
    const anomalousHosts = [...new Set(anomalousRows.map((p) => p.host))];
    return html`<section class="panel ml">
      <div class="panel-head">
        <span class="grow">Flow model · K-Means + KNN, hosts after PCA</span>
        ${m ? html`<button class="ghost" data-testid="flows-download" title="The model as JSON (src/ml FlowModel)" @click=${this.download}>⤓ JSON</button>` : nothing}
        <button class="primary" data-testid="flows-train" ?disabled=${this.training || !s.flows} @click=${this.train}>
          ${this.training ? 'Training…' : m ? '↻ Retrain' : '▶ Train'}
        </button>
      </div>
      <div class="ml-body">
        <vigil-cluster-plot
          .model=${m}
          .host=${this.host}
          @pick-host=${(e: CustomEvent<string>) => this.selectHost(e.detail)}
          @toggle-cluster=${(e: CustomEvent<number>) => void this.toggleCluster(e.detail)}
        ></vigil-cluster-plot>
        <div class="side">
          ${m
            ? html`<dl data-testid="model-facts">
                  <dt>Trained</dt><dd>${fmtTime(m.trainedAt)} · ${Math.round(m.ms)} ms</dd>
                  <dt>Rows</dt><dd>${fmtCount(m.points.length)} host windows</dd>
                  <dt>k</dt><dd data-testid="model-k">${m.k} (silhouette ${m.silhouette.find((x) => x.k === m.k)?.score.toFixed(3) ?? '–'})</dd>
                  <dt>Features</dt><dd title=${m.modelFeatures.join(', ')}>${m.featureSet === 'host-baseline' ? "host-baseline: volumes vs the host's usual, shape per flow" : 'raw volumes'}</dd>
                </dl>
                ${this.vsTruth('vs truth · training rows', 'truth-training', m.vsTruth.training)}
                ${this.vsTruth('vs truth · windows scored since', 'truth-scored', m.vsTruth.scored)}
                <div>
                  <div class="note">Clusters — click one to flip its label:</div>
                  <div class="chips" data-testid="cluster-chips">
                    ${m.clusters.map(
                      (c) => html`<button class="chip ${c.label}" data-testid="cluster-chip" data-label=${c.label} title=${`${c.size} rows, labelled by ${c.labelledBy}${c.truthKnown ? ` (${c.truthAnomalous}/${c.truthKnown} anomalous in truth)` : ''}`} @click=${() => this.toggleCluster(c.index)}>
                        <span class="sw" style="background:${clusterColor(c.index, c.label)}"></span>${c.index} ${c.label} · ${c.size}
                      </button>`,
                    )}
                  </div>
                </div>
                <div>
                  <div class="note">Anomalous in training (${anomalousRows.length} rows):</div>
                  <div class="flagged" data-testid="anomalous-hosts">
                    ${anomalousHosts.slice(0, 30).map((h) => {
                      const row = anomalousRows.find((p) => p.host === h)!;
                      return html`<div title=${describeFeatures(row.features)} @click=${() => this.selectHost(h)}>${h}<span class="why">${describeWhy(row.why)}</span></div>`;
                    })}
                  </div>
                </div>
                <div>
                  <div class="note">Flagged by the KNN in windows closed since training (${flagged.length}):</div>
                  <div class="flagged" data-testid="flagged-hosts">
                    ${flagged.map(
                      (p) => html`<div data-testid="flagged-row" data-host=${p.host} data-truth=${p.truth === undefined ? 'unknown' : String(p.truth)} title=${describeFeatures(p.features)} @click=${() => this.selectHost(p.host)}>
                        ${fmtTime(p.windowStart).slice(0, 5)} ${p.host} · ${Math.round((p.score ?? 0) * 100)} % of the vote${p.truth === undefined ? '' : p.truth ? ' · truth: attack' : ' · truth: normal'}
                        <span class="why" data-testid="flag-why">${describeWhy(p.why)}</span>
                      </div>`,
                    )}
                  </div>
                </div>`
            : html`<div class="note">
                Trains in the engine worker on the newest host windows (per source and minute; whole minutes once there are enough, else what there is so far), with src/ml's host-baseline features:
                bytes, flows, packets, destinations and ports against the host's usual (or the typical host's), and the shape of its traffic per flow.
                Clusters are labelled from the simulator's ground truth when the flows came from it (a row of known truth votes with it); otherwise the largest cluster, and clusters of recurring hosts, are normal. Click a cluster to relabel it.
                A flagged window says why: its features furthest from the nearest normal cluster, in standard deviations (σ) of the training rows.
              </div>`}
        </div>
      </div>
    </section>`;
  }
}

customElements.define('vigil-flows-view', FlowsView);
