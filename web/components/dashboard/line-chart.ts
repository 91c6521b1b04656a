/** A time-series line chart (d3 scales, line and axes), sized to its box. */
import { LitElement, css, html, nothing, svg } from 'lit';
import { area, axisBottom, axisLeft, curveMonotoneX, format, line, scaleLinear, scaleTime, select, timeFormat } from 'd3';
import { ElementSize } from '../shared/element-size.js';
import { baseStyles, chartStyles } from '../shared/styles.js';

export interface ChartPoint {
  time: number;
  value: number;
}

const M = { top: 10, right: 14, bottom: 22, left: 46 };

export class LineChart extends LitElement {
  static override properties = {
    points: { attribute: false },
    label: { type: String },
    color: { type: String },
    windowMs: { type: Number },
    unit: { type: String },
  };

  declare points: ChartPoint[];
  declare label: string;
  declare color: string;
  declare windowMs: number;
  declare unit: string;
  private readonly size = new ElementSize(this, { width: 400, height: 160, minWidth: 100, minHeight: 80, target: () => this.renderRoot.querySelector('.box') });

  constructor() {
    super();
    this.points = [];
    this.label = '';
    this.color = 'var(--accent)';
    this.windowMs = 5 * 60_000;
    this.unit = '/s';
  }

  static override styles = [
    baseStyles,
    chartStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
      }
      .head {
        display: flex;
        align-items: baseline;
        gap: 8px;
        padding: 8px 10px 0;
      }
      .label {
        color: var(--fg-dim);
        font-size: var(--fs-small);
        text-transform: uppercase;
        letter-spacing: 0.06em;
        flex: 1;
      }
      .now {
        font: 600 18px var(--font-mono);
        font-variant-numeric: tabular-nums;
      }
      .box {
        flex: 1;
        min-height: 0;
        position: relative;
      }
    `,
  ];

  override updated(): void {
    const { x, y } = this.scales();
    const xa = this.renderRoot.querySelector<SVGGElement>('g.x');
    const ya = this.renderRoot.querySelector<SVGGElement>('g.y');
    const grid = this.renderRoot.querySelector<SVGGElement>('g.grid');
    const tf = timeFormat('%H:%M:%S');
    const nf = format('~s');
    const innerW = this.size.width - M.left - M.right;
    if (xa) select(xa).call(axisBottom(x).ticks(Math.max(2, Math.floor(innerW / 90))).tickSizeOuter(0).tickFormat((d) => tf(d as Date)));
    if (ya) select(ya).call(axisLeft(y).ticks(4).tickSizeOuter(0).tickFormat((d) => nf(Number(d))));
    if (grid) select(grid).call(axisLeft(y).ticks(4).tickSize(-innerW).tickFormat(() => ''));
  }

  private scales() {
    const now = this.points.length ? this.points[this.points.length - 1]!.time : Date.now();
    const first = this.points.length ? this.points[0]!.time : now;
    // Show the history there is (at least a minute), up to the window: a fresh app is not a sliver.
    const span = Math.min(this.windowMs, Math.max(60_000, now - first));
    const max = Math.max(1, ...this.points.map((p) => p.value));
    const x = scaleTime().domain([now - span, now]).range([M.left, this.size.width - M.right]);
    const y = scaleLinear().domain([0, max * 1.1]).nice(4).range([this.size.height - M.bottom, M.top]);
    return { x, y };
  }

  override render() {
    const { x, y } = this.scales();
    const pts = this.points;
    const path = line<ChartPoint>().x((d) => x(d.time)).y((d) => y(d.value)).curve(curveMonotoneX)(pts) ?? '';
    const fill = area<ChartPoint>().x((d) => x(d.time)).y0(this.size.height - M.bottom).y1((d) => y(d.value)).curve(curveMonotoneX)(pts) ?? '';
    const latest = pts[pts.length - 1]?.value;
    return html`
      <div class="head">
        <span class="label">${this.label}</span>
        <span class="now" style="color:${this.color}">${latest === undefined ? '–' : latest < 10 ? latest.toFixed(1) : Math.round(latest).toLocaleString('en-US')}<span class="dim" style="font-size:11px;font-weight:400">${this.unit}</span></span>
      </div>
      <div class="box">
        ${this.size.measured ? this.chart(fill, path) : nothing}
      </div>
    `;
  }

  private chart(fill: string, path: string) {
    return html`<svg width=${this.size.width} height=${this.size.height} role="img" aria-label=${`${this.label} over time`}>
          ${svg`<g class="grid" transform="translate(${M.left},0)"></g>
          <g class="axis x" transform="translate(0,${this.size.height - M.bottom})"></g>
          <g class="axis y" transform="translate(${M.left},0)"></g>
          <clipPath id="clip"><rect x=${M.left} y=${M.top - 2} width=${Math.max(0, this.size.width - M.left - M.right)} height=${Math.max(0, this.size.height - M.top - M.bottom + 2)}></rect></clipPath>
          <g clip-path="url(#clip)">
            <path d=${fill} style="fill:${this.color};fill-opacity:0.12"></path>
            <path d=${path} style="fill:none;stroke:${this.color};stroke-width:1.5"></path>
          </g>`}
        </svg>`;
  }
}

customElements.define('vigil-line-chart', LineChart);
