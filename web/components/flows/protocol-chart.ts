/** Protocol statistics over event time: TCP, UDP and other stacked (d3 stack, area, axes), per second. */
import { LitElement, css, html, svg } from 'lit';
import { area, axisBottom, axisLeft, format, scaleLinear, scaleTime, select, stack, timeFormat } from 'd3';
import { protocolRows, TRANSPORTS, type FlowMetric, type ProtocolRow } from '../../lib/flows.js';
import type { FlowProtocolPoint } from '../../../src/runtime/worker/protocol.js';
import { ElementSize } from '../shared/element-size.js';
import { baseStyles, chartStyles } from '../shared/styles.js';

export const TRANSPORT_COLORS = { tcp: '#4aa3ff', udp: '#ff8c42', other: '#9b7bff' } as const;

const M = { top: 10, right: 14, bottom: 22, left: 50 };

export class ProtocolChart extends LitElement {
  static override properties = {
    points: { attribute: false },
    bucketMs: { type: Number },
    metric: { type: String },
  };

  declare points: FlowProtocolPoint[];
  declare bucketMs: number;
  declare metric: FlowMetric;
  private readonly size = new ElementSize(this, { width: 500, height: 180, minWidth: 120, minHeight: 80 });

  constructor() {
    super();
    this.points = [];
    this.bucketMs = 10_000;
    this.metric = 'flows';
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
      .none {
        position: absolute;
        inset: 0;
        display: flex;
        align-items: center;
        justify-content: center;
        color: var(--fg-faint);
      }
    `,
  ];

  private rows(): ProtocolRow[] {
    return protocolRows(this.points, this.metric, this.bucketMs);
  }

  private scales(rows: readonly ProtocolRow[]) {
    const first = rows[0]?.time ?? Date.now();
    const last = Math.max(first + this.bucketMs, rows[rows.length - 1]?.time ?? first);
    const max = Math.max(1e-9, ...rows.map((r) => r.tcp + r.udp + r.other));
    const x = scaleTime().domain([first, last]).range([M.left, this.size.width - M.right]);
    const y = scaleLinear().domain([0, max * 1.1]).nice(4).range([this.size.height - M.bottom, M.top]);
    return { x, y };
  }

  override updated(): void {
    const { x, y } = this.scales(this.rows());
    const innerW = this.size.width - M.left - M.right;
    const tf = timeFormat('%H:%M:%S');
    const nf = format('~s');
    const xa = this.renderRoot.querySelector<SVGGElement>('g.x');
    const ya = this.renderRoot.querySelector<SVGGElement>('g.y');
    const grid = this.renderRoot.querySelector<SVGGElement>('g.grid');
    if (xa) select(xa).call(axisBottom(x).ticks(Math.max(2, Math.floor(innerW / 90))).tickSizeOuter(0).tickFormat((d) => tf(d as Date)));
    if (ya) select(ya).call(axisLeft(y).ticks(4).tickSizeOuter(0).tickFormat((d) => nf(Number(d))));
    if (grid) select(grid).call(axisLeft(y).ticks(4).tickSize(-innerW).tickFormat(() => ''));
  }

  override render() {
    const rows = this.rows();
    const { x, y } = this.scales(rows);
    const layers = stack<ProtocolRow>().keys([...TRANSPORTS])(rows);
    const shape = area<[number, number] & { data: ProtocolRow }>()
      .x((d) => x(d.data.time))
      .y0((d) => y(d[0]))
      .y1((d) => y(d[1]));
    return html`<svg width=${this.size.width} height=${this.size.height} role="img" aria-label=${`${this.metric} per second by transport`}>
        ${svg`<g class="grid" transform="translate(${M.left},0)"></g>
        <g class="axis x" transform="translate(0,${this.size.height - M.bottom})"></g>
        <g class="axis y" transform="translate(${M.left},0)"></g>
        ${layers.map(
          (layer) => svg`<path data-testid="protocol-area" data-transport=${layer.key} d=${shape(layer as never) ?? ''} style="fill:${TRANSPORT_COLORS[layer.key as keyof typeof TRANSPORT_COLORS]};fill-opacity:0.55;stroke:${TRANSPORT_COLORS[layer.key as keyof typeof TRANSPORT_COLORS]};stroke-width:1"></path>`,
        )}`}
      </svg>
      ${rows.length ? '' : html`<div class="none">Waiting for the first 10 seconds of flows…</div>`}`;
  }
}

customElements.define('vigil-protocol-chart', ProtocolChart);
