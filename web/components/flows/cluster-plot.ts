/**
 * The flow model's host windows in the plane of the first two principal components: training rows
 * coloured by cluster, anomalous ones in red and larger, rows scored after training as diamonds,
 * centroids as crosses. Clicking a point picks its host (`pick-host`); clicking a centroid asks to
 * flip its cluster's label (`toggle-cluster`).
 */
import { LitElement, css, html, nothing, svg } from 'lit';
import { axisBottom, axisLeft, format, scaleLinear, select } from 'd3';
import type { FlowModelPoint, FlowModelView } from '../../../src/runtime/worker/protocol.js';
import { fmtTime } from '../../lib/format.js';
import { describeFeatures, plotDomains } from '../../lib/flows.js';
import type { ExplainedFlowPoint } from '../../worker/flow-model.js';
import { ElementSize } from '../shared/element-size.js';
import { describeWhy } from './flow-why.js';
import { baseStyles, chartStyles } from '../shared/styles.js';

const M = { top: 12, right: 14, bottom: 30, left: 44 };
const ANOMALY = '#ff4d5e';

/**
 * Hues for normal clusters: no red, orange or pink, which mean "anomalous" here (a cluster drawn
 * in Tableau's red once read as anomalous while labelled normal).
 */
export const NORMAL_CLUSTER_COLORS = ['#4e79a7', '#76b7b2', '#59a14f', '#edc949', '#af7aa1', '#9c755f', '#bab0ab', '#6b9bd1', '#3f9fa8', '#8cd17d'] as const;
export const ANOMALY_COLOR = ANOMALY;

/** The colour of a cluster: red when it is labelled anomalous, else its hue (never a red). */
export function clusterColor(index: number, label = 'normal'): string {
  return label === 'anomalous' ? ANOMALY : NORMAL_CLUSTER_COLORS[index % NORMAL_CLUSTER_COLORS.length]!;
}

export class ClusterPlot extends LitElement {
  static override properties = {
    model: { attribute: false },
    host: { type: String },
  };

  declare model: FlowModelView | undefined;
  declare host: string;
  private readonly size = new ElementSize(this, { width: 500, height: 320, minWidth: 160, minHeight: 120 });

  constructor() {
    super();
    this.model = undefined;
    this.host = '';
  }

  static override styles = [
    baseStyles,
    chartStyles,
    css`
      :host {
        display: block;
        position: relative;
        min-height: 0;
      }
      .label {
        fill: var(--fg-dim);
        font: 11px var(--font-ui);
      }
      circle,
      path.scored {
        cursor: pointer;
      }
      circle:hover {
        stroke: var(--fg);
        stroke-width: 2;
      }
      .centroid {
        cursor: pointer;
      }
      .centroid text {
        font: 600 11px var(--font-mono);
        paint-order: stroke;
        stroke: var(--bg-1);
        stroke-width: 3;
      }
    `,
  ];

  private scales() {
    const m = this.model;
    const domains = plotDomains(m ? [...m.points, ...m.scored, ...m.clusters] : []);
    const x = scaleLinear().domain(domains.x).range([M.left, this.size.width - M.right]);
    const y = scaleLinear().domain(domains.y).range([this.size.height - M.bottom, M.top]);
    return { x, y };
  }

  override updated(): void {
    const { x, y } = this.scales();
    const nf = format('.2~f');
    const xa = this.renderRoot.querySelector<SVGGElement>('g.x');
    const ya = this.renderRoot.querySelector<SVGGElement>('g.y');
    if (xa) select(xa).call(axisBottom(x).ticks(Math.max(2, Math.floor((this.size.width - M.left - M.right) / 80))).tickSizeOuter(0).tickFormat((d) => nf(Number(d))));
    if (ya) select(ya).call(axisLeft(y).ticks(5).tickSizeOuter(0).tickFormat((d) => nf(Number(d))));
  }

  private pick(point: FlowModelPoint): void {
    this.dispatchEvent(new CustomEvent('pick-host', { detail: point.host, bubbles: true, composed: true }));
  }

