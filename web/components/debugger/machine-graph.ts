/**
 * A STATE MACHINE rule drawn as a graph: states as nodes (keys per state inside), transitions as
 * labelled edges (event · rate), and, over it, the trail of one key: the steps up to the cursor,
 * the current one highlighted, invalid events as red stubs out of the state they hit.
 * Layout from lib/machine-layout.ts; scales and number formats from d3.
 */
import { format, scaleSqrt } from 'd3';
import { LitElement, css, html, nothing, svg } from 'lit';
import type { MachineSnapshot, TrailStep } from '../../../src/runtime/worker/protocol.js';
import { layoutMachine, type MachineLayout } from '../../lib/machine-layout.js';
import { baseStyles } from '../shared/styles.js';

const fmtRate = format('.2~f');
const fmtCount = format(',');

export class MachineGraph extends LitElement {
  static override properties = {
    snapshot: { attribute: false },
    trail: { attribute: false },
    cursor: { type: Number },
    width: { state: true },
    height: { state: true },
  };

  declare snapshot: MachineSnapshot | undefined;
  declare trail: TrailStep[];
  /** Index into `trail` of the step shown as current; -1 shows no trail. */
  declare cursor: number;
  declare width: number;
  declare height: number;
  private layoutCache: { key: string; layout: MachineLayout } | undefined;
  private readonly resize = new ResizeObserver((entries) => {
    const box = entries[0]?.contentRect;
    if (!box) return;
    const w = Math.floor(box.width);
    const h = Math.floor(box.height);
    if (w !== this.width || h !== this.height) [this.width, this.height] = [w, h];
  });

