/** The Simulator view: generators and mix, rate, error probability, seed, pause/resume, inject, live precision/recall. */
import { LitElement, css, html, nothing } from 'lit';
import type { SimulatorGeneratorName, SimulatorSettings } from '../../../src/runtime/worker/protocol.js';
import { fmtCount, fmtDateTime, fmtPercent } from '../../lib/format.js';
import { StoreController } from '../../state/controller.js';
import '../quality/injected-keys.js';
import { baseStyles } from '../shared/styles.js';

const GENERATORS: { name: SimulatorGeneratorName; about: string }[] = [
  { name: 'bruteforce', about: 'logins, with password-guessing attacks on one user@server (truth: user@server)' },
  { name: 'noise', about: 'ordinary DNS, HTTP and successful logins; no anomalies' },
  { name: 'portscan', about: 'connections, with scans from one source over many ports/hosts (truth: source)' },
  { name: 'network', about: 'protocol sessions; invalid transitions are anomalies (for STATE MACHINE rules)' },
  { name: 'wave', about: 'traffic whose rate follows a wave: for watching windows and charts' },
  { name: 'flows', about: 'network flow records (ECS), with port scans, SSH brute force, UDP floods, external DNS (truth: source); see the Flows view' },
  { name: 'sysmon', about: 'Windows Sysmon process creations (evtx-json), with command lines SigmaHQ rules detect (truth: the command line)' },
];

export class SimulatorView extends LitElement {
  static override properties = { draft: { state: true }, busy: { state: true } };
  declare draft: SimulatorSettings | undefined;
  declare busy: boolean;
  private readonly data = new StoreController(this, ['metrics']);

