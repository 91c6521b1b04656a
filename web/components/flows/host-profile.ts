/**
 * A host's profile over time: one small bar chart per measure (flows, bytes, packets, distinct
 * peers, distinct ports), a pair of bars per window — sent (as source) and received (as
 * destination), on a y scale from 0 to a rounded maximum (ticks at 0, half and the top, with
 * grid lines) and a time axis under the last. Windows the model calls anomalous are marked red,
 * with why in their tooltip; the open window is lighter.
 */
import { LitElement, css, html, svg } from 'lit';
import { scaleBand, scaleLinear } from 'd3';
import type { FlowHostProfile } from '../../../src/runtime/worker/protocol.js';
import type { FlowExplanation } from '../../worker/flow-model.js';
import { describeWhy } from './flow-why.js';
import { fmtCount, fmtTime } from '../../lib/format.js';
import { fmtVolume, PROFILE_KEYS, profileSeries, type ProfileKey } from '../../lib/flows.js';
import { ElementSize } from '../shared/element-size.js';
import { baseStyles } from '../shared/styles.js';

const TITLES: Record<ProfileKey, string> = {
  flows: 'Flows',
  bytes: 'Bytes',
  packets: 'Packets',
  peers: 'Distinct peers',
  ports: 'Distinct ports',
};
const OUT = '#4aa3ff';
const IN = '#8a94a6';
const ANOMALY = '#ff4d5e';
const HEIGHT = 58;
/** Room for the y ticks left of the bars. */
const Y_AXIS = 40;

export class HostProfile extends LitElement {
  static override properties = { profile: { attribute: false } };
  declare profile: FlowHostProfile | undefined;
  private readonly size = new ElementSize(this, { width: 400, height: 0, minWidth: 160, minHeight: 0, target: () => this.renderRoot.querySelector('.sizer') });

  constructor() {
    super();
    this.profile = undefined;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: 4px;
      }
      .row {
        display: grid;
        grid-template-columns: 110px minmax(0, 1fr);
        align-items: center;
        gap: 8px;
      }
      .k {
        font-size: var(--fs-small);
        color: var(--fg-dim);
      }
      .k b {
        display: block;
        font: 600 13px var(--font-mono);
        color: var(--fg);
      }
      .axis {
        fill: var(--fg-faint);
        font: 10px var(--font-mono);
      }
      .legend {
        display: flex;
        gap: 12px;
        font-size: var(--fs-small);
        color: var(--fg-dim);
        padding-left: 118px;
      }
      .legend i {
        display: inline-block;
        width: 10px;
        height: 10px;
        margin-right: 4px;
        vertical-align: -1px;
      }
    `,
  ];

  private chart(key: ProfileKey, last: boolean) {
    const profile = this.profile!;
    const series = profileSeries(profile, key);
    const width = Math.max(60 + Y_AXIS, this.size.width - 118);
    const bottom = last ? 14 : 2;
    const x = scaleBand<number>().domain(series.map((s) => s.windowStart)).range([Y_AXIS, width]).paddingInner(0.25);
    const max = Math.max(1, ...series.map((s) => Math.max(s.out, s.in)));
    const y = scaleLinear().domain([0, max]).nice(2).range([HEIGHT - bottom, 6]);
    const ticks = y.ticks(2);
    const half = x.bandwidth() / 2;
    const value = (n: number) => (key === 'bytes' ? fmtVolume(n) : fmtCount(n));
    const every = Math.max(1, Math.ceil(series.length / Math.max(1, Math.floor(width / 60))));
    const whyOf = (windowStart: number) => (profile.windows.find((w) => w.windowStart === windowStart) as { why?: FlowExplanation } | undefined)?.why;
    return svg`<svg width=${width} height=${HEIGHT} data-testid=${`profile-${key}`}>
      <g data-testid="profile-y-axis">
        ${ticks.map(
          (t) => svg`<line x1=${Y_AXIS - 3} x2=${width} y1=${y(t)} y2=${y(t)} style="stroke:var(--line);stroke-width:1"></line>
            <text class="axis" data-testid="profile-tick" x=${Y_AXIS - 5} y=${y(t)} text-anchor="end" dominant-baseline="middle">${value(t)}</text>`,
        )}
      </g>
      ${series.map((s, i) => {
        const x0 = x(s.windowStart) ?? 0;
        return svg`<g>
          <title>${fmtTime(s.windowStart)}${s.open ? ' (open)' : ''} · sent ${value(s.out)} · received ${value(s.in)}${s.anomalous ? ` · the model says anomalous: ${describeWhy(whyOf(s.windowStart))}` : ''}</title>
          <rect x=${x0} y=${y(s.out)} width=${half} height=${Math.max(0, y(0) - y(s.out))} style="fill:${s.anomalous ? ANOMALY : OUT};opacity:${s.open ? 0.5 : 1}"></rect>
          <rect x=${x0 + half} y=${y(s.in)} width=${half} height=${Math.max(0, y(0) - y(s.in))} style="fill:${IN};opacity:${s.open ? 0.5 : 1}"></rect>
          ${last && i % every === 0 ? svg`<text class="axis" x=${x0} y=${HEIGHT - 2}>${fmtTime(s.windowStart).slice(0, 5)}</text>` : ''}
        </g>`;
      })}
    </svg>`;
  }

  override render() {
    const profile = this.profile;
    if (!profile) return html`<div class="sizer"></div>`;
    const totals = (key: ProfileKey) => profile.windows.reduce((s, w) => s + w.out[key], 0);
    return html`<div class="sizer"></div>
      <div class="legend"><span><i style="background:${OUT}"></i>sent (as source)</span><span><i style="background:${IN}"></i>received</span><span><i style="background:${ANOMALY}"></i>window the model calls anomalous</span></div>
      ${PROFILE_KEYS.map(
        (key, i) => html`<div class="row">
          <span class="k">${TITLES[key]}<b>${key === 'bytes' ? fmtVolume(totals(key)) : key === 'peers' || key === 'ports' ? fmtCount(Math.max(0, ...profile.windows.map((w) => w.out[key]))) : fmtCount(totals(key))}</b></span>
          ${this.chart(key, i === PROFILE_KEYS.length - 1)}
        </div>`,
      )}`;
  }
}

customElements.define('vigil-host-profile', HostProfile);
