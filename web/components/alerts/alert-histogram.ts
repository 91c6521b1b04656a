/**
 * Alerts over time: a d3 bar chart of counts per bucket (event time or processing time) with a
 * brush; brushing sets the time range (`range-change`, detail: { from, to } or undefined when
 * cleared). The range is half-open [from, to), in epoch ms, snapped to whole milliseconds.
 */
import { axisBottom, brushX, scaleLinear, scaleTime, select, timeFormat, type BrushBehavior } from 'd3';
import { LitElement, css, html, svg } from 'lit';
import type { TriageAlert } from '../../../src/runtime/worker/protocol.js';
import { histogram, niceStep, timeOf } from '../../lib/alert-triage.js';
import { baseStyles } from '../shared/styles.js';

const HEIGHT = 90;
const MARGIN = { top: 6, right: 10, bottom: 18, left: 10 };

export class AlertHistogram extends LitElement {
  static override properties = {
    rows: { attribute: false },
    axis: { type: String },
    range: { attribute: false },
    width: { state: true },
  };

  declare rows: TriageAlert[];
  declare axis: 'eventTime' | 'at';
  declare range: { from: number; to: number } | undefined;
  declare width: number;
  private brush: BrushBehavior<unknown> | undefined;
  private x = scaleTime();
  /** Nothing is drawn before the first measurement (else it is drawn twice as the view opens). */
  private measured = false;
  private readonly resize = new ResizeObserver((entries) => {
    for (const e of entries) this.width = Math.max(200, Math.floor(e.contentRect.width));
    if (!this.measured) {
      this.measured = true;
      this.requestUpdate();
    }
  });
  /** Moving the brush from code (a new range or domain) must not report back. */
  private quiet = false;

  constructor() {
    super();
    this.rows = [];
    this.axis = 'eventTime';
    this.width = 600;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      svg {
        display: block;
      }
      .bar {
        fill: var(--accent);
        opacity: 0.75;
      }
      .axis text {
        fill: var(--fg-dim);
        font-size: 10px;
      }
      .axis path,
      .axis line {
        stroke: var(--line);
      }
      .selection {
        fill: var(--accent);
        fill-opacity: 0.15;
        stroke: var(--accent);
      }
      .empty {
        color: var(--fg-dim);
        font-size: var(--fs-small);
        padding: 8px;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.resize.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
  }

  /** The extent of the rows' times: [first, last + 1). */
  private domain(): [number, number] | undefined {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of this.rows) {
      const t = timeOf(r, this.axis);
      if (t === undefined) continue;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    return lo <= hi ? [lo, hi + 1] : undefined;
  }

  override render() {
    if (!this.measured) return html`<div style="height:${HEIGHT}px"></div>`;
    const domain = this.domain();
    if (!domain) return html`<div class="empty" data-testid="histogram-empty">No ${this.axis === 'eventTime' ? 'event times' : 'alerts'} to chart.</div>`;
    const step = niceStep(domain[1] - domain[0]);
    const from = Math.floor(domain[0] / step) * step;
    const to = Math.max(from + step, Math.ceil(domain[1] / step) * step);
    const bins = histogram(this.rows, this.axis, from, to, step);
    const innerW = this.width - MARGIN.left - MARGIN.right;
    const innerH = HEIGHT - MARGIN.top - MARGIN.bottom;
    this.x = scaleTime().domain([from, to]).range([0, innerW]);
    const y = scaleLinear().domain([0, Math.max(1, ...bins.map((b) => b.count))]).range([innerH, 0]);
    const bw = Math.max(1, innerW / bins.length - 1);
    return html`<svg width=${this.width} height=${HEIGHT} data-testid="alert-histogram" data-from=${from} data-to=${to} data-step=${step} role="img"
      aria-label="Alerts per ${step / 1000} s">
      <g transform="translate(${MARGIN.left},${MARGIN.top})">
        ${bins.map(
          (b) => svg`<rect class="bar" data-testid="histogram-bar" data-start=${b.start} data-count=${b.count} x=${this.x(b.start)} y=${y(b.count)} width=${bw} height=${innerH - y(b.count)}><title>${new Date(b.start).toISOString()}: ${b.count}</title></rect>`,
        )}
        <g class="axis" transform="translate(0,${innerH})"></g>
        <g class="brush" data-testid="histogram-brush"></g>
      </g>
    </svg>`;
  }

  override updated(): void {
    const root = this.renderRoot.querySelector('svg');
    if (!root) return;
    const innerW = this.width - MARGIN.left - MARGIN.right;
    const innerH = HEIGHT - MARGIN.top - MARGIN.bottom;
    const span = this.x.domain()[1]!.getTime() - this.x.domain()[0]!.getTime();
    const format = timeFormat(span > 2 * 86_400_000 ? '%m-%d' : span > 3600_000 ? '%H:%M' : '%H:%M:%S');
    select(root.querySelector('g.axis') as SVGGElement).call(axisBottom(this.x).ticks(Math.max(2, Math.floor(innerW / 90))).tickFormat((d) => format(d as Date)));
    const g = select(root.querySelector('g.brush') as SVGGElement);
    if (!this.brush) {
      this.brush = brushX()
        .extent([
          [0, 0],
          [innerW, innerH],
        ])
        .on('end', (event: { selection: [number, number] | null; sourceEvent?: unknown }) => {
          if (this.quiet || !event.sourceEvent) return;
          const sel = event.selection;
          const detail = sel ? { from: Math.floor(this.x.invert(sel[0]).getTime()), to: Math.ceil(this.x.invert(sel[1]).getTime()) } : undefined;
          this.dispatchEvent(new CustomEvent('range-change', { detail }));
        });
    }
    this.brush.extent([
      [0, 0],
      [innerW, innerH],
    ]);
    g.call(this.brush);
    this.quiet = true;
    try {
      g.call(this.brush.move, this.range ? [Math.max(0, this.x(this.range.from)), Math.min(innerW, this.x(this.range.to))] : null);
    } finally {
      this.quiet = false;
    }
  }
}

customElements.define('vigil-alert-histogram', AlertHistogram);
