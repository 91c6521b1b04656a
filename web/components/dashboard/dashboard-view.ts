/**
 * The Dashboard: rates over time, totals, a world map of violations per network location, per-rule
 * counts, top source and destination addresses and URLs (last minute, counted in the worker),
 * runtime diagnostics.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { EventTimeInfo, RuntimeDiagnostic } from '../../../src/engine/engine.js';
import type { SourceCount } from '../../../src/runtime/worker/protocol.js';
import { fmtCount, fmtDateTime, fmtDuration, fmtRate } from '../../lib/format.js';
import { networkPoints, type MapPoint } from '../../lib/network-points.js';
import { StoreController } from '../../state/controller.js';
import { baseStyles } from '../shared/styles.js';
import { Stages } from '../shared/stages.js';
import './line-chart.js';
import './world-map.js';

/**
 * Repeated diagnostics (same code, rule and message) as one row with a count, newest first: 18
 * identical "could not save the checkpoint" lines read as one.
 */
export function groupDiagnostics(diagnostics: readonly RuntimeDiagnostic[]): { diagnostic: RuntimeDiagnostic; count: number }[] {
  const groups = new Map<string, { diagnostic: RuntimeDiagnostic; count: number }>();
  for (let i = diagnostics.length - 1; i >= 0; i--) {
    const d = diagnostics[i]!;
    const key = JSON.stringify([d.code, d.rule ?? '', d.message]);
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { diagnostic: d, count: 1 });
  }
  return [...groups.values()];
}

export class DashboardView extends LitElement {
  // At most a redraw a second: the series are per second, and the map, lists and tables are costly.
  private readonly data = new StoreController(this, ['metrics', 'rules', 'diagnostics', 'alerts'], undefined, { minIntervalMs: 1000 });
  private mapCache: { version: number; points: MapPoint[] } | undefined;
  /**
   * 1: the events chart, 2: the alerts chart (a chart's first draw, d3 axes included, is tens of ms),
   * 3: the map, 4: the lists and tables (each in a task of its own).
   */
  private readonly stages = new Stages(this, 4);

