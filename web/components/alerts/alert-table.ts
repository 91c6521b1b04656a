/**
 * The alert table, virtualised (fixed row height, only visible rows in the DOM) so thousands of
 * alerts scroll smoothly: event time beside processing time, status, severity, rule, details.
 * A click on a column head sorts by it (`alert-sort`, detail: field); arrow keys / j k move the
 * selection.
 */
import { LitElement, css, html } from 'lit';
import type { TriageAlert } from '../../../src/runtime/worker/protocol.js';
import type { SortDirection } from '../../lib/alert-triage.js';
import { alertSummary, fmtDateTime, fmtTime } from '../../lib/format.js';
import { baseStyles } from '../shared/styles.js';

const ROW = 24;
const OVERSCAN = 10;

/** The columns: head text and the field they sort by. */
const COLUMNS: { label: string; field: string }[] = [
  { label: 'Event time', field: 'eventTime' },
  { label: 'Processed', field: 'at' },
  { label: 'Status', field: 'status' },
  { label: 'Severity', field: 'severity' },
  { label: 'Rule', field: 'rule' },
  { label: 'Details', field: 'key' },
];

/** Event time in full when it is not today (replayed alerts), else the clock time. */
function fmtEventTime(t: number | undefined): string {
  if (t === undefined) return '—';
  return new Date(t).toDateString() === new Date().toDateString() ? fmtTime(t, true) : fmtDateTime(t);
}

export class AlertTable extends LitElement {
  static override properties = {
    rows: { attribute: false },
    selectedId: { type: Number },
    sort: { attribute: false },
    scrollTop: { state: true },
    height: { state: true },
  };

  /** Newest first. */
  declare rows: TriageAlert[];
  declare selectedId: number;
  declare sort: { field: string; direction: SortDirection } | undefined;
  declare scrollTop: number;
  declare height: number;
  private resize = new ResizeObserver((entries) => {
    for (const e of entries) this.height = e.contentRect.height;
  });