  constructor() {
    super();
    this.trail = [];
    this.cursor = -1;
    this.width = 800;
    this.height = 420;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        position: relative;
        min-height: 0;
      }
      .box {
        position: absolute;
        inset: 0;
      }
      svg {
        display: block;
      }
      .edge {
        fill: none;
        stroke: var(--line-2);
        stroke-width: 1.5;
      }
      .edge.hot {
        stroke: #5b7da8;
      }
      .edge-label {
        font: 11px var(--font-mono);
        fill: var(--fg-dim);
        paint-order: stroke;
        stroke: var(--bg-1);
        stroke-width: 4px;
        text-anchor: middle;
      }
      .edge-label .ev {
        fill: var(--fg);
        font-weight: 600;
      }
      .trail {
        fill: none;
        stroke: var(--accent);
        stroke-linecap: round;
      }
      .trail.now {
        stroke-width: 5;
      }
      .invalid {
        stroke: var(--err);
        stroke-width: 2.5;
        stroke-dasharray: 5 3;
      }
      .invalid.now {
        stroke-width: 4;
      }
      .invalid-label {
        fill: var(--err);
        font: 600 12px var(--font-mono);
        paint-order: stroke;
        stroke: var(--bg-1);
        stroke-width: 4px;
      }
      .node circle {
        fill: var(--bg-3);
        stroke: var(--line-2);
        stroke-width: 1.5;
      }
      .node.initial circle.outer {
        fill: none;
        stroke: var(--fg-faint);
      }
      .node.term circle {
        fill: #2a3342;
      }
      .node.current circle.main {
        stroke: var(--accent);
        stroke-width: 3;
      }
      .node.current.bad circle.main {
        stroke: var(--err);
      }
      .node text {
        text-anchor: middle;
        fill: var(--fg);
      }
      .node .name {
        font: 600 12px var(--font-ui);
      }
      .node .count {
        font: 11px var(--font-mono);
        fill: var(--fg-dim);
      }
    `,
  ];

  override firstUpdated(): void {
    const box = this.renderRoot.querySelector('.box');
    if (box) this.resize.observe(box);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
  }

  private layout(snapshot: MachineSnapshot): MachineLayout {
    const key = `${snapshot.rule}|${snapshot.definition.states.join(',')}|${snapshot.edges.length}|${this.width}x${this.height}`;
    if (this.layoutCache?.key !== key) {
      this.layoutCache = { key, layout: layoutMachine(snapshot.definition, { width: this.width, height: this.height }) };
    }
    return this.layoutCache.layout;
  }

  override render() {
    const s = this.snapshot;
    return html`<div class="box">${s ? this.graph(s) : nothing}</div>`;
  }

  private graph(s: MachineSnapshot) {
    const layout = this.layout(s);
    const r = layout.radius;
    const at = new Map(layout.nodes.map((n) => [n.id, n]));
    const rates = new Map<string, { perSecond: number; count: number; events: string[] }>();
    for (const e of s.edges) {
      const id = `${e.from}\u2192${e.to}`;
      const x = rates.get(id) ?? { perSecond: 0, count: 0, events: [] };
      x.perSecond += e.perSecond;
      x.count += e.count;
      rates.set(id, x);
    }
    const maxRate = Math.max(0.01, ...[...rates.values()].map((x) => x.perSecond));
    const width = scaleSqrt().domain([0, maxRate]).range([1.2, 7]);
    const edgePaths = new Map(layout.edges.map((e) => [e.id, e.path]));
    const steps = this.cursor >= 0 ? this.trail.slice(0, this.cursor + 1) : [];
    const current = steps.at(-1);
    const currentState = current ? (current.valid ? (current.to === 'TERM' ? 'TERM' : current.to) : current.from) : undefined;
    // Invalid steps: stubs fanned out below-right of the state they hit.
    const stubsPerState = new Map<string, number>();
    return html`
      <svg width=${this.width} height=${this.height} data-testid="machine-graph" role="img" aria-label=${`State machine of ${s.rule}`}>
        ${svg`<defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5b6b80"></path></marker>
          <marker id="arrow-hot" viewBox="0 0 10 10" refX="8" refY="5" markerUnits="userSpaceOnUse" markerWidth="13" markerHeight="13" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4aa3ff"></path></marker>
        </defs>`}
        ${layout.edges.map((e) => {
          const rate = rates.get(e.id);
          return svg`<path class="edge ${rate && rate.perSecond > 0 ? 'hot' : ''}" data-edge=${e.id} d=${e.path} style="stroke-width:${width(rate?.perSecond ?? 0)}" marker-end="url(#arrow)"></path>`;
        })}
        ${steps.map((step, i) => {
          const now = i === steps.length - 1;
          const opacity = now ? 1 : 0.25 + (0.5 * (i + 1)) / steps.length;
          if (step.valid) {
            const path = edgePaths.get(`${step.from}\u2192${step.to}`);
            return path ? svg`<path class="trail ${now ? 'now' : ''}" data-testid="trail-edge" d=${path} style="opacity:${opacity};stroke-width:${now ? 5 : 3}" marker-end=${now ? 'url(#arrow-hot)' : nothing}></path>` : nothing;
          }
          const node = at.get(step.from);
          if (!node) return nothing;
          const k = stubsPerState.get(step.from) ?? 0;
          stubsPerState.set(step.from, k + 1);
          const angle = Math.PI / 4 + (k % 4) * 0.35;
          const x1 = node.x + Math.cos(angle) * r;
          const y1 = node.y + Math.sin(angle) * r;
          const x2 = node.x + Math.cos(angle) * r * 2.4;
          const y2 = node.y + Math.sin(angle) * r * 2.4;
          return svg`<g data-testid="trail-invalid" data-from=${step.from} data-event=${step.event} style="opacity:${now ? 1 : Math.max(0.55, opacity)}">
            <line class="invalid ${now ? 'now' : ''}" x1=${x1} y1=${y1} x2=${x2} y2=${y2}></line>
            <text class="invalid-label" x=${x2 + 4} y=${y2 + 4}>✕ ${step.event}</text>
          </g>`;
        })}
        ${layout.edges.map((e) => {
          const rate = rates.get(e.id);
          return svg`<text class="edge-label" x=${e.label.x} y=${e.label.y - 4}><tspan class="ev">${e.events.join(', ')}</tspan><tspan dx="6">${fmtRate(rate?.perSecond ?? 0)}/s</tspan></text>`;
        })}
        ${layout.nodes.map((n) => {
          // No count on INITIAL (nor TERM): the engine keeps no state for a key until its first
          // transition, so "keys in INITIAL" is not a number it has (it always read 0).
          const count = n.id === 'TERM' || n.id === 'INITIAL' ? undefined : (s.states[n.id] ?? 0);
          const cls = `node ${n.id === 'INITIAL' ? 'initial' : ''} ${n.id === 'TERM' ? 'term' : ''} ${currentState === n.id ? 'current' : ''} ${current && !current.valid ? 'bad' : ''}`;
          return svg`<g class=${cls} data-state=${n.id} transform="translate(${n.x},${n.y})">
            ${n.id === 'INITIAL' ? svg`<title>Every key starts here; the engine holds no state for a key before its first transition</title>` : nothing}
            ${n.id === 'INITIAL' ? svg`<circle class="outer" r=${r + 4}></circle>` : nothing}
            <circle class="main" r=${r}></circle>
            <text class="name" y=${count === undefined ? 4 : -2}>${n.id}</text>
            ${count === undefined ? nothing : svg`<text class="count" y="13" data-testid="state-count">${fmtCount(count)}</text>`}
          </g>`;
        })}
      </svg>
    `;
  }
}

customElements.define('vigil-machine-graph', MachineGraph);