  constructor() {
    super();
    this.busy = false;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: grid;
        grid-template-columns: minmax(380px, 1fr) minmax(0, 1.2fr);
        align-content: start;
        align-items: start;
        gap: 8px;
        padding: 8px;
        height: 100%;
        min-height: 0;
        overflow: auto;
      }
      .panel {
        display: flex;
        flex-direction: column;
      }
      .body {
        padding: 12px;
        display: flex;
        flex-direction: column;
        gap: 12px;
      }
      .side {
        display: flex;
        flex-direction: column;
        gap: 8px;
        min-width: 0;
      }
      .row {
        display: flex;
        align-items: center;
        gap: 10px;
      }
      .row label {
        width: 140px;
        flex: none;
        color: var(--fg-dim);
      }
      .row input[type='number'] {
        width: 110px;
      }
      .row input[type='range'] {
        flex: 1;
      }
      .gen {
        display: grid;
        grid-template-columns: 20px 100px 70px 1fr;
        gap: 8px;
        align-items: center;
        padding: 4px 0;
        border-bottom: 1px solid var(--line);
      }
      .gen input[type='number'] {
        width: 64px;
      }
      .gen .about {
        color: var(--fg-faint);
        font-size: var(--fs-small);
      }
      .gen.off .about,
      .gen.off .name {
        color: var(--fg-faint);
      }
      .big {
        display: grid;
        grid-template-columns: repeat(2, minmax(0, 1fr));
        gap: 8px;
      }
      .metric {
        background: var(--bg-2);
        border: 1px solid var(--line);
        border-radius: var(--radius);
        padding: 10px 12px;
      }
      .metric .k {
        font-size: 11px;
        color: var(--fg-dim);
        text-transform: uppercase;
        letter-spacing: 0.06em;
      }
      .metric .v {
        font: 600 28px/1.2 var(--font-mono);
        font-variant-numeric: tabular-nums;
      }
      .counts {
        display: grid;
        grid-template-columns: repeat(3, minmax(0, 1fr));
        gap: 8px;
        font-variant-numeric: tabular-nums;
      }
      .counts div {
        background: var(--bg-2);
        border: 1px solid var(--line);
        border-radius: var(--radius);
        padding: 6px 10px;
      }
      .counts b {
        display: block;
        font: 600 16px var(--font-mono);
      }
      .status {
        display: flex;
        align-items: center;
        gap: 10px;
      }
      .dot {
        width: 10px;
        height: 10px;
        border-radius: 50%;
        background: var(--fg-faint);
      }
      .dot.on {
        background: var(--ok);
        box-shadow: 0 0 8px var(--ok);
      }
      dl {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 4px 14px;
        margin: 0;
        font-variant-numeric: tabular-nums;
      }
      dt {
        color: var(--fg-dim);
      }
      dd {
        margin: 0;
      }
      .error {
        color: var(--err);
      }
      .note {
        color: var(--fg-faint);
        font-size: var(--fs-small);
      }
      @media (max-width: 799.98px) {
        :host {
          grid-template-columns: minmax(0, 1fr);
          height: auto;
          overflow: visible;
        }
        .row {
          flex-wrap: wrap;
        }
        .row label {
          width: 120px;
        }
        .gen {
          grid-template-columns: 20px minmax(70px, 100px) 70px minmax(0, 1fr);
        }
      }
      @media (max-width: 479.98px) {
        .gen .about {
          grid-column: 2 / -1;
        }
        .counts {
          grid-template-columns: repeat(2, minmax(0, 1fr));
        }
      }
    `,
  ];

  private get settings(): SimulatorSettings | undefined {
    return this.draft ?? this.data.store.metrics?.simulator.settings;
  }

  private edit(patch: Partial<SimulatorSettings>): void {
    const base = this.settings;
    if (!base) return;
    this.draft = { ...structuredClone(base), ...patch };
  }

  private toggleGenerator(name: SimulatorGeneratorName, on: boolean): void {
    const s = this.settings;
    if (!s) return;
    const mix = s.mix.filter((p) => p.generator !== name);
    if (on) mix.push({ generator: name, weight: 1 });
    this.edit({ mix: GENERATORS.map((g) => mix.find((p) => p.generator === g.name)).filter((p) => !!p) });
  }

  private setWeight(name: SimulatorGeneratorName, weight: number): void {
    const s = this.settings;
    if (!s) return;
    this.edit({ mix: s.mix.map((p) => (p.generator === name ? { ...p, weight } : p)) });
  }

  private async applySettings(): Promise<void> {
    const draft = this.draft;
    if (!draft) return;
    const store = this.data.store;
    this.busy = true;
    const ok = await store.run(() => store.api.configureSimulator(draft), 'Simulator settings applied');
    this.busy = false;
    if (ok) this.draft = undefined;
  }

  private async toggleRunning(): Promise<void> {
    const store = this.data.store;
    const running = store.metrics?.simulator.running;
    if (this.draft) await this.applySettings();
    await store.run(() => (running ? store.api.stopSimulator() : store.api.startSimulator()));
  }

  private async inject(): Promise<void> {
    const store = this.data.store;
    const n = Number((this.renderRoot.querySelector('input[name=inject]') as HTMLInputElement | null)?.value) || 1;
    await store.run(() => store.api.injectAnomaly(n), `Injecting ${n} anomal${n === 1 ? 'y' : 'ies'}`);
  }

  override render() {
    const store = this.data.store;
    const status = store.metrics?.simulator;
    const s = this.settings;
    if (!status || !s) return html`<div class="empty">Waiting for the engine…</div>`;
    const score = status.score;
    const dirty = this.draft !== undefined;
    return html`
      <section class="panel controls">
        <div class="panel-head"><span class="grow">Generators and traffic</span></div>
        <div class="body">
          ${status.available ? nothing : html`<div class="error">The simulator is not available: ${status.error ?? 'src/simulate could not be loaded'}.</div>`}
          <div class="status">
            <span class="dot ${status.running ? 'on' : ''}"></span>
            <b data-testid="sim-state">${status.running ? 'Running' : 'Paused'}</b>
            <span class="dim">${status.behind ? html`<span style="color:var(--warn)">engine behind: generator throttled</span>` : ''}</span>
            <span style="flex:1"></span>
            <button class=${status.running ? '' : 'primary'} data-testid="sim-toggle" ?disabled=${!status.available} @click=${this.toggleRunning}>
              ${status.running ? '❚❚ Pause' : '▶ Resume'}
            </button>
          </div>
          <div>
            ${GENERATORS.map((g) => {
              const part = s.mix.find((p) => p.generator === g.name);
              return html`<div class="gen ${part ? '' : 'off'}">
                <input type="checkbox" id=${`g-${g.name}`} .checked=${!!part} @change=${(e: Event) => this.toggleGenerator(g.name, (e.target as HTMLInputElement).checked)} />
                <label class="name mono" for=${`g-${g.name}`}>${g.name}</label>
                <input type="number" min="0.1" step="0.1" title="weight in the mix" ?disabled=${!part} .value=${String(part?.weight ?? 1)} @change=${(e: Event) => this.setWeight(g.name, Number((e.target as HTMLInputElement).value) || 1)} />
                <span class="about">${g.about}</span>
              </div>`;
            })}
          </div>
          <div class="row">
            <label for="rate">Rate (events/s)</label>
            <input id="rate" type="number" min="1" max="100000" .value=${String(s.rate)} @change=${(e: Event) => this.edit({ rate: Number((e.target as HTMLInputElement).value) })} />
            <input type="range" min="0" max="4" step="0.01" aria-label="rate (log scale)" .value=${String(Math.log10(s.rate))} @input=${(e: Event) => this.edit({ rate: Math.round(10 ** Number((e.target as HTMLInputElement).value)) })} />
          </div>
          <div class="row">
            <label for="errp" title="bruteforce, portscan: the fraction of events in attacks; network: invalid transitions">Error probability</label>
            <input id="errp" type="number" min="0" max="0.99" step="0.005" .value=${String(s.errorProbability)} @change=${(e: Event) => this.edit({ errorProbability: Number((e.target as HTMLInputElement).value) })} />
            <span class="note">attack fraction (bruteforce, portscan, flows) · invalid transitions (network)</span>
          </div>
          <div class="row">
            <label for="seed">Seed</label>
            <input id="seed" type="number" step="1" .value=${String(s.seed)} @change=${(e: Event) => this.edit({ seed: Math.trunc(Number((e.target as HTMLInputElement).value)) })} />
            <span class="note">same seed, same events</span>
          </div>
          <div class="row">
            <span style="flex:1" class="note">${dirty ? 'Changing generators, seed or error probability restarts the generated stream (rules and windows stay).' : ''}</span>
            <button ?disabled=${!dirty} @click=${() => (this.draft = undefined)}>Discard</button>
            <button class="primary" data-testid="sim-apply" ?disabled=${!dirty || this.busy} @click=${this.applySettings}>Apply settings</button>
          </div>
          <div class="row" style="border-top:1px solid var(--line);padding-top:12px">
            <label for="inject">Inject anomalies</label>
            <input id="inject" name="inject" type="number" min="1" max="100" value="1" />
            <button data-testid="sim-inject" ?disabled=${!status.available} @click=${this.inject}>⚡ Inject</button>
            <span class="note">${status.injected ? `${status.injected} pending` : ''}</span>
          </div>
          <vigil-injected-keys></vigil-injected-keys>
        </div>
      </section>
      <div class="side">
      <section class="panel">
        <div class="panel-head"><span class="grow">Detection quality (against the generator's ground truth)</span>
          <button class="ghost" data-testid="sim-reset-score" @click=${() => store.run(() => store.api.resetScore())} title="Start counting again">Reset</button>
        </div>
        <div class="body" data-testid="sim-score" data-score=${JSON.stringify(score ?? null)} data-event-time=${status.eventTime}>
          <div class="big">
            <div class="metric"><div class="k">Precision</div><div class="v" data-testid="sim-precision" style="color:var(--ok)">${fmtPercent(score?.precision)}</div></div>
            <div class="metric"><div class="k">Recall</div><div class="v" data-testid="sim-recall" style="color:var(--accent)">${fmtPercent(score?.recall)}</div></div>
          </div>
          <div class="counts">
            <div><span class="dim">True positives</span><b>${fmtCount(score?.truePositives ?? 0)}</b></div>
            <div><span class="dim">False positives</span><b style=${score?.falsePositives ? 'color:var(--warn)' : ''}>${fmtCount(score?.falsePositives ?? 0)}</b></div>
            <div><span class="dim">False negatives</span><b style=${score?.falseNegatives ? 'color:var(--warn)' : ''}>${fmtCount(score?.falseNegatives ?? 0)}</b></div>
          </div>
          <div class="note">Keys compared once each: user@server for bruteforce, the source address for portscan, network and flows (the attacker's source.ip). Anomalies still inside an open window count as missed until the window closes.</div>
        </div>
      </section>
      <section class="panel">
        <div class="panel-head"><span class="grow">Stream</span></div>
        <div class="body">
          <dl>
            <dt>Generated</dt><dd data-testid="sim-generated">${fmtCount(status.generated)} events</dd>
            <dt>Anomalous events</dt><dd>${fmtCount(status.anomalies)}</dd>
            <dt>Rejected by the engine</dt><dd>${fmtCount(status.rejected)}</dd>
            <dt>Event time</dt><dd class="mono">${fmtDateTime(status.eventTime)}</dd>
            <dt>Mix</dt><dd class="mono">${status.settings.mix.map((p) => `${p.generator}×${p.weight}`).join(' + ')} @ ${fmtCount(status.settings.rate)}/s, seed ${status.settings.seed}</dd>
          </dl>
          ${status.error && status.available ? html`<div class="error">${status.error}</div>` : nothing}
        </div>
      </section>
      </div>
    `;
  }
}

customElements.define('vigil-simulator-view', SimulatorView);