  private toggle(cluster: number): void {
    this.dispatchEvent(new CustomEvent('toggle-cluster', { detail: cluster, bubbles: true, composed: true }));
  }

  private tooltip(p: FlowModelPoint, scored: boolean) {
    const truth = p.truth === undefined ? '' : ` · truth: ${p.truth ? 'anomalous' : 'normal'}`;
    const verdict = scored ? `KNN: ${p.label} (${Math.round((p.score ?? 0) * 100)} % anomalous)` : `${p.label} (cluster ${p.cluster})`;
    const why = (p as ExplainedFlowPoint).why;
    return svg`<title>${p.host} · ${fmtTime(p.windowStart)} · ${verdict}${truth}\n${describeFeatures(p.features)}${why ? `\nwhy: ${describeWhy(why)}` : ''}</title>`;
  }

  override render() {
    const m = this.model;
    const { x, y } = this.scales();
    const [e1 = 0, e2 = 0] = m?.explained ?? [];
    // Normal points first, so the anomalous ones are drawn on top.
    const points = m ? [...m.points].sort((a, b) => Number(a.label === 'anomalous') - Number(b.label === 'anomalous')) : [];
    return html`<svg width=${this.size.width} height=${this.size.height} role="img" aria-label="host windows after PCA" data-testid="cluster-plot">
      ${svg`<g class="axis x" transform="translate(0,${this.size.height - M.bottom})"></g>
      <g class="axis y" transform="translate(${M.left},0)"></g>
      <text class="label" x=${this.size.width - M.right} y=${this.size.height - 2} text-anchor="end">PC1 · ${Math.round(e1 * 100)} % of the variance</text>
      <text class="label" x=${M.left + 4} y=${M.top + 4} dominant-baseline="hanging">PC2 · ${Math.round(e2 * 100)} %</text>
      ${points.map((p) => {
        const anomalous = p.label === 'anomalous';
        const selected = p.host === this.host;
        return svg`<circle data-testid="cluster-point" data-anomalous=${anomalous} data-host=${p.host} cx=${x(p.x)} cy=${y(p.y)} r=${anomalous ? 5 : 3}
          style="fill:${clusterColor(p.cluster, p.label)};fill-opacity:${anomalous ? 0.85 : 0.55};stroke:${selected ? '#fff' : anomalous ? '#ffd0d5' : 'none'};stroke-width:${selected ? 2 : 1}"
          @click=${() => this.pick(p)}>${this.tooltip(p, false)}</circle>`;
      })}
      ${(m?.scored ?? []).map((p) => {
        const anomalous = p.label === 'anomalous';
        const cx = x(p.x);
        const cy = y(p.y);
        const r = anomalous ? 6 : 4;
        return svg`<path class="scored" data-testid="scored-point" data-anomalous=${anomalous} d=${`M${cx},${cy - r}L${cx + r},${cy}L${cx},${cy + r}L${cx - r},${cy}Z`}
          style="fill:none;stroke:${clusterColor(p.cluster, p.label)};stroke-width:${anomalous ? 2 : 1.2}" @click=${() => this.pick(p)}>${this.tooltip(p, true)}</path>`;
      })}
      ${(m?.clusters ?? []).map(
        (c) => svg`<g class="centroid" data-testid="centroid" transform="translate(${x(c.x)},${y(c.y)})" @click=${() => this.toggle(c.index)}>
          <title>cluster ${c.index}: ${c.label} (${c.labelledBy}) · ${c.size} rows — click to mark it ${c.label === 'anomalous' ? 'normal' : 'anomalous'}</title>
          <path d="M-6,-6L6,6M-6,6L6,-6" data-testid="centroid-mark" data-label=${c.label} style="stroke:${clusterColor(c.index, c.label)};stroke-width:3"></path>
          <text x="8" y="-6" style="fill:${clusterColor(c.index, c.label)}">${c.index}</text>
        </g>`,
      )}`}
    </svg>
    ${m ? nothing : html`<div class="empty" style="position:absolute;inset:0;display:flex;align-items:center;justify-content:center">Train the model to see the host windows in 2-D.</div>`}`;
  }
}

customElements.define('vigil-cluster-plot', ClusterPlot);
