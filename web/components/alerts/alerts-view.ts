/** The Alerts view: search, rule filter, live table, detail pane. */
import { LitElement, css, html, nothing } from 'lit';
import type { AlertEnvelope } from '../../../src/runtime/worker/protocol.js';
import { filterAlerts } from '../../lib/alert-filter.js';
import { fmtCount } from '../../lib/format.js';
import { formatRoute, type Route } from '../../lib/router.js';
import { MAX_ALERTS } from '../../state/store.js';
import { StoreController } from '../../state/controller.js';
import { baseStyles } from '../shared/styles.js';
import './alert-detail.js';
import './alert-table.js';

export class AlertsView extends LitElement {
  static override properties = {
    route: { attribute: false },
    selectedId: { state: true },
    paused: { state: true },
  };

  declare route: Route;
  declare selectedId: number;
  declare paused: boolean;
  private readonly data = new StoreController(this, ['alerts', 'rules', 'replay']);
  private frozen: AlertEnvelope[] | undefined;
  private cache: { version: number; rule: string; q: string; frozen: boolean; rows: AlertEnvelope[] } | undefined;

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
        grid-template-rows: auto minmax(0, 1fr);
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
          grid-template-rows: auto 65vh auto;
          height: auto;
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
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('keydown', this.onGlobalKey);
  }

  private readonly onGlobalKey = (e: KeyboardEvent) => {
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

  private setParams(params: { rule?: string; q?: string; source?: string }): void {
    const next = { rule: this.rule, q: this.query, source: this.source === 'replay' ? 'replay' : '', ...params };
    history.replaceState(null, '', formatRoute({ view: 'alerts', params: next }));
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  }

  private togglePause(): void {
    this.paused = !this.paused;
    this.frozen = this.paused ? [...this.data.store.alerts] : undefined;
    this.cache = undefined;
  }

  private all(): AlertEnvelope[] {
    const store = this.data.store;
    if (this.source === 'replay') return store.replay?.result?.envelopes ?? [];
    return this.frozen ?? store.alerts;
  }

  private rows(): AlertEnvelope[] {
    const store = this.data.store;
    const replay = this.source === 'replay';
    const key = { version: replay ? -1 - (store.replay?.result?.ms ?? 0) : store.alertsVersion, rule: this.rule, q: this.query, frozen: this.paused };
    const c = this.cache;
    if (c && c.version === key.version && c.rule === key.rule && c.q === key.q && c.frozen === key.frozen) return c.rows;
    const rows = filterAlerts(this.all(), { rule: this.rule, text: this.query });
    this.cache = { ...key, rows };
    return rows;
  }

  override render() {
    const store = this.data.store;
    const rows = this.rows();
    const all = this.all();
    const replay = this.source === 'replay' ? store.replay?.result : undefined;
    const selected = rows.find((r) => r.id === this.selectedId) ?? all.find((r) => r.id === this.selectedId);
    const counts = new Map<string, number>();
    for (const a of all) counts.set(a.alert.rule, (counts.get(a.alert.rule) ?? 0) + 1);
    const ruleNames = [...new Set([...store.rules.map((r) => r.name), ...counts.keys()])];
    const total = store.metrics?.engine.alertsOut ?? 0;
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
        <button @click=${this.togglePause} title="Freeze the table (Space)" data-testid="alerts-pause">${this.paused ? '▶ Resume' : '❚❚ Pause'}</button>
        <button @click=${() => store.clearAlerts()} title="Clear the table (the engine goes on)">Clear</button>
        <span class="count" data-testid="alert-count">
          ${replay
            ? html`${fmtCount(rows.length)} shown · <b data-testid="replay-alert-total" data-value=${replay.alerts}>${fmtCount(replay.alerts)}</b> alerts from ${fmtCount(replay.events)} events of ${replay.name}${replay.alerts > all.length ? html` (first ${fmtCount(all.length)} kept)` : nothing}`
            : html`${this.paused ? html`<span class="paused">paused · </span>` : nothing}
          ${fmtCount(rows.length)} shown · ${fmtCount(all.length)} kept (last ${fmtCount(MAX_ALERTS)}) · ${fmtCount(total)} raised
          ${store.omittedAlerts ? html` · ${fmtCount(store.omittedAlerts)} not shown (rate)` : nothing}`}
        </span>
      </div>
      <section class="panel" aria-label="Alerts">
        ${rows.length === 0
          ? html`<div class="empty">
              ${all.length === 0
                ? html`No alerts yet. ${store.metrics?.simulator.running ? 'The simulator is running: alerts appear when windows close (about a minute).' : html`Start the <a href="#/simulator" style="color:var(--accent)">simulator</a> or push events.`}`
                : 'No alert matches the search.'}
            </div>`
          : html`<vigil-alert-table .rows=${rows} .selectedId=${this.selectedId} @alert-select=${(e: CustomEvent<number>) => (this.selectedId = e.detail)}></vigil-alert-table>`}
      </section>
      <section class="panel" aria-label="Alert detail">
        <vigil-alert-detail .envelope=${selected}></vigil-alert-detail>
      </section>
    `;
  }
}

customElements.define('vigil-alerts-view', AlertsView);