  constructor() {
    super();
    this.rows = [];
    this.selectedId = 0;
    this.scrollTop = 0;
    this.height = 600;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        outline: none;
      }
      .head,
      .row {
        display: grid;
        grid-template-columns: 140px 92px 92px 68px minmax(110px, 200px) minmax(0, 1fr);
        gap: 10px;
        align-items: center;
        padding: 0 10px;
        height: ${ROW}px;
      }
      /* Phones: event time, status, rule and summary; processing time and severity stay in the
         detail pane. (Hidden by position: the header and the rows list the columns alike.) */
      @media (max-width: 640px) {
        .head,
        .row {
          grid-template-columns: 96px 58px minmax(90px, 1fr) minmax(0, 1fr);
          gap: 6px;
          padding: 0 6px;
        }
        .head > :nth-child(2),
        .row > :nth-child(2),
        .head > :nth-child(4),
        .row > :nth-child(4) {
          display: none;
        }
      }
      .head {
        background: var(--bg-2);
        color: var(--fg-dim);
        font-size: var(--fs-small);
        border-bottom: 1px solid var(--line);
        flex: none;
      }
      .viewport {
        flex: 1;
        overflow-y: auto;
        position: relative;
        min-height: 0;
      }
      .spacer {
        position: relative;
      }
      .row {
        position: absolute;
        left: 0;
        right: 0;
        border-bottom: 1px solid var(--line);
        cursor: pointer;
        font-size: var(--fs-small);
      }
      .row:hover {
        background: var(--bg-hover);
      }
      .row[aria-selected='true'] {
        background: var(--bg-select);
        box-shadow: inset 2px 0 var(--accent);
      }
      .row span {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .t {
        font-family: var(--font-mono);
        color: var(--fg-dim);
      }
      .r {
        color: var(--fg);
        font-weight: 500;
      }
      .s {
        color: var(--fg-dim);
        font-family: var(--font-mono);
      }
      .head button {
        all: unset;
        cursor: pointer;
        white-space: nowrap;
      }
      .head button:hover {
        color: var(--fg);
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
      .row.closed {
        opacity: 0.6;
      }
      .row.system .r {
        color: var(--err);
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.tabIndex = 0;
    this.addEventListener('keydown', this.onKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
    this.removeEventListener('keydown', this.onKey);
  }

  override firstUpdated(): void {
    const vp = this.renderRoot.querySelector('.viewport');
    if (vp) this.resize.observe(vp);
  }

  private readonly onKey = (e: KeyboardEvent) => {
    const down = e.key === 'ArrowDown' || e.key === 'j';
    const up = e.key === 'ArrowUp' || e.key === 'k';
    if (!down && !up) return;
    if ((e.target as HTMLElement | null)?.tagName === 'INPUT') return;
    e.preventDefault();
    const i = this.rows.findIndex((r) => r.id === this.selectedId);
    const next = this.rows[Math.max(0, Math.min(this.rows.length - 1, i < 0 ? 0 : i + (down ? 1 : -1)))];
    if (!next) return;
    this.pick(next.id);
    const idx = this.rows.indexOf(next);
    const vp = this.renderRoot.querySelector('.viewport') as HTMLElement | null;
    if (vp) {
      if (idx * ROW < vp.scrollTop) vp.scrollTop = idx * ROW;
      else if ((idx + 1) * ROW > vp.scrollTop + vp.clientHeight) vp.scrollTop = (idx + 1) * ROW - vp.clientHeight;
    }
  };

  private pick(id: number): void {
    this.dispatchEvent(new CustomEvent('alert-select', { detail: id }));
  }

  override render() {
    const first = Math.max(0, Math.floor(this.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((this.scrollTop + this.height) / ROW) + OVERSCAN);
    const visible = this.rows.slice(first, last);
    return html`
      <div class="head" role="row">
        ${COLUMNS.map(
          (c) => html`<span role="columnheader" aria-sort=${this.sort?.field === c.field ? (this.sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}
            ><button data-testid="sort-${c.field}" @click=${() => this.dispatchEvent(new CustomEvent('alert-sort', { detail: c.field }))}>
              ${c.label}${this.sort?.field === c.field ? (this.sort.direction === 'asc' ? ' ▲' : ' ▼') : ''}
            </button></span
          >`,
        )}
      </div>
      <div class="viewport" role="grid" aria-rowcount=${this.rows.length} @scroll=${(e: Event) => (this.scrollTop = (e.target as HTMLElement).scrollTop)}>
        <div class="spacer" style="height:${this.rows.length * ROW}px">
          ${visible.map((env, i) => {
            const a = env.alert;
            const sev = typeof a.severity === 'string' ? a.severity : a.rule.startsWith('vigil.') ? 'high' : '';
            return html`<div
              class="row ${a.rule.startsWith('vigil.') ? 'system' : ''} ${env.status}"
              role="row"
              data-testid="alert-row"
              data-id=${env.id}
              data-status=${env.status}
              style="top:${(first + i) * ROW}px"
              aria-selected=${env.id === this.selectedId ? 'true' : 'false'}
              @click=${() => this.pick(env.id)}
            >
              <span class="t" data-testid="alert-event-time" title=${env.eventTime === undefined ? 'no event time (the alert has no time field or window)' : new Date(env.eventTime).toISOString()}
                >${fmtEventTime(env.eventTime)}</span
              >
              <span class="t" title=${new Date(env.at).toISOString()}>${fmtTime(env.at, true)}</span>
              <span class="st-${env.status}" title=${env.statusBy ? `${env.status} by ${env.statusBy} at ${new Date(env.statusAt ?? 0).toISOString()}` : env.status}>${env.status}</span>
              <span class="sev sev-${sev}">${sev || '—'}</span>
              <span class="r" title=${a.rule}>${a.rule}</span>
              <span class="s">${alertSummary(a)}</span>
            </div>`;
          })}
        </div>
      </div>
    `;
  }
}

customElements.define('vigil-alert-table', AlertTable);
