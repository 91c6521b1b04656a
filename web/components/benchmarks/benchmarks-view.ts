/**
 * Benchmarks (#/benchmarks): the measuring code of src/bench run in the engine worker at small
 * sizes (the engine pauses meanwhile), each result as a table and a d3 bar chart of throughput per
 * contender. A build without the benchmark modules says so — no made-up numbers.
 */
import { proxy } from 'comlink';
import { format, scaleLinear } from 'd3';
import { LitElement, css, html, nothing } from 'lit';
import type { BenchmarkInfo, BenchmarkResult } from '../../../src/runtime/worker/protocol.js';
import { StoreController } from '../../state/controller.js';
import { baseStyles } from '../shared/styles.js';

const fmtBig = format(',.0f');
const fmtSmall = format('.3~r');
const fmtNum = (n: number): string => (Math.abs(n) >= 1000 ? fmtBig(n) : fmtSmall(n));

/** The column a bar chart shows: the first throughput column (…/s), else the first numeric one. */
export function chartColumn(result: Pick<BenchmarkResult, 'columns' | 'rows'>): string | undefined {
  const numeric = result.columns.filter((c) => result.rows.length && result.rows.every((r) => typeof r[c] === 'number'));
  return numeric.find((c) => c.endsWith('/s')) ?? numeric[0];
}

export class BenchmarksView extends LitElement {
  static override properties = {
    available: { state: true },
    unavailable: { state: true },
    results: { state: true },
    running: { state: true },
    progress: { state: true },
  };

  declare available: BenchmarkInfo[] | undefined;
  declare unavailable: string;
  declare results: Record<string, BenchmarkResult>;
  declare running: string;
  declare progress: string;
  private readonly data = new StoreController(this, []);

