/**
 * A world map (d3-geo, world-atlas countries-110m) with a circle per network location, its area
 * proportional to the violations counted there.
 */
import { geoGraticule10, geoNaturalEarth1, geoPath, scaleSqrt } from 'd3';
import { LitElement, css, html, nothing, svg } from 'lit';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import world from 'world-atlas/countries-110m.json' with { type: 'json' };
import type { MapPoint } from '../../lib/network-points.js';
import { baseStyles } from '../shared/styles.js';

const topology = world as unknown as Topology<{ countries: GeometryCollection }>;
const countries = feature(topology, topology.objects.countries);

interface Geometry {
  /** The outlines' SVG paths; undefined until projected (see projectOutlines). */
  land: string | undefined;
  grid: string | undefined;
  project: (p: [number, number]) => [number, number] | null;
  /** Maps to redraw once the outlines are projected. */
  waiting: Set<() => void>;
}

/**
 * Projected outlines by size, shared by every map: projecting the 110m countries takes tens of
 * milliseconds, and a new map is made each time the Dashboard opens. The last few sizes are kept.
 */
const geometries = new Map<string, Geometry>();
const MAX_GEOMETRIES = 4;
/** The most time one task spends projecting outlines: the first projection is spread over tasks. */
const PROJECT_SLICE_MS = 8;

/** The geometry for a size; `onOutlines` is called once its outlines are projected if they are not yet. */
function geometryFor(w: number, h: number, onOutlines: () => void): Geometry {
  const key = `${w}x${h}`;
  let g = geometries.get(key);
  if (!g) {
    const projection = geoNaturalEarth1().fitExtent(
      [
        [4, 4],
        [Math.max(10, w - 4), Math.max(10, h - 4)],
      ],
      { type: 'Sphere' },
    );
    g = { land: undefined, grid: undefined, project: (p) => projection(p), waiting: new Set() };
    projectOutlines(g, geoPath(projection));
    if (geometries.size >= MAX_GEOMETRIES) geometries.delete(geometries.keys().next().value!);
  } else geometries.delete(key);
  geometries.set(key, g);
  if (g.land === undefined) g.waiting.add(onOutlines);
  return g;
}

/**
 * Projects the countries a few at a time, each batch in a task of its own (at most
 * PROJECT_SLICE_MS), then the graticule: the path of a collection is its features' paths one after
 * the other, so the joined parts are the outline projected at once.
 */
function projectOutlines(g: Geometry, path: ReturnType<typeof geoPath>): void {
  const parts: string[] = [];
  let next = 0;
  const step = () => {
    const until = performance.now() + PROJECT_SLICE_MS;
    while (next < countries.features.length && performance.now() < until) parts.push(path(countries.features[next++]!) ?? '');
    if (next < countries.features.length) {
      setTimeout(step, 0);
      return;
    }
    g.grid = path(geoGraticule10()) ?? '';
    g.land = parts.join('');
    for (const redraw of g.waiting) redraw();
    g.waiting.clear();
  };
  setTimeout(step, 0);
}

export class WorldMap extends LitElement {
  static override properties = { points: { attribute: false }, width: { state: true }, height: { state: true } };
  declare points: MapPoint[];
  declare width: number;
  declare height: number;
  private readonly resize = new ResizeObserver((entries) => {
    const box = entries[0]?.contentRect;
    if (!box) return;
    const w = Math.floor(box.width);
    const h = Math.floor(box.height);
    // A box that left the page (or is hidden) measures 0: keep the last size.
    if (!w || !h) return;
    if (w !== this.width || h !== this.height) [this.width, this.height] = [w, h];
  });

  constructor() {
    super();
    this.points = [];
    // Unknown until the box is measured (the next frame): no outline is projected for a guess.
    this.width = 0;
    this.height = 0;
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
      .land {
        fill: #1f2935;
        stroke: #2f3b4a;
        stroke-width: 0.5;
      }
      .grid {
        fill: none;
        stroke: #1a222c;
        stroke-width: 0.5;
      }
      .dot {
        fill: rgba(255, 92, 92, 0.35);
        stroke: #ff5c5c;
        stroke-width: 1.2;
      }
      .dot-label {
        font: 11px var(--font-mono);
        fill: var(--fg);
        paint-order: stroke;
        stroke: var(--bg-1);
        stroke-width: 3px;
      }
    `,
  ];

  private readonly redraw = () => this.requestUpdate();

  override firstUpdated(): void {
    const box = this.renderRoot.querySelector('.box');
    if (box) this.resize.observe(box);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
  }

  /** One template whatever the size: the observed box must stay the same element. */
  override render() {
    return html`<div class="box">${this.width && this.height ? this.map() : nothing}</div>`;
  }

  private map() {
    const g = geometryFor(this.width, this.height, this.redraw);
    const max = Math.max(1, ...this.points.map((p) => p.count));
    const r = scaleSqrt().domain([0, max]).range([0, Math.max(8, Math.min(this.width, this.height) / 9)]);
    return html`<svg width=${this.width} height=${this.height} data-testid="world-map" role="img" aria-label="Violations per network location">
        ${g.land === undefined ? nothing : svg`<path class="grid" d=${g.grid}></path><path class="land" d=${g.land}></path>`}
        ${this.points.map((p) => {
          const xy = g.project([p.lon, p.lat]);
          if (!xy) return svg``;
          const radius = Math.max(3, r(p.count));
          return svg`<g data-testid="map-point" data-id=${p.id} data-count=${p.count}>
            <circle class="dot" cx=${xy[0]} cy=${xy[1]} r=${radius}><title>${p.id}: ${p.count} violations in ${p.alerts} windows${p.addresses.length ? ` · ${p.addresses.slice(0, 8).join(', ')}` : ''}</title></circle>
            <text class="dot-label" x=${xy[0] + radius + 3} y=${xy[1] + 4}>${p.count}</text>
          </g>`;
        })}
      </svg>`;
  }
}

customElements.define('vigil-world-map', WorldMap);
