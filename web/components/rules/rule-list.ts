/** The list of rules with status (active / deactivated and why / disabled) and per-rule counts. */
import { LitElement, css, html, nothing } from 'lit';
import type { RuleInfo } from '../../../src/engine/engine.js';
import type { MetricsSnapshot } from '../../../src/runtime/worker/protocol.js';
import { fmtCount } from '../../lib/format.js';
import { baseStyles } from '../shared/styles.js';

export class RuleList extends LitElement {
  static override properties = {
    rules: { attribute: false },
    metrics: { attribute: false },
    selected: { type: String },
    dirty: { attribute: false },
    removed: { attribute: false },
  };

  declare rules: RuleInfo[];
  declare metrics: MetricsSnapshot | undefined;
  declare selected: string;
  /** Names of rules with unapplied edits. */
  declare dirty: Set<string>;
  declare removed: string[];

  constructor() {
    super();
    this.rules = [];
    this.selected = '';
    this.dirty = new Set();
    this.removed = [];
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
      }
      .list {
        flex: 1;
        overflow: auto;
      }
      .rule {
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 2px 8px;
        padding: 6px 10px;
        border-bottom: 1px solid var(--line);
        border-left: 2px solid transparent;
        cursor: pointer;
      }
      .rule:hover {
        background: var(--bg-hover);
      }
      .rule[aria-selected='true'] {
        background: var(--bg-select);
        border-left-color: var(--accent);
      }
      .name {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        font-weight: 500;
      }
      .name .dirty {
        color: var(--warn);
        margin-left: 4px;
      }
      .meta {
        grid-column: 1 / -1;
        display: flex;
        gap: 10px;
        font-size: var(--fs-small);
        color: var(--fg-dim);
        font-variant-numeric: tabular-nums;
      }
      .meta b {
        color: var(--fg);
        font-weight: 500;
      }
      .why {
        grid-column: 1 / -1;
        color: var(--err);
        font-size: var(--fs-small);
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .section {
        padding: 10px 10px 4px;
        font-size: 11px;
        color: var(--fg-faint);
        text-transform: uppercase;
        letter-spacing: 0.06em;
      }
      .removed {
        padding: 4px 10px;
        color: var(--fg-dim);
        cursor: pointer;
        text-decoration: line-through;
      }
      .removed:hover {
        background: var(--bg-hover);
      }
      .removed[aria-selected='true'] {
        background: var(--bg-select);
      }
    `,
  ];

  private select(name: string): void {
    this.dispatchEvent(new CustomEvent('rule-select', { detail: name }));
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const names = this.rules.map((r) => r.name);
    const i = names.indexOf(this.selected);
    const next = names[Math.max(0, Math.min(names.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))];
    if (next) {
      this.select(next);
      void this.updateComplete.then(() => (this.renderRoot.querySelector(`[aria-selected='true']`) as HTMLElement | null)?.focus());
    }
  }

  override render() {
    const live = this.metrics?.engine.rules ?? {};
    return html`<div class="list" role="listbox" aria-label="Rules" @keydown=${this.onKey}>
      ${this.rules.length === 0 ? html`<div class="empty">No rules yet. Write one in the editor and press <kbd>Ctrl</kbd>+<kbd>Enter</kbd>.</div>` : nothing}
      ${this.rules.map((r) => {
        const stats = live[r.name] ?? { ...r.stats, state: r.state };
        const state = stats.state;
        return html`<div
          class="rule"
          role="option"
          tabindex="0"
          data-testid="rule-item"
          data-rule=${r.name}
          aria-selected=${r.name === this.selected ? 'true' : 'false'}
          @click=${() => this.select(r.name)}
          @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && this.select(r.name)}
        >
          <span class="name" title=${r.name}>${r.name}${this.dirty.has(r.name) ? html`<span class="dirty" title="unapplied edits">●</span>` : nothing}</span>
          <span class="pill ${state}" data-testid="rule-state">${state}</span>
          <span class="meta">
            <span>${r.kind === 'aggregation' ? 'window' : r.kind === 'state-machine' ? 'machine' : 'simple'}</span>
            <span title="events that passed FILTER and IOC FILTERS"><b>${fmtCount(stats.matched)}</b> matched</span>
            <span title="alerts raised"><b>${fmtCount(stats.alerts)}</b> alerts</span>
            ${stats.suppressed ? html`<span title="alerts held back by SUPPRESS" data-testid="rule-held">${fmtCount(stats.suppressed)} held</span>` : nothing}
            ${stats.errors ? html`<span title="function errors" style="color:var(--warn)">${fmtCount(stats.errors)} err</span>` : nothing}
          </span>
          ${state === 'deactivated' && r.deactivation ? html`<span class="why" title=${r.deactivation.reason}>${r.deactivation.kind}: ${r.deactivation.reason}</span>` : nothing}
        </div>`;
      })}
      ${this.removed.length
        ? html`<div class="section">Removed</div>
            ${this.removed.map(
              (name) => html`<div class="removed" role="option" tabindex="0" aria-selected=${name === this.selected ? 'true' : 'false'} @click=${() => this.select(name)}>${name}</div>`,
            )}`
        : nothing}
    </div>`;
  }
}

customElements.define('vigil-rule-list', RuleList);
