/**
 * Detection quality (#/quality?key=<key>): precision and recall per rule and per simulator
 * generator against the generators' ground truth (web/worker/quality.ts), the injected keys, and
 * every false positive and miss with its key — one click shows its events (the alert, or the
 * anomaly's first events), another follows the key in the state-machine debugger when a STATE
 * MACHINE rule is keyed by fields the record holds.
 */
import { LitElement, css, html, nothing } from 'lit';
import { fmtCount, fmtPercent, fmtTime } from '../../lib/format.js';
import { formatRoute, type Route } from '../../lib/router.js';
import { StoreController } from '../../state/controller.js';
import type { QualityFigures, QualityReport } from '../../worker/quality.js';
import '../shared/json-view.js';
import { baseStyles } from '../shared/styles.js';
import { debuggerLinks, fetchQuality, machineKeyFields, type MachineKeys } from './quality-api.js';

/** The report is refetched at most this often while the view is open. */
const REFRESH_MS = 1000;
/**
 * Rows of each long list (injected keys, false positives, misses: up to 200 each) drawn per task:
 * a report's first draw is several short tasks instead of one long one.
 */
const ROWS_PER_TASK = 40;
/**
 * Rows of each long list shown until the analyst asks for more ("show … more"): the newest 50.
 * At 100k events/s the report changes every second and each list is newest-first, so every shown
 * row is redrawn once a second; 3 × 200 rows (about 4,000 layout objects) took 50–65 ms of layout
 * and paint a time, 3 × 50 stays under 20.
 */
const PAGE_ROWS = 50;
/**
 * The last report fetched: a view made anew (the shell keeps it once made) shows this one at once
 * while it asks the worker for a fresh one (a round trip that can take a second at 100k events/s).
 */
let lastReport: QualityReport | undefined;

export class QualityView extends LitElement {
  static override properties = { route: { attribute: false }, report: { state: true }, open: { state: true } };
  declare route: Route;
  declare report: QualityReport | undefined;
  /** The row whose events are shown ("fp:<rule>:<key>", "miss:<key>", "inj:<key>"). */
  declare open: string | undefined;
  // The report is refetched once a second: no need to redraw its tables more often.
  private readonly data = new StoreController(this, ['metrics', 'rules'], undefined, { minIntervalMs: REFRESH_MS });
  /** Rows of each long list drawn so far (grows by ROWS_PER_TASK a task up to the longest list). */
  private rowLimit = 0;
  private rowTimer: ReturnType<typeof setTimeout> | undefined;
  /** Rows the analyst chose to see per list (PAGE_ROWS more per "show more"). */
  private readonly listLimit: Record<'injected' | 'fps' | 'misses', number> = { injected: PAGE_ROWS, fps: PAGE_ROWS, misses: PAGE_ROWS };
  private machines: MachineKeys[] = [];
  private machinesVersion = -1;
  private lastFetch = 0;
  private fetching = false;

