/**
 * Alerts grouped by a field (rule, key, status or any alert field): each value with its count and
 * its counts per status, largest first; a click opens the group (`group-open`, detail: value), the
 * buttons set the status of all its alerts (`group-status`, detail: { ids, status }).
 */
import { LitElement, css, html, nothing } from 'lit';
import type { AlertStatus, TriageAlert } from '../../../src/runtime/worker/protocol.js';
import { groupAlerts } from '../../lib/alert-triage.js';
import { fmtCount } from '../../lib/format.js';
import { baseStyles } from '../shared/styles.js';

/** The status buttons, for one alert and for a group. */
export const STATUS_ACTIONS: { status: AlertStatus; label: string }[] = [
  { status: 'acknowledged', label: 'Acknowledge' },
  { status: 'closed', label: 'Close' },
  { status: 'new', label: 'Reopen' },
];

export class AlertGroups extends LitElement {
  static override properties = {
    field: { type: String },
    rows: { attribute: false },
    readOnly: { type: Boolean },
  };

  declare field: string;
  declare rows: TriageAlert[];
  /** Replayed alerts have no status to set. */
  declare readOnly: boolean;

  constructor() {
    super();
    this.field = 'rule';
    this.rows = [];
    this.readOnly = false;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        overflow: auto;
        flex: 1;
        min-height: 0;
        font-size: var(--fs-small);
      }
      .row {
        display: grid;
        grid-template-columns: minmax(0, 1fr) 70px 50px 50px 50px 250px;
        gap: 8px;
        align-items: center;
        padding: 3px 10px;
        border-bottom: 1px solid var(--line);
      }
      .row.head {
        color: var(--fg-dim);
        background: var(--bg-2);
      }
      .gv {
        color: var(--fg);
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
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
      /* On a phone the counts take their width and the actions go on a line of their own, or the
         group's name (minmax(0, 1fr) after 470 px of fixed columns) had no width at all. */
      @media (max-width: 599.98px) {
        .row {
          grid-template-columns: minmax(0, 1fr) repeat(4, auto);
          row-gap: 0;
        }
        .row > :last-child {
          grid-column: 1 / -1;
          justify-self: end;
        }
        .row.head > :last-child {
          display: none;
        }
      }
    `,
  ];

  override render() {
    const groups = groupAlerts(this.rows, this.field);
    return html`<div data-testid="alert-groups">
      <div class="row head"><span>${this.field}</span><span>Alerts</span><span>new</span><span>ack.</span><span>closed</span><span></span></div>
      ${groups.map(
        (g) => html`<div class="row" data-testid="alert-group" data-value=${g.value} data-count=${g.count}>
          <a
            href="#"
            class="gv"
            title=${g.value}
            @click=${(e: Event) => {
              e.preventDefault();
              this.dispatchEvent(new CustomEvent('group-open', { detail: g.value }));
            }}
            >${g.value || '(none)'}</a
          >
          <span data-testid="group-count">${fmtCount(g.count)}</span>
          <span class="st-new">${fmtCount(g.statuses.new)}</span>
          <span class="st-acknowledged">${fmtCount(g.statuses.acknowledged)}</span>
          <span class="st-closed">${fmtCount(g.statuses.closed)}</span>
          <span
            >${this.readOnly
              ? nothing
              : STATUS_ACTIONS.map(
                  (a) =>
                    html`<button
                      class="ghost"
                      data-testid="group-${a.status}"
                      title="${a.label} the ${g.count} alerts"
                      @click=${() => this.dispatchEvent(new CustomEvent('group-status', { detail: { ids: g.ids, status: a.status } }))}
                    >
                      ${a.label}
                    </button>`,
                )}</span
          >
        </div>`,
      )}
    </div>`;
  }
}

customElements.define('vigil-alert-groups', AlertGroups);