  constructor() {
    super();
    this.unavailable = '';
    this.results = {};
    this.running = '';
    this.progress = '';
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
      @media (max-width: 799.98px) {
        :host {
          height: auto;
          overflow: visible;
        }
      }
      .card {
        /* A flex column would shrink the cards to the view's height once results make them tall. */
        flex: none;
        padding: 0 0 10px;
      }
      .card .panel-head {
        height: auto;
        min-height: 32px;
        padding: 3px 10px;
      }
      .card .panel-head .grow {
        min-width: 0;
      }
      .desc {
        padding: 8px 12px;
        color: var(--fg-dim);
      }
      .body {
        display: grid;
        grid-template-columns: minmax(0, 1.2fr) minmax(0, 1fr);
        gap: 12px;
        padding: 0 12px;
        align-items: start;
      }
      /* The table keeps its numbers whole and scrolls sideways inside its own box when narrow. */
      .table-box {
        overflow-x: auto;
        min-width: 0;
      }
      table.grid {
        table-layout: auto;
      }
      table.grid td {
        white-space: normal;
        max-width: none;
        overflow: visible;
      }
      table.grid td.num {
        white-space: nowrap;
      }
      /* Bars as a grid: labels get their own column (cut with an ellipsis, full text on hover),
         so they never run into the bars at any width. */
      .bars {
        display: grid;
        grid-template-columns: minmax(0, max-content) minmax(60px, 1fr) max-content;
        gap: 4px 8px;
        align-items: center;
        font-size: 12px;
      }
      .bars .title {
        grid-column: 1 / -1;
        font: 11px var(--font-mono);
        color: var(--fg-dim);
      }
      .bar-label {
        max-width: 22em;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        text-align: right;
      }
      .bar-track {
        height: 16px;
      }
      .bar-track i {
        display: block;
        height: 100%;
        min-width: 1px;
        border-radius: 2px;
        background: #6b7a8f;
      }
      .bar-track i.ours {
        background: var(--accent);
      }
      @media (max-width: 1100px) {
        .body {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      .notes {
        padding: 6px 12px 0;
        font-size: var(--fs-small);
        color: var(--fg-dim);
      }
      .bar-value {
        font: 11px var(--font-mono);
        color: var(--fg-dim);
        font-variant-numeric: tabular-nums;
      }
      .progress {
        color: var(--warn);
        font-size: var(--fs-small);
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    const store = this.data.store;
    if (store.status !== 'ready') {
      setTimeout(() => void this.load(), 300);
      return;
    }
    try {
      const { available, unavailable } = await store.api.benchmarks();
      this.available = available;
      this.unavailable = unavailable ?? '';
    } catch (error) {
      this.available = [];
      this.unavailable = error instanceof Error ? error.message : String(error);
    }
  }

  private async run(name: string): Promise<void> {
    const store = this.data.store;
    this.running = name;
    this.progress = 'starting…';
    const result = await store.run(() => store.api.runBenchmark(name, proxy((m: string) => (this.progress = m))));
    if (result) this.results = { ...this.results, [name]: result };
    this.running = '';
    this.progress = '';
  }

  private chart(result: BenchmarkResult) {
    const column = chartColumn(result);
    if (!column) return nothing;
    const labelColumn = result.columns[0]!;
    const rows = result.rows.map((r) => ({ label: String(r[labelColumn]), value: Number(r[column]) }));
    const x = scaleLinear().domain([0, Math.max(1, ...rows.map((r) => r.value))]).range([0, 100]);
    return html`<div class="bars" data-testid="bench-chart" role="img" aria-label=${`${column} per contender`}>
      <span class="title">${column}</span>
      ${rows.map(
        (r) => html`<span class="bar-label" title=${r.label}>${r.label}</span>
          <span class="bar-track"><i class=${r.label.toLowerCase().includes('vigil') ? 'ours' : ''} style=${`width:${x(r.value).toFixed(2)}%`}></i></span>
          <span class="bar-value">${fmtNum(r.value)}</span>`,
      )}
    </div>`;
  }

  override render() {
    if (!this.available) return html`<div class="empty">Looking for benchmarks…</div>`;
    if (!this.available.length) {
      return html`<div class="empty" data-testid="bench-empty">
        <b>Benchmarks are unavailable in this build.</b><br />${this.unavailable}<br /><br />Run them on Node with <span class="mono">npm run bench</span>.
      </div>`;
    }
    return html`
      <div class="dim" style="padding:2px 4px">Small sizes, run in the engine worker: the live engine pauses while one runs. Figures are medians of interleaved runs in this browser; <span class="mono">npm run bench</span> runs the full sizes on Node.</div>
      ${this.available.map((b) => {
        const result = this.results[b.name];
        return html`<section class="panel card" data-testid="bench-card" data-bench=${b.name}>
          <div class="panel-head">
            <span class="grow">${b.title}</span>
            ${this.running === b.name ? html`<span class="progress" data-testid="bench-progress">${this.progress}</span>` : nothing}
            <button class="primary" data-testid="bench-run" ?disabled=${!!this.running} @click=${() => this.run(b.name)}>${result ? 'Run again' : 'Run'}</button>
          </div>
          <div class="desc">${b.description}</div>
          ${result
            ? html`<div class="body">
                  <div class="table-box">
                    <table class="grid" data-testid="bench-table">
                      <thead><tr>${result.columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
                      <tbody>${result.rows.map((r) => html`<tr>${result.columns.map((c) => html`<td class=${typeof r[c] === 'number' ? 'num mono' : ''}>${typeof r[c] === 'number' ? fmtNum(r[c] as number) : r[c]}</td>`)}</tr>`)}</tbody>
                    </table>
                  </div>
                  <div>${this.chart(result)}</div>
                </div>
                <div class="notes">${result.notes.map((n) => html`<div>${n}</div>`)}<div>Took ${(result.ms / 1000).toFixed(1)} s.</div></div>`
            : nothing}
        </section>`;
      })}
    `;
  }
}

customElements.define('vigil-benchmarks-view', BenchmarksView);