  static override styles = [
    baseStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: 8px;
        padding: 8px;
        height: 100%;
        min-height: 0;
        overflow: auto;
      }
      /* Up to 600 list rows (about 4,000 layout objects): a panel scrolled out of sight is neither
         laid out nor painted (its last size is kept), so the report's redraw once a second costs
         only what is on screen — at 100k events/s a full layout and paint took 50–65 ms. */
      section.panel {
        flex: none;
        content-visibility: auto;
        contain-intrinsic-size: auto 320px;
      }
      /* table.grid cells share the width (max-width: 0) and cut with an ellipsis: the links must not
         be cut (as specific as table.grid td, or its max-width: 0 wins and the links leave the panel) */
      table.grid td.actions {
        white-space: nowrap;
        max-width: none;
        width: 1%;
        overflow: visible;
      }
      td.actions > * + * {
        margin-left: 8px;
      }
      .big {
        display: flex;
        gap: 28px;
        padding: 10px 12px;
        align-items: baseline;
        flex-wrap: wrap;
      }
      .metric .k {
        font-size: var(--fs-small);
        color: var(--fg-dim);
      }
      .metric .v {
        font: 600 22px var(--font-mono);
      }
      .scroll {
        overflow-x: auto;
      }
      td.key {
        max-width: 520px;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      tr.hit td {
        background: color-mix(in srgb, var(--accent) 14%, transparent);
      }
      a,
      button.link {
        color: var(--accent);
      }
      button.link {
        background: none;
        border: none;
        padding: 0 4px;
        cursor: pointer;
        font: inherit;
      }
      .warn {
        color: var(--warn);
      }
      .ok {
        color: var(--ok);
      }
      .more {
        padding: 6px 12px;
        font-size: var(--fs-small);
      }
      .note {
        padding: 6px 12px 10px;
        color: var(--fg-faint);
        font-size: var(--fs-small);
      }
      /* width 0 then min-width 100%: the events take the row's width without widening the table
         (a long line would push the links column out of view). */
      .events-box {
        width: 0;
        min-width: 100%;
        padding: 4px 4px 6px;
        max-height: 320px;
        overflow: auto;
      }
      /* A tablet keeps the tables (they scroll sideways inside their panel if they must); on a
         phone each row is a card: its key or name on a line of its own, unclipped, then each
         figure with its column's name (data-label), then the links. Same DOM, same cells. */
      @media (max-width: 799.98px) {
        .scroll table.grid {
          min-width: 600px;
        }
        /* A heading longer than the width wraps onto lines of its own, not over the panel. */
        .panel-head {
          height: auto;
          min-height: 32px;
          flex-wrap: wrap;
          padding: 4px 10px;
        }
      }
      @media (max-width: 599.98px) {
        .scroll table.grid,
        .scroll table.grid tbody {
          display: block;
          min-width: 0;
        }
        .scroll table.grid thead {
          display: none;
        }
        .scroll table.grid tr {
          display: flex;
          flex-wrap: wrap;
          align-items: baseline;
          gap: 2px 14px;
          padding: 6px 10px;
          border-bottom: 1px solid var(--line);
        }
        .scroll table.grid td {
          display: block;
          padding: 0;
          border: 0;
          max-width: 100%;
          white-space: normal;
          overflow-wrap: anywhere;
          text-align: left;
        }
        .scroll table.grid td[data-label]::before {
          content: attr(data-label) ' ';
          color: var(--fg-faint);
          font: 11px var(--font-ui);
        }
        .scroll table.grid td.key,
        .scroll table.grid td.name,
        .scroll table.grid td.wide,
        .scroll table.grid td.events {
          flex-basis: 100%;
        }
        .scroll table.grid td.key,
        .scroll table.grid td.name {
          font-weight: 600;
        }
        .scroll table.grid td.actions {
          width: auto;
          margin-left: auto;
        }
        .scroll table.grid td.actions > * {
          display: inline-block;
          padding: 6px 8px;
        }
        .scroll table.grid tr.hit {
          background: color-mix(in srgb, var(--accent) 14%, transparent);
        }
        .scroll table.grid tr.hit td {
          background: none;
        }
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.report ??= lastReport;
    // The figures and the per-rule and per-generator tables first; the long lists from the next task.
    this.rowLimit = 0;
    this.toggleAttribute('data-filling', true);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.rowTimer);
    this.rowTimer = undefined;
  }

  /** After a draw: more rows in the next task while a list has rows not drawn yet. */
  private growRows(): void {
    const r = this.report;
    const limit = this.listLimit;
    const longest = r ? Math.max(Math.min(r.injected.length, limit.injected), Math.min(r.falsePositives.length, limit.fps), Math.min(r.misses.length, limit.misses)) : 0;
    const more = r !== undefined && this.rowLimit < longest;
    this.toggleAttribute('data-filling', !r || more);
    if (!more || this.rowTimer !== undefined) return;
    this.rowTimer = setTimeout(() => {
      this.rowTimer = undefined;
      this.rowLimit += ROWS_PER_TASK;
      this.requestUpdate();
    }, 0);
  }

