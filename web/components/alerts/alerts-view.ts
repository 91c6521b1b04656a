/**
 * The Alerts view, for triage: search and rule filter, a time histogram whose brush sets the time
 * range (event time or processing time), grouping by rule, key or any field with counts, sorting by
 * any column, status per alert and per group (new / acknowledged / closed, by whom and when),
 * export of the rows shown as JSONL or CSV, and the retention of the kept alerts. The view's
 * settings live in the URL (#/alerts?rule=…&q=…&group=…&gv=…&from=…&to=…&axis=…&sort=…&dir=…).
 */
import { LitElement, css, html, nothing } from 'lit';
import type { AlertStatus, TriageAlert } from '../../../src/runtime/worker/protocol.js';
import { filterAlerts } from '../../lib/alert-filter.js';
import { alertFields, fieldText, inTimeRange, sortAlerts, toCsv, toJsonl, type SortDirection } from '../../lib/alert-triage.js';
import { fmtCount, fmtDateTime } from '../../lib/format.js';
import { formatRoute, type Route } from '../../lib/router.js';
import { inHiddenView } from '../../lib/view-visibility.js';
import { StoreController } from '../../state/controller.js';
import { Stages } from '../shared/stages.js';
import { baseStyles } from '../shared/styles.js';
import './alert-detail.js';
import { STATUS_ACTIONS } from './alert-groups.js';
import './alert-retention.js';
import './alert-histogram.js';
import './alert-table.js';
import { toTriage, triage } from './triage-model.js';

const STATUSES: AlertStatus[] = ['new', 'acknowledged', 'closed'];
/**
 * Live alerts redraw the view at most this often: filtering, the histogram and the groups go over
 * every kept alert (10,000 by default), and at high rates a batch comes every 250 ms.
 */
export const LIVE_REFRESH_MS = 1000;
/** Whole alerts asked of the worker per message when exporting. */
const EXPORT_FETCH_ALERTS = 200;

type Params = { rule?: string; q?: string; source?: string; group?: string; gv?: string; from?: string; to?: string; axis?: string; sort?: string; dir?: string; status?: string };

/**
 * The fields seen in the source's alerts, gathered from each alert once (see fields()), kept
 * for a view made anew (the shell keeps it once made; scanning 2,000 alerts took ~30 ms).
 */
let fieldsSeen: { source: unknown; lastId: number; fields: Set<string> } | undefined;

export class AlertsView extends LitElement {
  static override properties = {
    route: { attribute: false },
    selectedId: { state: true },
    paused: { state: true },
  };

  declare route: Route;
  declare selectedId: number;
  declare paused: boolean;
  private readonly data = new StoreController(this, ['alerts', 'rules', 'replay'], undefined, { minIntervalMs: LIVE_REFRESH_MS });
  /** 1: the table (or groups) and the detail, 2: the histogram (each in a task of its own). */
  private readonly stages = new Stages(this, 2);
  private frozen: TriageAlert[] | undefined;
  private cache: { key: string; base: TriageAlert[]; rows: TriageAlert[] } | undefined;
  private replayRows: { ms: number; rows: TriageAlert[] } | undefined;
  private readonly onTriage = () => {
    this.cache = undefined;
    this.data.refresh();
  };

