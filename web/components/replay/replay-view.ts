/**
 * Replay (#/replay): drop a JSON-lines file (or .jsonl.gz) and the worker runs the current rules and
 * lists over it in a fresh engine — the live engine and its windows are untouched. Progress while
 * it runs; then the alerts per rule, and the alerts themselves in the Alerts view (Replay tab).
 */
import { LitElement, css, html, nothing } from 'lit';
import { fmtBytes, fmtCount } from '../../lib/format.js';
import { formatRoute } from '../../lib/router.js';
import { StoreController } from '../../state/controller.js';
import { baseStyles } from '../shared/styles.js';

export class ReplayView extends LitElement {
  static override properties = { over: { state: true } };
  declare over: boolean;
  private readonly data = new StoreController(this, ['replay', 'rules']);

  constructor() {
    super();
    this.over = false;
  }

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
      .drop {
        border: 2px dashed var(--line-2);
        border-radius: 8px;
        padding: 32px;
        text-align: center;
        color: var(--fg-dim);
        background: var(--bg-1);
      }
      .drop.over {
        border-color: var(--accent);
        color: var(--fg);
      }
      .drop b {
        color: var(--fg);
      }
      .bar {
        height: 14px;
        background: var(--bg-3);
        border-radius: 7px;
        overflow: hidden;
        border: 1px solid var(--line);
      }
      .bar i {
        display: block;
        height: 100%;
        background: linear-gradient(90deg, #2b6cb0, var(--accent));
        transition: width 0.15s;
      }
      .row {
        display: flex;
        gap: 18px;
        align-items: baseline;
        flex-wrap: wrap;
        padding: 10px 12px;
        font-variant-numeric: tabular-nums;
      }
      .big {
        font: 600 20px var(--font-mono);
      }
      .k {
        font-size: 11px;
        color: var(--fg-dim);
        text-transform: uppercase;
        letter-spacing: 0.06em;
      }
      table.grid {
        max-width: 720px;
      }
      .problems {
        font: 12px var(--font-mono);
        color: var(--warn);
        padding: 0 12px 10px;
      }
    `,
  ];

  private pick(files: FileList | null | undefined): void {
    const file = files?.[0];
    if (file) void this.data.store.startReplay(file);
  }

  override render() {
    const store = this.data.store;
    const r = store.replay;
    const p = r?.progress;
    const pct = p ? (p.done ? 100 : p.totalBytes ? Math.min(99, Math.floor((100 * p.bytesRead) / p.totalBytes)) : 0) : 0;
    const result = r?.result;
    const byRule = result ? Object.entries(result.byRule).sort((a, b) => b[1] - a[1]) : [];
    return html`
      <label
        class="drop ${this.over ? 'over' : ''}"
        data-testid="replay-drop"
        @dragover=${(e: DragEvent) => {
          e.preventDefault();
          this.over = true;
        }}
        @dragleave=${() => (this.over = false)}
        @drop=${(e: DragEvent) => {
          e.preventDefault();
          this.over = false;
          this.pick(e.dataTransfer?.files);
        }}
      >
        <div><b>Drop a JSON-lines file here</b> (one event per line; <span class="mono">.gz</span> too) — or click to choose one.</div>
        <div style="margin-top:6px;font-size:var(--fs-small)">
          The ${fmtCount(store.rules.length)} current rules and lists run over it in a fresh engine in the worker; the live engine, its windows and state machines are untouched.
        </div>
        <input type="file" data-testid="replay-file" accept=".jsonl,.json,.ndjson,.gz,.txt,application/gzip,application/json" style="display:none" ?disabled=${r?.running} @change=${(e: Event) => this.pick((e.target as HTMLInputElement).files)} />
      </label>
      ${r
        ? html`<section class="panel">
            <div class="panel-head"><span class="grow">${r.running ? 'Replaying' : 'Replayed'} <span class="mono">${r.name}</span> · ${fmtBytes(r.size)}</span><span data-testid="replay-percent">${pct}%</span></div>
            <div style="padding:10px 12px 0">
              <div class="bar" role="progressbar" data-testid="replay-progress" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}><i style="width:${pct}%"></i></div>
            </div>
            <div class="row">
              <div><div class="k">Events</div><div class="big" data-testid="replay-events" data-value=${p?.events ?? 0}>${fmtCount(p?.events ?? 0)}</div></div>
              <div><div class="k">Alerts</div><div class="big" data-testid="replay-alerts" data-value=${p?.alerts ?? 0}>${fmtCount(p?.alerts ?? 0)}</div></div>
              <div><div class="k">Bad lines</div><div class="big" style=${p?.badLines ? 'color:var(--warn)' : ''}>${fmtCount(p?.badLines ?? 0)}</div></div>
              ${result ? html`<div><div class="k">Time</div><div class="big">${(result.ms / 1000).toFixed(2)} s</div></div>` : nothing}
              ${result
                ? html`<a style="margin-left:auto" href=${formatRoute({ view: 'alerts', params: { source: 'replay' } })}><button class="primary" data-testid="replay-show-alerts">Show the alerts</button></a>`
                : nothing}
            </div>
            ${result?.error ? html`<div class="problems" style="color:var(--err)">${result.error}</div>` : nothing}
            ${result?.problems.length ? html`<div class="problems">${result.problems.map((x) => html`<div>line ${x}</div>`)}</div>` : nothing}
          </section>`
        : nothing}
      ${byRule.length
        ? html`<section class="panel">
            <div class="panel-head"><span class="grow">Alerts per rule</span></div>
            <table class="grid" data-testid="replay-by-rule">
              <thead><tr><th>Rule</th><th class="num">Alerts</th></tr></thead>
              <tbody>
                ${byRule.map(
                  ([rule, n]) => html`<tr>
                    <td><a style="color:inherit" href=${formatRoute({ view: 'alerts', params: { source: 'replay', rule } })}>${rule}</a></td>
                    <td class="num">${fmtCount(n)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </section>`
        : result
          ? html`<div class="empty">No alerts: the rules found nothing in this file.</div>`
          : nothing}
      ${!r ? html`<div class="empty">Make a file with <span class="mono">vigil simulate network --count 20000 --error-probability 0.01 &gt; events.jsonl</span>.</div>` : nothing}
    `;
  }
}

customElements.define('vigil-replay-view', ReplayView);