  override updated(): void {
    this.growRows();
    const store = this.data.store;
    if (store.status !== 'ready') return;
    const version = store.metrics?.rulesVersion ?? 0;
    if (version !== this.machinesVersion) {
      this.machinesVersion = version;
      machineKeyFields(store)
        .then((m) => {
          this.machines = m;
          this.requestUpdate();
        })
        .catch(() => {});
    }
    const now = Date.now();
    if (this.fetching || now - this.lastFetch < REFRESH_MS) return;
    this.fetching = true;
    this.lastFetch = now;
    fetchQuality(store)
      .then((r) => (this.report = lastReport = r))
      .catch(() => {})
      .finally(() => (this.fetching = false));
  }

  private get keyFilter(): string {
    return this.route?.params.key ?? '';
  }

  private showMore(list: keyof QualityView['listLimit']): void {
    this.listLimit[list] += PAGE_ROWS;
    this.requestUpdate();
  }

  private toggle(id: string): void {
    this.open = this.open === id ? undefined : id;
  }

  private links(records: readonly Record<string, unknown>[]) {
    const seen = new Set<string>();
    const out = [];
    for (const r of records) {
      for (const l of debuggerLinks(r, this.machines)) {
        if (seen.has(l.href)) continue;
        seen.add(l.href);
        out.push(l);
      }
    }
    return out.map((l) => html`<a data-testid="quality-debugger-link" href=${l.href} title=${`Follow ${l.key} in "${l.rule}"`}>debugger</a>`);
  }

  /** `found`: the heading of the true positives' column (the label of its cell on a phone). */
  private figures(f: QualityFigures, found: string) {
    return html`<td class="num" data-label=${found}>${fmtCount(f.truePositives)}</td>
      <td class="num ${f.falsePositives ? 'warn' : ''}" data-label="FP">${fmtCount(f.falsePositives)}</td>
      <td class="num ${f.falseNegatives ? 'warn' : ''}" data-label="missed">${fmtCount(f.falseNegatives)}</td>
      <td class="num" data-label="precision">${fmtPercent(f.precision)}</td>
      <td class="num" data-label="recall">${fmtPercent(f.recall)}</td>`;
  }

