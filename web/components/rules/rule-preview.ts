/**
 * The rule preview panel (under the editor): choose a sample — pasted events, the last minutes of
 * the live stream (the worker's ring buffer) or a JSON-lines file —, run the draft over it in a
 * throwaway engine, and see the alerts it would raise, each event's path through it and the cost.
 * Apply is here: only a draft previewed as it is now can be applied.
 *
 * Events: `preview-run` (detail: PreviewSample), `preview-apply`.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { PreviewResult, PreviewRingInfo, PreviewSample, PreviewStep } from '../../../src/runtime/worker/protocol.js';
import { alertSummary, fmtCount } from '../../lib/format.js';
import { baseStyles } from '../shared/styles.js';

type Source = 'events' | 'live' | 'file';

export class RulePreview extends LitElement {
  static override properties = {
    result: { attribute: false },
    running: { type: Boolean },
    stale: { type: Boolean },
    applying: { type: Boolean },
    ring: { attribute: false },
    source: { state: true },
    sampleText: { state: true },
    minutes: { state: true },
    file: { state: true },
    showPath: { state: true },
  };

  declare result: PreviewResult | undefined;
  declare running: boolean;
  /** The draft changed since `result`: it must be previewed again before Apply. */
  declare stale: boolean;
  declare applying: boolean;
  declare ring: PreviewRingInfo | undefined;
  declare source: Source;
  declare sampleText: string;
  declare minutes: number;
  declare file: File | undefined;
  declare showPath: boolean;

  constructor() {
    super();
    this.running = false;
    this.stale = false;
    this.applying = false;
    this.source = 'events';
    this.sampleText = '';
    this.minutes = 5;
    this.showPath = true;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        border-top: 1px solid var(--line);
        font-size: var(--fs-small);
      }
      .bar {
        display: flex;
        align-items: center;
        gap: 6px;
        padding: 6px 8px;
        flex-wrap: wrap;
        border-bottom: 1px solid var(--line);
        flex: none;
      }
      .bar .grow {
        flex: 1;
      }
      .seg button {
        border-radius: 0;
      }
      .seg button:first-child {
        border-radius: var(--radius) 0 0 var(--radius);
      }
      .seg button:last-child {
        border-radius: 0 var(--radius) var(--radius) 0;
      }
      .sample {
        padding: 6px 8px;
        flex: none;
      }
      textarea {
        width: 100%;
        height: 64px;
        font: 12px/1.4 var(--font-mono);
        resize: vertical;
        box-sizing: border-box;
      }
      .body {
        flex: 1;
        overflow: auto;
        min-height: 0;
        padding: 6px 8px;
      }
      .summary {
        margin-bottom: 6px;
        color: var(--fg-dim);
      }
      .summary b {
        color: var(--fg);
      }
      .stale {
        color: var(--warn);
      }
      .err {
        color: var(--err);
      }
      h4 {
        margin: 8px 0 4px;
        font-size: var(--fs-small);
        color: var(--fg-dim);
        text-transform: uppercase;
        letter-spacing: 0.05em;
      }
      table {
        border-collapse: collapse;
        width: 100%;
      }
      td,
      th {
        text-align: left;
        padding: 2px 6px;
        border-bottom: 1px solid var(--line);
        vertical-align: top;
        white-space: nowrap;
      }
      th {
        color: var(--fg-dim);
        font-weight: 500;
      }
      td.ev {
        font-family: var(--font-mono);
        max-width: 360px;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .yes {
        color: var(--ok, #3fb950);
      }
      .no {
        color: var(--fg-faint);
      }
      .bad {
        color: var(--err);
      }
      .alert {
        font-family: var(--font-mono);
        padding: 2px 0;
        border-bottom: 1px solid var(--line);
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
    `,
  ];

  run(): void {
    let sample: PreviewSample;
    if (this.source === 'live') sample = { kind: 'live', minutes: this.minutes };
    else if (this.source === 'file') {
      if (!this.file) return;
      sample = { kind: 'file', file: this.file, name: this.file.name };
    } else sample = { kind: 'events', text: this.sampleText };
    this.dispatchEvent(new CustomEvent('preview-run', { detail: sample, bubbles: true, composed: true }));
  }

  /** Sets the pasted sample (and switches to it). */
  setSample(text: string): void {
    this.source = 'events';
    this.sampleText = text;
  }

  override render() {
    const r = this.result;
    const canApply = !!r && r.ok && !this.stale && !this.running && !this.applying;
    return html`
      <div class="bar">
        <b>Preview</b>
        <span class="seg" role="tablist" aria-label="Sample">
          ${(['events', 'live', 'file'] as const).map(
            (s) => html`<button
              role="tab"
              data-testid="preview-source-${s}"
              aria-selected=${this.source === s ? 'true' : 'false'}
              class=${this.source === s ? 'primary' : ''}
              @click=${() => (this.source = s)}
            >
              ${s === 'events' ? 'Pasted events' : s === 'live' ? 'Live stream' : 'File'}
            </button>`,
          )}
        </span>
        <span class="grow"></span>
        <button data-testid="preview-run" ?disabled=${this.running} @click=${this.run} title="Run the draft over the sample (Ctrl+Enter)">
          ${this.running ? 'Running…' : '▶ Preview'}
        </button>
        <button class="primary" data-testid="apply" ?disabled=${!canApply} @click=${() => this.dispatchEvent(new CustomEvent('preview-apply'))}
          title=${canApply ? 'Apply the previewed draft to the live engine' : 'Preview the draft as it is now first'}>
          Apply
        </button>
      </div>
      <div class="sample">
        ${this.source === 'events'
          ? html`<textarea
              data-testid="preview-sample"
              spellcheck="false"
              placeholder='One JSON event, a JSON array, or JSON lines: {"kind":"auth","outcome":"failure","user":"root"}'
              .value=${this.sampleText}
              @input=${(e: Event) => (this.sampleText = (e.target as HTMLTextAreaElement).value)}
            ></textarea>`
          : this.source === 'live'
            ? html`<label
                >The last
                <input type="number" min="1" max=${this.ring?.minutes ?? 5} style="width:56px" data-testid="preview-minutes" .value=${String(this.minutes)}
                  @change=${(e: Event) => (this.minutes = Math.max(1, Number((e.target as HTMLInputElement).value) || 1))} />
                minutes of the live stream</label
              >
              ${this.ring
                ? html`<span data-testid="preview-ring" style="color:var(--fg-dim)">
                    · the worker keeps ${fmtCount(this.ring.events)} events (~${(this.ring.bytes / 1048576).toFixed(1)} MiB; at most ${this.ring.minutes} min,
                    ${fmtCount(this.ring.maxEvents)} events, ${(this.ring.maxBytes / 1048576).toFixed(0)} MiB)</span
                  >`
                : nothing}
              <button class="ghost" data-testid="preview-ring-save" title="Save these events as a JSON-lines file"
                @click=${() => this.dispatchEvent(new CustomEvent('preview-ring-save', { detail: this.minutes }))}>⤓ Save as JSONL</button>`
            : html`<input type="file" accept=".jsonl,.json,.ndjson,.gz,.log,.txt" data-testid="preview-file"
                @change=${(e: Event) => (this.file = (e.target as HTMLInputElement).files?.[0])} />`}
      </div>
      <div class="body" data-testid="preview-body">${r ? this.renderResult(r) : html`<div class="summary">Run the draft over a sample to see the alerts it would raise before applying it.</div>`}</div>
    `;
  }

  private renderResult(r: PreviewResult) {
    const staleNote = this.stale ? html`<div class="stale" data-testid="preview-stale">The draft changed since this preview: run it again to apply.</div>` : nothing;
    if (r.error) return html`${staleNote}<div class="err" data-testid="preview-error">${r.error}</div>`;
    if (!r.ok) {
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      return html`${staleNote}<div class="err" data-testid="preview-error">Does not compile: ${errors.length} error${errors.length === 1 ? '' : 's'}</div>
        ${r.diagnostics.map((d) => html`<div data-testid="preview-diagnostic">${d.line}:${d.column} ${d.message}</div>`)}`;
    }
    return html`
      ${staleNote}
      <div class="summary" data-testid="preview-summary" data-alerts=${r.alertCount} data-events=${r.events}>
        <b data-testid="preview-alert-count">${fmtCount(r.alertCount)}</b> alert${r.alertCount === 1 ? '' : 's'} from
        <b>${fmtCount(r.events)}</b> events of the ${r.sample} (${r.language === 'sigma' ? 'Sigma' : 'VGL'}: ${r.rules.map((n) => `"${n}"`).join(', ')})
        · ${fmtCount(r.flushAlerts)} when the windows closed at the end
        ${r.rejected ? html`· <span class="err">${fmtCount(r.rejected)} rejected</span>` : nothing}
        · cost <b data-testid="preview-cost">${r.cost.totalMs.toFixed(0)} ms</b> (engine and rules ${r.cost.setupMs.toFixed(0)} ms, run ${r.cost.runMs.toFixed(1)} ms,
        ${fmtCount(Math.round(r.cost.eventsPerSecond))} events/s)
      </div>
      ${r.problems.length ? html`<div class="err">${r.problems.slice(0, 5).join(' · ')}</div>` : nothing}
      ${r.runtime.length
        ? html`<h4>Runtime diagnostics</h4>${r.runtime.slice(0, 10).map((d) => html`<div class="err" data-testid="preview-runtime">${d.code} ${d.rule ?? ''}: ${d.message}</div>`)}`
        : nothing}
      <h4>Compiled</h4>
      ${r.plans.map(
        (p) => html`<div data-testid="preview-plan" data-rule=${p.rule} data-kind=${p.kind}>
          <b>${p.rule}</b> · ${p.language === 'sigma' ? 'Sigma' : 'VGL'} · ${p.kind}
          ${p.functions.map((f) => html` · ${f.phase} ${f.mode}${f.reason ? html` <span class="no">(${f.reason})</span>` : nothing}`)}
          ${p.sigma
            ? html`<div class="no" data-testid="preview-plan-sigma">
                logsource ${JSON.stringify(p.sigma.logsource)} → routed by
                ${p.sigma.routing.length ? p.sigma.routing.map((s) => `${s.field} ∈ {${s.values.join(', ')}}`).join(' and ') : 'nothing (the pipeline has no mapping for this logsource)'}
                (pipeline ${p.sigma.pipeline})${p.sigma.equalities.length ? html`; index equalities ${p.sigma.equalities.map((e) => `${e.field} = ${e.values.join('|')}${e.caseInsensitive ? ' (any case)' : ''}`).join(', ')}` : nothing}${p.sigma.filters.length ? html`; filters ${p.sigma.filters.join(', ')}` : nothing}
              </div>`
            : nothing}
        </div>`,
      )}
      <h4>Per rule</h4>
      <table>
        <tr><th>Rule</th><th>Routed</th><th>Passed FILTER / IOC</th><th>Alerts</th><th>Late</th><th>Errors</th></tr>
        ${Object.entries(r.stats).map(
          ([n, s]) => html`<tr data-testid="preview-rule" data-rule=${n}>
            <td>${n}</td><td>${fmtCount(s.routed)}</td><td>${fmtCount(s.matched)}</td><td>${fmtCount(s.alerts)}</td><td>${fmtCount(s.late)}</td><td>${fmtCount(s.errors)}</td>
          </tr>`,
        )}
      </table>
      <h4>Alerts${r.alerts.length < r.alertCount ? ` (first ${fmtCount(r.alerts.length)})` : ''}</h4>
      ${r.alerts.length ? r.alerts.map((a) => html`<div class="alert" data-testid="preview-alert" data-rule=${a.alert.rule} title=${JSON.stringify(a.alert)}><b>${a.alert.rule}</b> ${alertSummary(a.alert)}</div>`) : html`<div class="no">none</div>`}
      <h4>
        <label><input type="checkbox" .checked=${this.showPath} @change=${(e: Event) => (this.showPath = (e.target as HTMLInputElement).checked)} /> Path of each event</label>
        ${r.path.length < r.events ? html`(the first ${fmtCount(r.path.length)})` : nothing}
      </h4>
      ${this.showPath ? this.renderPath(r.path) : nothing}
    `;
  }

  private renderPath(path: PreviewStep[]) {
    return html`<table data-testid="preview-path">
      <tr><th>#</th><th>Event</th><th>Path</th></tr>
      ${path.map(
        (step) => html`<tr data-testid="preview-step" data-index=${step.index}>
          <td>${step.index + 1}</td>
          <td class="ev" title=${step.summary}>${step.summary}</td>
          <td>${step.rules.map(
            (s) => html`<div data-rule=${s.rule} data-routed=${s.routed} data-passed=${s.passed} data-alerts=${s.alerts}>
              ${step.rules.length > 1 ? html`<b>${s.rule}</b>: ` : nothing}
              <span class=${s.routed ? 'yes' : 'no'}>${s.routed ? 'routed' : 'not routed'}</span>
              ${s.routed && s.iocs
                ? html`→ ${s.iocs.map(
                    (t) => html`<span data-testid="preview-ioc" data-holds=${t.holds} class=${t.holds ? 'yes' : 'no'}
                      >${t.negated ? 'not in' : 'in'} ${t.list}(${t.field}=${t.value ?? '—'}) ${t.inList ? 'hit' : 'miss'}</span
                    > `,
                  )}`
                : nothing}
              ${s.routed
                ? html`→ <span class=${s.passed ? 'yes' : 'no'}
                    >${s.passed ? 'passed' : s.iocs && s.iocs.every((t) => t.holds) ? 'dropped by FILTER' : s.iocs ? 'dropped by IOC FILTERS' : s.ioc ? 'dropped by FILTER or IOC' : 'dropped by FILTER'}</span
                  >`
                : nothing}
              ${s.passed && s.kind === 'aggregation'
                ? s.window
                  ? html`→ key <span data-testid="preview-window-key">${JSON.stringify(s.window.key)}</span>, window${s.window.starts.length === 1 ? '' : 's'}
                      <span data-testid="preview-window" data-starts=${s.window.starts.join(',')}>${s.window.starts
                        .map((st) => `${new Date(st).toISOString().slice(11, 19)}–${new Date(st + s.window!.lengthMs).toISOString().slice(11, 19)}`)
                        .join(', ')}</span>${s.window.byEventTime ? '' : ' (processing time)'}`
                  : html`→ into its window`
                : nothing}
              ${s.machine
                ? html`→ key ${JSON.stringify(s.machine.key)} <span class=${s.machine.valid ? 'yes' : 'bad'}>${s.machine.from} → ${s.machine.valid ? s.machine.to : 'invalid'}</span>`
                : nothing}
              ${s.alerts ? html`→ <b class="bad">${s.alerts} alert${s.alerts === 1 ? '' : 's'}</b>` : nothing}
              ${s.errors ? html`<span class="bad"> · ${s.errors} error${s.errors === 1 ? '' : 's'}</span>` : nothing}
            </div>`,
          )}</td>
        </tr>`,
      )}
    </table>`;
  }
}

customElements.define('vigil-rule-preview', RulePreview);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-rule-preview': RulePreview;
  }
}
