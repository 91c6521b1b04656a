/** Status of one rule: state and why, where each function runs, counters. */
import { LitElement, css, html, nothing } from 'lit';
import type { RuleInfo } from '../../../src/engine/engine.js';
import type { MetricsSnapshot } from '../../../src/runtime/worker/protocol.js';
import { fmtCount, fmtDateTime } from '../../lib/format.js';
import { baseStyles } from '../shared/styles.js';

export class RuleDetails extends LitElement {
  static override properties = { rule: { attribute: false }, metrics: { attribute: false } };
  declare rule: RuleInfo | undefined;
  declare metrics: MetricsSnapshot | undefined;

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        padding: 10px;
        overflow: auto;
      }
      dl {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 4px 12px;
        margin: 0 0 12px;
      }
      dt {
        color: var(--fg-dim);
      }
      dd {
        margin: 0;
        font-variant-numeric: tabular-nums;
      }
      h4 {
        margin: 12px 0 6px;
        font-size: 11px;
        text-transform: uppercase;
        letter-spacing: 0.06em;
        color: var(--fg-faint);
        font-weight: 500;
      }
      .fn {
        display: grid;
        grid-template-columns: 60px 70px 1fr;
        gap: 6px;
        padding: 3px 0;
        border-bottom: 1px solid var(--line);
        font-size: var(--fs-small);
      }
      .native {
        color: var(--ok);
      }
      .sandbox {
        color: var(--warn);
      }
      .why {
        color: var(--err);
        background: rgba(242, 85, 90, 0.08);
        border: 1px solid rgba(242, 85, 90, 0.3);
        border-radius: var(--radius);
        padding: 6px 8px;
        margin-bottom: 10px;
      }
    `,
  ];

  override render() {
    const r = this.rule;
    if (!r) return html`<div class="empty">Select a rule to see its status.</div>`;
    const live = this.metrics?.engine.rules[r.name];
    const stats = live ?? { ...r.stats, state: r.state };
    return html`
      ${stats.state === 'deactivated' && r.deactivation
        ? html`<div class="why" data-testid="deactivation"><b>Deactivated</b> (${r.deactivation.kind}) at ${fmtDateTime(r.deactivation.at)}:<br />${r.deactivation.reason}<br /><span class="dim">Enable it to give it a fresh sandbox.</span></div>`
        : nothing}
      <dl>
        <dt>State</dt>
        <dd><span class="pill ${stats.state}">${stats.state}</span></dd>
        <dt>Kind</dt>
        <dd>${r.kind}</dd>
        <dt>Version</dt>
        <dd>${r.version}</dd>
        <dt>Routed</dt>
        <dd>${fmtCount(stats.routed)}</dd>
        <dt>Matched</dt>
        <dd>${fmtCount(stats.matched)}</dd>
        <dt>Alerts</dt>
        <dd>${fmtCount(stats.alerts)}</dd>
        <dt title="alerts held back by SUPPRESS">Suppressed</dt>
        <dd>${fmtCount(stats.suppressed ?? 0)}</dd>
        <dt>Late events</dt>
        <dd>${fmtCount(stats.late)}</dd>
        <dt>Errors</dt>
        <dd>${fmtCount(stats.errors)}</dd>
      </dl>
      <h4>Where the functions run</h4>
      ${r.functions.length === 0 ? html`<div class="faint">No functions.</div>` : nothing}
      ${r.functions.map(
        (f) => html`<div class="fn">
          <span>${f.phase.toUpperCase()}</span>
          <span class=${f.mode}>${f.mode}</span>
          <span class="dim">${f.mode === 'native' ? 'compiled from the syntax tree' : (f.reason ?? '')}</span>
        </div>`,
      )}
    `;
  }
}

customElements.define('vigil-rule-details', RuleDetails);