  override render() {
    const store = this.data.store;
    const r = this.report;
    if (!r) return html`<div class="empty">Loading detection quality…</div>`;
    const filter = this.keyFilter;
    const match = (key: string | undefined) => !filter || key === filter;
    const injected = r.injected.filter((i) => match(i.key));
    const fps = r.falsePositives.filter((f) => match(f.key));
    const misses = r.misses.filter((m) => match(m.key));
    const limit = this.listLimit;
    const shown = <T,>(rows: T[], list: keyof typeof limit) => rows.slice(0, Math.min(this.rowLimit, limit[list]));
    /** Under a list cut at its limit: how many are not shown, and a button for PAGE_ROWS more. */
    const more = (total: number, list: keyof typeof limit) =>
      total > limit[list]
        ? html`<div class="more"><button class="ghost" data-testid="quality-more" data-list=${list} @click=${() => this.showMore(list)}>Show ${fmtCount(Math.min(PAGE_ROWS, total - limit[list]))} more</button> <span class="dim">${fmtCount(limit[list])} of ${fmtCount(total)} shown</span></div>`
        : nothing;
    return html`
      <section class="panel">
        <div class="panel-head">
          <span class="grow">Detection quality · all rules, against the simulator's ground truth</span>
          ${filter ? html`<span>key <b class="mono">${filter}</b> <a href=${formatRoute({ view: 'quality' })}>show all</a></span>` : nothing}
          <button class="ghost" @click=${() => store.run(() => store.api.resetScore())} title="Start counting again">Reset</button>
        </div>
        <div class="big" data-testid="quality-overall">
          <div class="metric"><div class="k">Precision</div><div class="v">${fmtPercent(r.overall.precision)}</div></div>
          <div class="metric"><div class="k">Recall</div><div class="v">${fmtPercent(r.overall.recall)}</div></div>
          <div class="metric"><div class="k">True positives</div><div class="v">${fmtCount(r.overall.truePositives)}</div></div>
          <div class="metric"><div class="k">False positives</div><div class="v ${r.overall.falsePositives ? 'warn' : ''}">${fmtCount(r.overall.falsePositives)}</div></div>
          <div class="metric"><div class="k">Misses</div><div class="v ${r.overall.falseNegatives ? 'warn' : ''}">${fmtCount(r.overall.falseNegatives)}</div></div>
        </div>
        <div class="note">
          Keys are compared once each (user@server for bruteforce; the source address for portscan, network and flows; the command line for sysmon). A rule's recall
          counts the truth keys of the generators it found at least once; a generator's precision counts the false positives of the rules that found it.
          A miss is <i>pending</i> while its last event is under 2 minutes old (a window may still close on it).${r.forgotten ? ` ${fmtCount(r.forgotten)} old truth keys were forgotten (limit 20,000).` : ''}
        </div>
      </section>

      <section class="panel">
        <div class="panel-head"><span class="grow">Injected anomalies (newest first)</span></div>
        ${injected.length
          ? html`<div class="scroll"><table class="grid" data-testid="quality-injected">
              <thead><tr><th>time</th><th>generator</th><th>key</th><th>found by</th><th></th></tr></thead>
              <tbody>
                ${shown(injected, 'injected').map(
                  (i) => html`<tr data-testid="quality-injected-row" data-key=${i.key} class=${filter === i.key ? 'hit' : ''}>
                      <td class="mono" data-label="time">${fmtTime(i.time)}</td><td data-label="generator">${i.generator}</td><td class="mono key" title=${i.key}>${i.key}</td>
                      <td class="wide" data-label="found by">${i.detectedBy.length ? html`<span class="ok">${i.detectedBy.join(', ')}</span>` : html`<span class="warn">not yet</span>`}</td>
                      <td class="actions"><button class="link" data-testid="quality-events" @click=${() => this.toggle(`inj:${i.key}`)}>events</button>${this.links(i.sample)}</td>
                    </tr>
                    ${this.open === `inj:${i.key}` ? html`<tr><td colspan="5" class="events"><div class="events-box"><vigil-json .value=${i.sample}></vigil-json></div></td></tr>` : nothing}`,
                )}
              </tbody></table></div>${more(injected.length, 'injected')}`
          : html`<div class="empty">Nothing injected${filter ? ' with this key' : ''}: press ⚡ Inject in the Simulator view.</div>`}
      </section>

      <section class="panel">
        <div class="panel-head"><span class="grow">Per rule</span></div>
        ${r.rules.length
          ? html`<div class="scroll"><table class="grid" data-testid="quality-rules">
              <thead><tr><th>rule</th><th class="num">alerts</th><th class="num">TP keys</th><th class="num">FP</th><th class="num">missed</th><th class="num">precision</th><th class="num">recall</th><th>finds</th></tr></thead>
              <tbody>
                ${r.rules.map(
                  (q) => html`<tr data-testid="quality-rule-row" data-rule=${q.rule}>
                    <td class="name"><a href=${formatRoute({ view: 'rules', item: q.rule })}>${q.rule}</a></td><td class="num" data-label="alerts">${fmtCount(q.alerts)}</td>${this.figures(q, 'TP keys')}
                    <td class="dim wide" data-label="finds">${q.covers.join(', ') || '–'}</td>
                  </tr>`,
                )}
              </tbody></table></div>`
          : html`<div class="empty">No alerts yet.</div>`}
      </section>

      <section class="panel">
        <div class="panel-head"><span class="grow">Per generator</span></div>
        ${r.generators.length
          ? html`<div class="scroll"><table class="grid" data-testid="quality-generators">
              <thead><tr><th>generator</th><th class="num">truth keys</th><th class="num">found</th><th class="num">FP</th><th class="num">missed</th><th class="num">precision</th><th class="num">recall</th><th>found by</th></tr></thead>
              <tbody>
                ${r.generators.map(
                  (g) => html`<tr data-testid="quality-generator-row" data-generator=${g.generator}>
                    <td class="name">${g.generator}</td><td class="num" data-label="truth keys">${fmtCount(g.truthKeys)}</td>${this.figures(g, 'found')}<td class="dim wide" data-label="found by">${g.rules.join(', ') || '–'}</td>
                  </tr>`,
                )}
              </tbody></table></div>`
          : html`<div class="empty">No anomalies generated yet.</div>`}
      </section>

      <section class="panel">
        <div class="panel-head"><span class="grow">False positives (${fmtCount(fps.length)}${r.falsePositives.length >= 200 ? ', newest 200' : ''})</span></div>
        ${fps.length
          ? html`<div class="scroll"><table class="grid" data-testid="quality-false-positives">
              <thead><tr><th>first seen</th><th>rule</th><th>key</th><th class="num">alerts</th><th></th></tr></thead>
              <tbody>
                ${shown(fps, 'fps').map((f, n) => {
                  const id = `fp:${f.rule}:${f.key ?? `#${n}`}`;
                  return html`<tr data-testid="quality-fp-row" data-key=${f.key ?? ''}>
                      <td class="mono" data-label="first seen">${fmtTime(f.firstSeen)}</td><td data-label="rule">${f.rule}</td><td class="mono key" title=${f.key ?? ''}>${f.key ?? html`<span class="warn">names no key</span>`}</td>
                      <td class="num" data-label="alerts">${fmtCount(f.alerts)}</td>
                      <td class="actions"><button class="link" data-testid="quality-events" @click=${() => this.toggle(id)}>events</button>${this.links([f.alert, ...eventsOf(f.alert)])}</td>
                    </tr>
                    ${this.open === id ? html`<tr><td colspan="5" class="events"><div class="events-box"><vigil-json .value=${f.alert}></vigil-json></div></td></tr>` : nothing}`;
                })}
              </tbody></table></div>${more(fps.length, 'fps')}`
          : html`<div class="empty">No false positives${filter ? ' with this key' : ''}.</div>`}
      </section>

      <section class="panel">
        <div class="panel-head"><span class="grow">Misses (${fmtCount(misses.length)}${r.misses.length >= 200 ? ', newest 200' : ''})</span></div>
        ${misses.length
          ? html`<div class="scroll"><table class="grid" data-testid="quality-misses">
              <thead><tr><th>last event</th><th>generator</th><th>key</th><th class="num">events</th><th></th><th></th></tr></thead>
              <tbody>
                ${shown(misses, 'misses').map(
                  (m) => html`<tr data-testid="quality-miss-row" data-key=${m.key}>
                      <td class="mono" data-label="last event">${fmtTime(m.lastEvent)}</td><td data-label="generator">${m.generator}</td><td class="mono key" title=${m.key}>${m.key}</td>
                      <td class="num" data-label="events">${fmtCount(m.events)}</td>
                      <td>${m.pending ? html`<span class="dim" title="Its last event is under 2 minutes old: a window may still close on it">pending</span>` : html`<span class="warn">missed</span>`}${m.injected ? html` <span class="dim">injected</span>` : nothing}</td>
                      <td class="actions"><button class="link" data-testid="quality-events" @click=${() => this.toggle(`miss:${m.key}`)}>events</button>${this.links(m.sample)}</td>
                    </tr>
                    ${this.open === `miss:${m.key}` ? html`<tr><td colspan="6" class="events"><div class="events-box"><vigil-json .value=${m.sample}></vigil-json></div></td></tr>` : nothing}`,
                )}
              </tbody></table></div>${more(misses.length, 'misses')}`
          : html`<div class="empty">No misses${filter ? ' with this key' : ''}.</div>`}
      </section>
    `;
  }
}

/** An aggregation alert's events (its SINK may hand them on), for the debugger links. */
function eventsOf(alert: Record<string, unknown>): Record<string, unknown>[] {
  const events = alert.events;
  return Array.isArray(events) ? (events.filter((e) => e !== null && typeof e === 'object') as Record<string, unknown>[]).slice(0, 8) : [];
}

customElements.define('vigil-quality-view', QualityView);