  constructor() {
    super();
    this.selectedId = 0;
    this.paused = false;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: grid;
        grid-template-columns: minmax(0, 1fr) minmax(360px, 40%);
        grid-template-rows: auto auto minmax(0, 1fr);
        gap: 8px;
        padding: 8px;
        height: 100%;
        min-height: 0;
      }
      .toolbar {
        grid-column: 1 / -1;
        display: flex;
        align-items: center;
        gap: 8px;
      }
      .search {
        position: relative;
        flex: 1;
        max-width: 520px;
      }
      .search input {
        width: 100%;
        padding-left: 26px;
      }
      .search::before {
        content: '⌕';
        position: absolute;
        left: 8px;
        top: 3px;
        color: var(--fg-faint);
      }
      .search kbd {
        position: absolute;
        right: 6px;
        top: 5px;
      }
      select {
        max-width: 260px;
      }
      .count {
        margin-left: auto;
        color: var(--fg-dim);
        font-size: var(--fs-small);
        font-variant-numeric: tabular-nums;
        white-space: nowrap;
      }
      .panel {
        display: flex;
        flex-direction: column;
        overflow: hidden;
      }
      vigil-alert-table,
      vigil-alert-detail {
        flex: 1;
      }
      .triage {
        grid-column: 1 / -1;
      }
      .histo-bar,
      .groupbar,
      .statusbar {
        display: flex;
        align-items: center;
        gap: 8px;
        flex-wrap: wrap;
        font-size: var(--fs-small);
        padding: 4px 0;
      }
      .groupbar,
      .statusbar {
        padding: 6px 10px;
        border-bottom: 1px solid var(--line);
      }
      .grow {
        flex: 1;
      }
      .dim {
        color: var(--fg-dim);
      }
      .st-new {
        color: var(--accent);
      }
      .st-acknowledged {
        color: var(--warn);
      }
      .st-closed {
        color: var(--fg-faint);
      }
      .paused {
        color: var(--warn);
      }
      .seg {
        display: inline-flex;
        gap: 0;
      }
      .seg button:first-child {
        border-radius: var(--radius) 0 0 var(--radius);
      }
      .seg button:last-child {
        border-radius: 0 var(--radius) var(--radius) 0;
        border-left: 0;
        max-width: 260px;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      /* Responsive layout (web-layout): under 800 px the table and the detail stack, the toolbar wraps. */
      @media (max-width: 799.98px) {
        :host {
          grid-template-columns: minmax(0, 1fr);
          grid-template-rows: none;
          grid-auto-rows: auto;
          height: auto;
        }
        /* A height of its own: the table is virtualised and would render every row if it grew
           to its content. */
        section.panel[aria-label='Alerts'] {
          height: 65vh;
          min-height: 360px;
        }
        .toolbar {
          flex-wrap: wrap;
        }
        .search {
          flex-basis: 100%;
        }
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('keydown', this.onGlobalKey);
    triage.addEventListener('change', this.onTriage);
    void triage.load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('keydown', this.onGlobalKey);
    triage.removeEventListener('change', this.onTriage);
  }

  private readonly onGlobalKey = (e: KeyboardEvent) => {
    // Kept while another view shows: its keys are not for this one.
    if (inHiddenView(this)) return;
    const target = e.composedPath()[0] as HTMLElement | undefined;
    const typing = target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT');
    if (e.key === '/' && !typing) {
      e.preventDefault();
      (this.renderRoot.querySelector('input[type=search]') as HTMLInputElement | null)?.focus();
    } else if (e.key === 'Escape' && !typing) {
      this.selectedId = 0;
    } else if (e.key === ' ' && !typing && target?.tagName !== 'BUTTON') {
      e.preventDefault();
      this.togglePause();
    }
  };

  private get rule(): string {
    return this.route?.params.rule ?? '';
  }

  private get query(): string {
    return this.route?.params.q ?? '';
  }

  /** 'replay': the alerts of the last replayed file instead of the live ones. */
  private get source(): 'live' | 'replay' {
    return this.route?.params.source === 'replay' && this.data.store.replay?.result ? 'replay' : 'live';
  }

  private param(name: keyof Params): string {
    return this.route?.params[name] ?? '';
  }

  private get axis(): 'eventTime' | 'at' {
    return this.param('axis') === 'at' ? 'at' : 'eventTime';
  }

  private get range(): { from: number; to: number } | undefined {
    const from = Number(this.param('from'));
    const to = Number(this.param('to'));
    return this.param('from') && this.param('to') && Number.isFinite(from) && Number.isFinite(to) && to > from ? { from, to } : undefined;
  }

  private get sort(): { field: string; direction: SortDirection } | undefined {
    const field = this.param('sort');
    return field ? { field, direction: this.param('dir') === 'asc' ? 'asc' : 'desc' } : undefined;
  }

  private setParams(params: Params): void {
    const current = this.route?.params ?? {};
    const next: Record<string, string> = { ...current, source: this.source === 'replay' ? 'replay' : '', ...params } as Record<string, string>;
    for (const k of Object.keys(next)) if (!next[k]) delete next[k];
    history.replaceState(null, '', formatRoute({ view: 'alerts', params: next }));
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  }

  private togglePause(): void {
    this.paused = !this.paused;
    this.frozen = this.paused ? [...triage.rows] : undefined;
    this.cache = undefined;
  }

  /** Every alert of the source, oldest first. */
  private all(): TriageAlert[] {
    const store = this.data.store;
    if (this.source === 'replay') {
      const result = store.replay?.result;
      if (!result) return [];
      if (this.replayRows?.ms !== result.ms) this.replayRows = { ms: result.ms, rows: result.envelopes.map(toTriage) };
      return this.replayRows.rows;
    }
    if (this.frozen) return this.frozen;
    return triage.rows;
  }

  /**
   * `base`: the search, rule and status filters (what the histogram and the groups count);
   * `rows`: those in the time range and the chosen group, sorted (what the table shows and exports).
   */
  private view(): { base: TriageAlert[]; rows: TriageAlert[] } {
    const replay = this.source === 'replay';
    const key = JSON.stringify([replay ? `r${this.data.store.replay?.result?.ms}` : triage.version, this.paused, this.route?.params]);
    if (this.cache?.key === key) return this.cache;
    const status = this.param('status');
    // filterAlerts gives newest first; the base stays in that order.
    const base = filterAlerts(this.all(), { rule: this.rule, text: this.query }).filter((r) => !status || r.status === status);
    let rows = inTimeRange(base, this.range, this.axis);
    const group = this.param('group');
    if (group && this.route?.params.gv !== undefined) rows = rows.filter((r) => fieldText(r, group) === this.param('gv'));
    const sort = this.sort;
    if (sort) rows = sortAlerts(rows, sort.field, sort.direction);
    this.cache = { key, base, rows };
    return this.cache;
  }

  /**
   * The fields to group by: those of the newest 2,000 alerts when the source was first seen, plus
   * those of each alert that came since (alerts are oldest first with growing ids), so a render
   * looks at the new alerts only.
   */
  private fields(all: readonly TriageAlert[]): string[] {
    const source = this.source === 'replay' ? this.data.store.replay?.result : triage;
    const seen = fieldsSeen && fieldsSeen.source === source ? fieldsSeen : { source, lastId: -Infinity, fields: new Set<string>() };
    fieldsSeen = seen;
    let first = all.length;
    while (first > 0 && all[first - 1]!.id > seen.lastId) first--;
    if (first < all.length) {
      for (const f of alertFields(all.slice(Math.max(first, all.length - 2000)))) seen.fields.add(f);
      seen.lastId = all[all.length - 1]!.id;
    }
    return [...seen.fields];
  }

  private onSort(field: string): void {
    const sort = this.sort;
    const dir = sort?.field === field && sort.direction === 'desc' ? 'asc' : 'desc';
    this.setParams({ sort: field, dir });
  }

  private async setStatus(ids: number[], status: AlertStatus): Promise<void> {
    if (this.source === 'replay' || !ids.length) return;
    await triage.setStatus(ids, status);
    if (this.frozen) {
      const byId = new Map(triage.rows.map((r) => [r.id, r]));
      this.frozen = this.frozen.map((r) => byId.get(r.id) ?? r);
    }
    this.cache = undefined;
    this.requestUpdate();
  }

  private async download(kind: 'jsonl' | 'csv', shown: TriageAlert[]): Promise<void> {
    const rows = kind === 'jsonl' ? await this.whole(shown) : shown;
    const text = kind === 'jsonl' ? toJsonl(rows) : toCsv(rows);
    const blob = new Blob([text], { type: kind === 'jsonl' ? 'application/x-ndjson' : 'text/csv' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `vigil-alerts-${new Date().toISOString().replace(/[:.]/g, '-')}.${kind}`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  /**
   * The rows with every event: the page's copies carry an alert's first events only, the worker
   * keeps them all (asked for in slices, so no one message is huge). A row the worker no longer
   * keeps stays as shown, with its `omittedEvents` count.
   */
  private async whole(rows: TriageAlert[]): Promise<TriageAlert[]> {
    const cut = rows.filter((r) => r.omittedEvents);
    if (!cut.length) return rows;
    const kept = new Map<number, TriageAlert>();
    for (let i = 0; i < cut.length; i += EXPORT_FETCH_ALERTS) {
      const slice = cut.slice(i, i + EXPORT_FETCH_ALERTS).map((r) => r.id);
      const whole = await this.data.store.run(() => this.data.store.api.keptAlerts(slice));
      for (const w of whole ?? []) kept.set(w.id, w);
    }
    // The status shown is the page's (it may be newer than the worker's by a round trip).
    return rows.map((r) => {
      const w = kept.get(r.id);
      return w ? { ...r, alert: w.alert, omittedEvents: undefined } : r;
    });
  }

  override render() {
    const store = this.data.store;
    const { base, rows } = this.view();
    const all = this.all();
    const replay = this.source === 'replay' ? store.replay?.result : undefined;
    const selected = rows.find((r) => r.id === this.selectedId) ?? all.find((r) => r.id === this.selectedId);
    const counts = new Map<string, number>();
    for (const a of all) counts.set(a.alert.rule, (counts.get(a.alert.rule) ?? 0) + 1);
    const ruleNames = [...new Set([...store.rules.map((r) => r.name), ...counts.keys()])];
    const total = store.metrics?.engine.alertsOut ?? 0;
    const group = this.param('group');
    const groupChosen = !!group && this.route?.params.gv !== undefined;
    const fields = this.fields(all);
    const range = this.range;
    return html`
      <div class="toolbar">
        ${store.replay?.result
          ? html`<span class="seg" role="tablist" aria-label="Which alerts">
              <button role="tab" aria-selected=${!replay} class=${replay ? '' : 'primary'} data-testid="alert-source-live" @click=${() => this.setParams({ source: '' })}>Live</button>
              <button role="tab" aria-selected=${!!replay} class=${replay ? 'primary' : ''} data-testid="alert-source-replay" @click=${() => this.setParams({ source: 'replay' })}>Replay · ${store.replay.result.name}</button>
            </span>`
          : nothing}
        <label class="search">
          <input
            type="search"
            data-testid="alert-search"
            placeholder="Search alerts — words, or field:value (user:root)"
            .value=${this.query}
            @input=${(e: Event) => this.setParams({ q: (e.target as HTMLInputElement).value })}
            @keydown=${(e: KeyboardEvent) => {
              if (e.key === 'Escape') this.setParams({ q: '' });
              if (e.key === 'ArrowDown') (this.renderRoot.querySelector('vigil-alert-table') as HTMLElement | null)?.focus();
            }}
          />
          ${this.query ? nothing : html`<kbd>/</kbd>`}
        </label>
        <select data-testid="alert-rule-filter" aria-label="Filter by rule" .value=${this.rule} @change=${(e: Event) => this.setParams({ rule: (e.target as HTMLSelectElement).value })}>
          <option value="" ?selected=${!this.rule}>All rules</option>
          ${ruleNames.map((n) => html`<option value=${n} ?selected=${n === this.rule}>${n} (${fmtCount(counts.get(n) ?? 0)})</option>`)}
        </select>
        <select data-testid="alert-status-filter" aria-label="Filter by status" @change=${(e: Event) => this.setParams({ status: (e.target as HTMLSelectElement).value })}>
          <option value="" ?selected=${!this.param('status')}>Any status</option>
          ${STATUSES.map((st) => html`<option value=${st} ?selected=${this.param('status') === st}>${st}</option>`)}
        </select>
        <select data-testid="alert-group-by" aria-label="Group by" @change=${(e: Event) => this.setParams({ group: (e.target as HTMLSelectElement).value, gv: '' })}>
          <option value="" ?selected=${!group}>No grouping</option>
          ${['rule', 'key', 'status', ...fields.filter((f) => f !== 'key')].map((f) => html`<option value=${f} ?selected=${group === f}>Group by ${f}</option>`)}
        </select>
        <button @click=${this.togglePause} title="Freeze the table (Space)" data-testid="alerts-pause">${this.paused ? '▶ Resume' : '❚❚ Pause'}</button>
        <span class="count" data-testid="alert-count" data-shown=${rows.length}>
          ${replay
            ? html`${fmtCount(rows.length)} shown · <b data-testid="replay-alert-total" data-value=${replay.alerts}>${fmtCount(replay.alerts)}</b> alerts from ${fmtCount(replay.events)} events of ${replay.name}${replay.alerts > all.length ? html` (first ${fmtCount(all.length)} kept)` : nothing}`
            : html`${this.paused ? html`<span class="paused">paused · </span>` : nothing}
          ${fmtCount(rows.length)} shown · ${fmtCount(all.length)} kept (last ${fmtCount(triage.retention.maxAlerts)}, ${triage.retention.maxDays} d) · ${fmtCount(total)} raised
          ${store.omittedAlerts ? html` · ${fmtCount(store.omittedAlerts)} not shown (rate)` : nothing}`}
        </span>
      </div>
      <div class="triage">
        <div class="histo">
          <div class="histo-bar">
            <span class="seg" role="tablist" aria-label="Time axis">
              <button data-testid="axis-event" class=${this.axis === 'eventTime' ? 'primary' : ''} @click=${() => this.setParams({ axis: '', from: '', to: '' })}>Event time</button>
              <button data-testid="axis-processing" class=${this.axis === 'at' ? 'primary' : ''} @click=${() => this.setParams({ axis: 'at', from: '', to: '' })}>Processing time</button>
            </span>
            ${range
              ? html`<span data-testid="time-range" data-from=${range.from} data-to=${range.to}>${fmtDateTime(range.from)} – ${fmtDateTime(range.to)}</span>
                  <button class="ghost" data-testid="clear-range" @click=${() => this.setParams({ from: '', to: '' })}>× all time</button>`
              : html`<span class="dim">Drag over the chart to pick a time range</span>`}
            <span class="grow"></span>
            <button data-testid="export-jsonl" title="The rows shown, as JSON lines" @click=${() => this.download('jsonl', rows)}>⤓ JSONL</button>
            <button data-testid="export-csv" title="The rows shown, as CSV" @click=${() => this.download('csv', rows)}>⤓ CSV</button>
            ${replay ? nothing : html`<vigil-alert-retention></vigil-alert-retention>`}
          </div>
          ${this.stages.ready(2)
            ? html`<vigil-alert-histogram
            .rows=${base}
            .axis=${this.axis}
            .range=${range}
            @range-change=${(e: CustomEvent<{ from: number; to: number } | undefined>) =>
              this.setParams({ from: e.detail ? String(e.detail.from) : '', to: e.detail ? String(e.detail.to) : '' })}
          ></vigil-alert-histogram>`
            : html`<div style="height:90px"></div>`}
        </div>
      </div>
      <section class="panel" aria-label="Alerts">
        ${!this.stages.ready(1)
          ? nothing
          : group && !groupChosen
          ? html`<vigil-alert-groups
              .field=${group}
              .rows=${inTimeRange(base, range, this.axis)}
              .readOnly=${!!replay}
              @group-open=${(e: CustomEvent<string>) => this.setParams({ gv: e.detail })}
              @group-status=${(e: CustomEvent<{ ids: number[]; status: AlertStatus }>) => this.setStatus(e.detail.ids, e.detail.status)}
            ></vigil-alert-groups>`
          : html`${groupChosen
              ? html`<div class="groupbar" data-testid="group-chosen">
                  <button class="ghost" data-testid="group-back" @click=${() => this.setParams({ gv: undefined as unknown as string })}>← groups</button>
                  ${group} = <b>${this.param('gv') || '(none)'}</b> · ${fmtCount(rows.length)}
                  <span class="grow"></span>
                  ${replay ? nothing : STATUS_ACTIONS.map((a) => html`<button data-testid="group-status-${a.status}" @click=${() => this.setStatus(rows.map((r) => r.id), a.status)}>${a.label} all</button>`)}
                </div>`
              : nothing}
            ${rows.length === 0
              ? html`<div class="empty">
                  ${all.length === 0
                    ? html`No alerts yet. ${store.metrics?.simulator.running ? 'The simulator is running: alerts appear when windows close (about a minute).' : html`Start the <a href="#/simulator" style="color:var(--accent)">simulator</a> or push events.`}`
                    : 'No alert matches the search, the status or the time range.'}
                </div>`
              : html`<vigil-alert-table
                  .rows=${rows}
                  .selectedId=${this.selectedId}
                  .sort=${this.sort}
                  @alert-sort=${(e: CustomEvent<string>) => this.onSort(e.detail)}
                  @alert-select=${(e: CustomEvent<number>) => (this.selectedId = e.detail)}
                ></vigil-alert-table>`}`}
      </section>
      <section class="panel" aria-label="Alert detail">
        ${selected && !replay
          ? html`<div class="statusbar" data-testid="alert-status" data-status=${selected.status}>
              <span class="st-${selected.status}"><b>${selected.status}</b></span>
              ${selected.statusBy ? html`<span class="dim" data-testid="alert-status-by">by ${selected.statusBy} · ${fmtDateTime(selected.statusAt ?? 0)}</span>` : nothing}
              <span class="grow"></span>
              ${STATUS_ACTIONS.filter((a) => a.status !== selected.status).map(
                (a) => html`<button data-testid="status-${a.status}" @click=${() => this.setStatus([selected.id], a.status)}>${a.label}</button>`,
              )}
            </div>`
          : nothing}
        ${this.stages.ready(1) ? html`<vigil-alert-detail .envelope=${selected}></vigil-alert-detail>` : nothing}
      </section>
    `;
  }


}

customElements.define('vigil-alerts-view', AlertsView);