  /** Violations per network location, from the roll-up alerts the page keeps. */
  private mapPoints(): MapPoint[] {
    const store = this.data.store;
    if (this.mapCache?.version !== store.alertsVersion) {
      this.mapCache = { version: store.alertsVersion, points: networkPoints(store.alerts.map((a) => a.alert)) };
    }
    return this.mapCache.points;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: grid;
        grid-template-columns: repeat(12, minmax(0, 1fr));
        grid-template-rows: auto minmax(150px, 0.8fr) minmax(0, 1.4fr) minmax(0, 1fr);
        gap: 8px;
        padding: 8px;
        height: 100%;
        min-height: 0;
      }
      .tiles {
        grid-column: 1 / -1;
        display: grid;
        grid-template-columns: repeat(8, minmax(0, 1fr));
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
        font: 600 22px/1.3 var(--font-mono);
        font-variant-numeric: tabular-nums;
      }
      .tile .v.warn {
        color: var(--warn);
      }
      .tile .v.err {
        color: var(--err);
      }
      .chart {
        grid-column: span 6;
        display: flex;
      }
      .chart vigil-line-chart {
        flex: 1;
      }
      .map {
        grid-column: span 6;
      }
      .map vigil-world-map {
        flex: 1;
      }
      .rules {
        grid-column: span 6;
      }
      .event-time {
        grid-column: span 3;
      }
      .event-time .field {
        padding: 4px 10px;
        font-size: 11px;
        color: var(--fg-dim);
        text-transform: uppercase;
        letter-spacing: 0.06em;
        border-bottom: 1px solid var(--line);
      }
      .sources {
        grid-column: span 2;
      }
      .diags {
        grid-column: span 3;
      }
      .src span.v {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .legend {
        font: 11px var(--font-mono);
        color: var(--fg-dim);
      }
      /* The map's head stays one line: title and legend cut with an ellipsis (full text on hover). */
      .map .panel-head .title,
      .map .panel-head .legend {
        min-width: 0;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .map .panel-head .legend {
        flex: 0 1 auto;
        text-transform: none;
      }
      .diag .count {
        float: right;
        font: 11px var(--font-mono);
        color: var(--fg-faint);
        margin-left: 6px;
      }
      .panel {
        display: flex;
        flex-direction: column;
        overflow: hidden;
      }
      .scroll {
        flex: 1;
        overflow: auto;
        min-height: 0;
      }
      table.grid {
        table-layout: fixed;
      }
      .bar {
        position: relative;
      }
      .bar i {
        position: absolute;
        left: 0;
        top: 3px;
        bottom: 3px;
        background: rgba(74, 163, 255, 0.16);
        border-radius: 2px;
      }
      .bar span {
        position: relative;
      }
      .src {
        display: grid;
        grid-template-columns: 1fr auto;
        padding: 3px 10px;
        font: 12px var(--font-mono);
        position: relative;
      }
      .src i {
        position: absolute;
        left: 0;
        top: 2px;
        bottom: 2px;
        background: rgba(255, 140, 66, 0.14);
      }
      .src span {
        position: relative;
      }
      .diag {
        padding: 4px 10px;
        border-bottom: 1px solid var(--line);
        font-size: var(--fs-small);
      }
      .diag .code {
        font-family: var(--font-mono);
        color: var(--warn);
        margin-right: 6px;
      }
      /* Narrow screens: the panels stack in one column (two on a tablet), each with a height of its
         own, and the page scrolls. */
      @media (max-width: 1100px) {
        .tiles {
          grid-template-columns: repeat(4, minmax(0, 1fr));
        }
      }
      @media (max-width: 799.98px) {
        :host {
          grid-template-columns: repeat(2, minmax(0, 1fr));
          grid-template-rows: none;
          grid-auto-rows: auto;
          height: auto;
        }
        .tiles,
        .chart,
        .map,
        .rules,
        .diags,
        .event-time {
          grid-column: 1 / -1;
        }
        .sources {
          grid-column: span 1;
        }
        .chart {
          height: 220px;
        }
        .map {
          height: 300px;
        }
        .rules,
        .diags,
        .event-time,
        .sources {
          max-height: 360px;
        }
      }
      @media (max-width: 479.98px) {
        .tiles {
          grid-template-columns: repeat(2, minmax(0, 1fr));
        }
        .sources {
          grid-column: 1 / -1;
        }
      }
    `,
  ];

  override render() {
    const store = this.data.store;
    const m = store.metrics;
    const points = store.series.values();
    const events = points.map((p) => ({ time: p.time, value: p.events ?? 0 }));
    const alerts = points.map((p) => ({ time: p.time, value: p.alerts ?? 0 }));
    const rules = Object.entries(m?.engine.rules ?? {});
    const maxAlerts = Math.max(1, ...rules.map(([, r]) => r.alerts));
    const active = rules.filter(([, r]) => r.state === 'active').length;
    const deactivated = rules.filter(([, r]) => r.state === 'deactivated').length;
    const latest = store.series.latest();
    const mapPoints = this.stages.ready(3) ? this.mapPoints() : [];
    const full = this.stages.ready(4);
    return html`
      <div class="tiles">
        ${this.tile('Events / s', latest ? fmtRate(latest.events ?? 0) : '–', '', 'tile-eps')}
        ${this.tile('Alerts / s', latest ? fmtRate(latest.alerts ?? 0) : '–')}
        ${this.tile('Events', fmtCount(m?.engine.eventsIn ?? 0), '', 'tile-events')}
        ${this.tile('Alerts', fmtCount(m?.engine.alertsOut ?? 0), '', 'tile-alerts')}
        ${this.tile('Late events', fmtCount(m?.engine.lateEvents ?? 0), m?.engine.lateEvents ? 'warn' : '', 'tile-late')}
        ${this.tile('Quarantined', fmtCount(m?.engine.quarantined ?? 0), m?.engine.quarantined ? 'warn' : '', 'tile-quarantined')}
        ${this.tile('Rules active', `${active} / ${rules.length}`, deactivated ? 'err' : '')}
        ${this.tile('Deactivations', fmtCount(m?.engine.deactivations ?? 0), m?.engine.deactivations ? 'err' : '')}
      </div>
      <section class="panel chart">${this.stages.ready(1) ? html`<vigil-line-chart data-testid="chart-events" label="Events per second" color="#4aa3ff" .points=${events}></vigil-line-chart>` : nothing}</section>
      <section class="panel chart">${this.stages.ready(2) ? html`<vigil-line-chart data-testid="chart-alerts" label="Alerts per second" color="#ff8c42" .points=${alerts}></vigil-line-chart>` : nothing}</section>
      <section class="panel map">
        <div class="panel-head">
          <span class="grow title" title="Protocol violations per network">Violations per network · ${fmtCount(mapPoints.reduce((n, p) => n + p.alerts, 0))} roll-ups</span>
          <span class="legend" data-testid="map-legend">${mapPoints.length ? mapPoints.map((p) => `${p.id}: ${fmtCount(p.count)}`).join(' · ') : 'no roll-up alerts yet'}</span>
        </div>
        ${this.stages.ready(3) ? html`<vigil-world-map .points=${mapPoints}></vigil-world-map>` : nothing}
      </section>
      ${this.topPanel('Top sources', 'top-sources', m?.topSources ?? [], 'No events with a source address yet.', full)}
      ${this.topPanel('Top destinations', 'top-destinations', m?.topDestinations ?? [], 'No events with a destination address yet.', full)}
      ${this.topPanel('Top URLs', 'top-urls', m?.topUrls ?? [], 'No events with a URL yet.', full)}
      <section class="panel diags">
        <div class="panel-head"><span class="grow">Runtime diagnostics</span><span>${store.diagnostics.length}</span></div>
        <div class="scroll">
          ${store.diagnostics.length === 0 ? html`<div class="empty">Nothing to report: no late events, no rule errors.</div>` : nothing}
          ${(full ? groupDiagnostics(store.diagnostics) : [])
            .slice(0, 100)
            .map(
              (g) =>
                html`<div class="diag" data-testid="diagnostic">
                  ${g.count > 1 ? html`<span class="count" data-testid="diagnostic-count">×${g.count}</span>` : nothing}<span class="code">${g.diagnostic.code}</span>${g.diagnostic.rule
                    ? html`<b>${g.diagnostic.rule}</b> `
                    : nothing}<span class="dim">${g.diagnostic.message}</span>
                </div>`,
            )}
        </div>
      </section>
      ${this.eventTimePanel(full ? (m?.eventTime ?? []) : [], full)}
      <section class="panel rules">
        <div class="panel-head"><span class="grow">Per rule</span></div>
        <div class="scroll">
          ${!full
            ? nothing
            : rules.length === 0
            ? html`<div class="empty">No rules.</div>`
            : html`<table class="grid" data-testid="rule-counts">
                <colgroup><col style="width:30%" /><col style="width:96px" /><col /><col /><col style="width:18%" /><col style="width:48px" /><col style="width:56px" /></colgroup>
                <thead><tr><th>Rule</th><th>State</th><th class="num">Routed</th><th class="num">Matched</th><th class="num">Alerts</th><th class="num">Late</th><th class="num">Errors</th></tr></thead>
                <tbody>
                  ${rules.map(
                    ([name, r]) => html`<tr>
                      <td title=${name}><a href=${`#/rules/${encodeURIComponent(name)}`} style="color:inherit;text-decoration:none">${name}</a></td>
                      <td><span class="pill ${r.state}">${r.state}</span></td>
                      <td class="num">${fmtCount(r.routed)}</td>
                      <td class="num">${fmtCount(r.matched)}</td>
                      <td class="num bar"><i style="width:${(100 * r.alerts) / maxAlerts}%"></i><span>${fmtCount(r.alerts)}</span></td>
                      <td class="num" style=${r.late ? 'color:var(--warn)' : ''}>${fmtCount(r.late)}</td>
                      <td class="num" style=${r.errors ? 'color:var(--err)' : ''}>${fmtCount(r.errors)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>`}
        </div>
      </section>
    `;
  }

  /**
   * Event time per USING field: its watermark, and per source its own watermark, how far it trails
   * the newest source, whether it is idle (no longer holding the watermark back), and how many of
   * its events were quarantined as too far ahead.
   */
  private eventTimePanel(fields: readonly EventTimeInfo[], full: boolean) {
    return html`<section class="panel event-time">
      <div class="panel-head"><span class="grow">Event time per source</span></div>
      <div class="scroll" data-testid="event-time">
        ${fields.length === 0 && full ? html`<div class="empty">No rule uses event time (USING).</div>` : nothing}
        ${fields.map((f) => {
          const newest = Math.max(...f.sources.map((s) => s.highest ?? -Infinity));
          return html`<div class="field">${f.field} · watermark ${f.watermark === null ? '–' : fmtDateTime(f.watermark)}</div>
            <table class="grid">
              <thead><tr><th>Source</th><th class="num">Behind newest</th><th class="num">Quarantined</th></tr></thead>
              <tbody>
                ${f.sources.slice(0, 50).map(
                  (s) => html`<tr title=${s.watermark === null ? 'no accepted time yet' : `watermark ${fmtDateTime(s.watermark)}, bound ${s.outOfOrderMs} ms`}>
                    <td>${s.source}${s.active ? nothing : html` <span class="pill disabled">idle</span>`}</td>
                    <td class="num">${s.highest === null ? '–' : fmtDuration(newest - s.highest)}</td>
                    <td class="num" style=${s.quarantined ? 'color:var(--warn)' : ''}>${fmtCount(s.quarantined)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`;
        })}
      </div>
    </section>`;
  }

  /** One top-N list of the last minute, bars scaled to its most frequent value. */
  private topPanel(title: string, testid: string, all: readonly SourceCount[], empty: string, full: boolean) {
    const top = full ? all : [];
    // Bars are each address's share of the listed total: the leaders of a flat distribution no
    // longer all read as full.
    const sum = Math.max(1, top.reduce((n, s) => n + s.count, 0));
    return html`<section class="panel sources">
      <div class="panel-head"><span class="grow">${title} · 1 min</span></div>
      <div class="scroll" data-testid=${testid}>
        ${top.length === 0 && full ? html`<div class="empty">${empty}</div>` : nothing}
        ${top.map(
          (s) => html`<div class="src" title=${`${s.address}: ${fmtCount(s.count)} (${((100 * s.count) / sum).toFixed(1)} % of the top ${top.length})`}><i style="width:${(100 * s.count) / sum}%"></i><span class="v">${s.address}</span><span class="dim">${fmtCount(s.count)}</span></div>`,
        )}
      </div>
    </section>`;
  }

  private tile(k: string, v: string, cls = '', testid = '') {
    return html`<div class="panel tile" data-testid=${testid || nothing}><div class="k">${k}</div><div class="v ${cls}">${v}</div></div>`;
  }
}

customElements.define('vigil-dashboard-view', DashboardView);
