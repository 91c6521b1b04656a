/**
 * The live alert table, newest first, virtualised (fixed row height, only visible rows in the DOM)
 * so thousands of alerts scroll smoothly. Arrow keys / j k move the selection.
 */
import { LitElement, css, html } from 'lit';
import type { AlertEnvelope } from '../../../src/runtime/worker/protocol.js';
import { alertSummary, fmtTime } from '../../lib/format.js';
import { baseStyles } from '../shared/styles.js';

const ROW = 24;
const OVERSCAN = 10;

export class AlertTable extends LitElement {
  static override properties = {
    rows: { attribute: false },
    selectedId: { type: Number },
    scrollTop: { state: true },
    height: { state: true },
  };

  /** Newest first. */
  declare rows: AlertEnvelope[];
  declare selectedId: number;
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
        grid-template-columns: 92px 84px minmax(120px, 220px) minmax(0, 1fr);
        gap: 10px;
        align-items: center;
        padding: 0 10px;
        height: ${ROW}px;
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
      <div class="head" role="row"><span>Time</span><span>Severity</span><span>Rule</span><span>Details</span></div>
      <div class="viewport" role="grid" aria-rowcount=${this.rows.length} @scroll=${(e: Event) => (this.scrollTop = (e.target as HTMLElement).scrollTop)}>
        <div class="spacer" style="height:${this.rows.length * ROW}px">
          ${visible.map((env, i) => {
            const a = env.alert;
            const sev = typeof a.severity === 'string' ? a.severity : a.rule.startsWith('vigil.') ? 'high' : '';
            return html`<div
              class="row ${a.rule.startsWith('vigil.') ? 'system' : ''}"
              role="row"
              data-testid="alert-row"
              style="top:${(first + i) * ROW}px"
              aria-selected=${env.id === this.selectedId ? 'true' : 'false'}
              @click=${() => this.pick(env.id)}
            >
              <span class="t">${fmtTime(env.at, true)}</span>
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
