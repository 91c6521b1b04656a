/**
 * The state-machine debugger (#/debugger/<rule>?key=<key>): a STATE MACHINE rule as a live graph
 * (keys per state, transition rates), and the trail of one key along its edges — invalid events in
 * red — with a scrubber over its recent steps. The stream can be paused and stepped one event at a
 * time. Keys come from typing one, from the keys that alerted, or from an alert (Alerts view).
 */
import { LitElement, css, html, nothing } from 'lit';
import type { MachineSnapshot, MachineTrail, TrailStep } from '../../../src/runtime/worker/protocol.js';
import { fmtAgo, fmtBytes, fmtCount, fmtTime } from '../../lib/format.js';
import { formatRoute, type Route } from '../../lib/router.js';
import { inHiddenView, WhenShown } from '../../lib/view-visibility.js';
import { StoreController } from '../../state/controller.js';
import '../shared/json-view.js';
import { baseStyles } from '../shared/styles.js';
import './machine-graph.js';

const POLL_MS = 1000;

export class DebuggerView extends LitElement {
  static override properties = {
    route: { attribute: false },
    machines: { state: true },
    snapshot: { state: true },
    trail: { state: true },
    cursor: { state: true },
    live: { state: true },
    keyDraft: { state: true },
    stepping: { state: true },
    error: { state: true },
  };

  declare route: Route;
  declare machines: string[] | undefined;
  declare snapshot: MachineSnapshot | undefined;
  declare trail: MachineTrail | undefined;
  declare cursor: number;
  /** The cursor follows the newest step. */
  declare live: boolean;
  declare keyDraft: string;
  declare stepping: boolean;
  declare error: string;
  private readonly data = new StoreController(this, ['metrics', 'rules']);
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Hidden, the view does not poll; shown again, it polls at once. */
  private readonly whenShown = new WhenShown(this, () => void this.poll());
  private polling = false;

  constructor() {
    super();
    this.cursor = -1;
    this.live = true;
    this.keyDraft = '';
    this.stepping = false;
    this.error = '';
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: grid;
        grid-template-columns: minmax(0, 1fr) 400px;
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
        flex-wrap: wrap;
      }
      .stats {
        margin-left: auto;
        display: flex;
        gap: 14px;
        font-size: var(--fs-small);
        color: var(--fg-dim);
        font-variant-numeric: tabular-nums;
      }
      .stats b {
        color: var(--fg);
        font-family: var(--font-mono);
        font-weight: 500;
      }
      .panel {
        display: flex;
        flex-direction: column;
        overflow: hidden;
        min-height: 0;
      }
      vigil-machine-graph {
        flex: 1;
      }
      .side {
        gap: 0;
      }
      .section {
        padding: 8px 10px;
        border-bottom: 1px solid var(--line);
      }
      .keyform {
        display: flex;
        gap: 6px;
      }
      .keyform input {
        flex: 1;
        font-family: var(--font-mono);
      }
      .chips {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
        margin-top: 6px;
        max-height: 76px;
        overflow: auto;
      }
      .chip {
        font: 11px var(--font-mono);
        padding: 1px 6px;
        height: auto;
      }
      .chip.bad {
        border-color: rgba(255, 92, 92, 0.5);
        color: #ffb0b0;
      }
      .label {
        font-size: 11px;
        color: var(--fg-dim);
        text-transform: uppercase;
        letter-spacing: 0.06em;
        margin-top: 8px;
      }
      .scrub {
        display: flex;
        align-items: center;
        gap: 6px;
      }
      .scrub input[type='range'] {
        flex: 1;
      }
      .steps {
        flex: 1;
        overflow: auto;
        min-height: 0;
      }
      .step {
        display: grid;
        grid-template-columns: 70px 1fr auto;
        gap: 6px;
        padding: 3px 10px;
        font: 12px var(--font-mono);
        cursor: pointer;
        border-left: 3px solid transparent;
      }
      .step:hover {
        background: var(--bg-3);
      }
      .step.sel {
        background: rgba(74, 163, 255, 0.12);
        border-left-color: var(--accent);
      }
      .step.bad {
        color: var(--err);
      }
      .step .t {
        color: var(--fg-faint);
      }
      .detail {
        max-height: 34%;
        overflow: auto;
        border-top: 1px solid var(--line);
      }
      .state-now {
        font-family: var(--font-mono);
        color: var(--accent);
      }
      /* A tablet in landscape keeps the side panel, narrower; in portrait and on phones the graph
         and the trail stack, each tall enough to use with a finger. */
      @media (max-width: 1100px) {
        :host {
          grid-template-columns: minmax(0, 1fr) 320px;
        }
      }
      @media (max-width: 799.98px) {
        :host {
          grid-template-columns: minmax(0, 1fr);
          /* The graph is wider than tall: ~60 % of the width is room enough, and leaves the trail
             in sight on a tablet in portrait (60vh left it a screen below, under empty space). */
          grid-template-rows: auto clamp(280px, 60vw, 60vh) auto;
          height: auto;
        }
        .side {
          height: 70vh;
          min-height: 420px;
        }
        .stats {
          margin-left: 0;
          flex-wrap: wrap;
        }
        .toolbar > * {
          min-width: 0;
          max-width: 100%;
        }
        .step {
          padding: 6px 10px;
        }
        .panel-head {
          height: auto;
          min-height: 32px;
          padding: 4px 10px;
        }
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    void this.poll();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  private get rule(): string | undefined {
    return this.route?.item ?? this.machines?.[0];
  }

  private get key(): string {
    return this.route?.params.key ?? '';
  }

  private go(params: { rule?: string; key?: string }): void {
    const rule = params.rule ?? this.rule;
    const key = params.key ?? this.key;
    location.hash = formatRoute({ view: 'debugger', item: rule, params: { key } });
    this.live = true;
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('route')) {
      const prev = changed.get('route') as Route | undefined;
      if (prev && (prev.item !== this.route.item || prev.params.key !== this.route.params.key)) {
        this.trail = undefined;
        this.cursor = -1;
        this.keyDraft = this.key;
        void this.poll();
      }
    }
  }

  override firstUpdated(): void {
    this.keyDraft = this.key;
  }

  private async poll(): Promise<void> {
    const store = this.data.store;
    if (store.status !== 'ready' || this.polling || inHiddenView(this)) return;
    this.polling = true;
    try {
      this.machines = await store.api.machineRules();
      const rule = this.rule;
      if (!rule || !this.machines.includes(rule)) {
        this.snapshot = undefined;
        return;
      }
      this.snapshot = await store.api.machineSnapshot(rule);
      if (this.key) {
        const trail = await store.api.machineTrail(rule, this.key);
        if (!trail.watched) await store.api.watchKey(rule, this.key, true);
        this.setTrail(trail);
      } else this.trail = undefined;
      this.error = '';
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.polling = false;
    }
  }

  private setTrail(trail: MachineTrail): void {
    this.trail = trail;
    if (this.live || this.cursor >= trail.steps.length) this.cursor = trail.steps.length - 1;
  }

  private async toggleStream(): Promise<void> {
    const store = this.data.store;
    const running = store.metrics?.simulator.running;
    await store.run(() => (running ? store.api.stopSimulator() : store.api.startSimulator()));
  }

  private async step(): Promise<void> {
    const rule = this.rule;
    if (!rule || this.stepping) return;
    const store = this.data.store;
    this.stepping = true;
    try {
      const result = await store.run(() => store.api.stepMachine(rule, this.key ? { key: this.key } : {}));
      if (!result) return;
      if (!result.step) {
        store.toast('info', `No event reached ${this.key ? `key ${this.key}` : `"${rule}"`} within ${fmtCount(result.events)} generated events.`);
      } else if (!this.key && result.key) {
        this.go({ key: result.key });
      }
      this.live = true;
      await this.poll();
    } finally {
      this.stepping = false;
    }
  }

  private scrub(to: number): void {
    const n = this.trail?.steps.length ?? 0;
    this.cursor = Math.max(0, Math.min(n - 1, to));
    this.live = this.cursor === n - 1;
  }

  /** When the engine state was last saved (IndexedDB), and whether this load restored it. */
  private checkpointInfo() {
    const store = this.data.store;
    const cp = store.metrics?.checkpoint;
    const restored = store.ready?.checkpoint?.restored;
    const title = restored
      ? 'Open windows and state machines were restored from the checkpoint saved before the last reload'
      : store.ready?.checkpoint?.reason
        ? `Not restored at load: ${store.ready.checkpoint.reason}`
        : 'The worker saves the engine state every 10 s and when the page is hidden';
    return html`<span data-testid="checkpoint-info" data-time=${cp?.time ?? 0} data-restored=${String(!!restored)} title=${title}>
      ${cp ? html`checkpoint <b>${fmtAgo(cp.time)}</b> · ${fmtBytes(cp.bytes)}` : 'no checkpoint yet'}${restored ? html` · <span style="color:var(--ok)">restored at load</span>` : nothing}${store.metrics?.checkpointPaused
        ? html` · <span style="color:var(--warn)" data-testid="checkpoint-paused">paused: windows too full</span>`
        : nothing}
    </span>`;
  }

  override render() {
    const store = this.data.store;
    const machines = this.machines;
    const s = this.snapshot;
    const running = store.metrics?.simulator.running ?? false;
    if (machines && machines.length === 0) {
      return html`<div class="empty" style="grid-column:1/-1" data-testid="debugger-empty">
        No STATE MACHINE rule. Add one in <a href="#/rules" style="color:var(--accent)">Rules</a> (see rules/network-protocol.vgl).
      </div>`;
    }
    const steps = this.trail?.steps ?? [];
    const selected: TrailStep | undefined = steps[this.cursor];
    return html`
      <div class="toolbar">
        <select data-testid="debugger-rule" aria-label="State machine rule" @change=${(e: Event) => this.go({ rule: (e.target as HTMLSelectElement).value, key: '' })}>
          ${(machines ?? []).map((m) => html`<option value=${m} ?selected=${m === this.rule}>${m}</option>`)}
        </select>
        <button data-testid="debugger-stream" @click=${() => this.toggleStream()} title="Pause or resume the simulator's stream">${running ? '❚❚ Pause stream' : '▶ Resume stream'}</button>
        <button data-testid="debugger-step" ?disabled=${this.stepping} @click=${() => this.step()} title="Pause the stream and feed one event to the machine (of the followed key, if any)">Step ›</button>
        <span class="stats" data-testid="debugger-stats">
          ${s
            ? html`<span><b data-testid="live-keys">${fmtCount(s.liveKeys)}</b> live keys</span>
                <span><b>${fmtCount(Math.round(s.byteSize / 1024))}</b> KiB</span>
                <span><b>${fmtCount(s.steps)}</b> steps</span>
                <span><b style=${s.invalidSteps ? 'color:var(--err)' : ''}>${fmtCount(s.invalidSteps)}</b> invalid</span>`
            : html`<span>${this.error || 'loading…'}</span>`}
          ${this.checkpointInfo()}
        </span>
      </div>
      <section class="panel" aria-label="State machine">
        <div class="panel-head"><span class="grow">${this.rule ?? ''} · keys per state, transitions per second (last 10 s)</span></div>
        <vigil-machine-graph .snapshot=${s} .trail=${steps} .cursor=${this.key ? this.cursor : -1}></vigil-machine-graph>
      </section>
      <section class="panel side" aria-label="Key trail">
        <div class="section">
          <form
            class="keyform"
            @submit=${(e: Event) => {
              e.preventDefault();
              this.go({ key: this.keyDraft.trim() });
            }}
          >
            <input data-testid="debugger-key" placeholder=${`Follow a key (${s?.definition.keyFields.join(', ') ?? 'key'})`} .value=${this.keyDraft} @input=${(e: Event) => (this.keyDraft = (e.target as HTMLInputElement).value)} />
            <button type="submit">Follow</button>
            ${this.key ? html`<button type="button" @click=${() => this.go({ key: '' })} title="Stop following">✕</button>` : nothing}
          </form>
          ${s?.alertedKeys.length
            ? html`<div class="label">Keys with invalid transitions</div>
                <div class="chips" data-testid="alerted-keys">${s.alertedKeys.slice(0, 24).map((k) => html`<button class="chip bad" @click=${() => this.go({ key: k })}>${k}</button>`)}</div>`
            : nothing}
          ${s && !this.key && s.recentKeys.length
            ? html`<div class="label">Recently active</div>
                <div class="chips">${s.recentKeys.slice(0, 12).map((k) => html`<button class="chip" @click=${() => this.go({ key: k })}>${k}</button>`)}</div>`
            : nothing}
        </div>
        ${this.key
          ? html`<div class="section">
                <div>Key <b class="mono">${this.key}</b> is in <span class="state-now" data-testid="key-state">${this.trail?.state ?? '…'}</span> now.</div>
                <div class="scrub" style="margin-top:6px">
                  <button title="Previous step" @click=${() => this.scrub(this.cursor - 1)} ?disabled=${this.cursor <= 0}>◀</button>
                  <input type="range" data-testid="trail-scrub" aria-label="Step of the trail" min="0" max=${Math.max(0, steps.length - 1)} .value=${String(Math.max(0, this.cursor))} @input=${(e: Event) => this.scrub(Number((e.target as HTMLInputElement).value))} />
                  <button title="Next step" @click=${() => this.scrub(this.cursor + 1)} ?disabled=${this.cursor >= steps.length - 1}>▶</button>
                  <button title="Follow the newest step" class=${this.live ? 'primary' : ''} @click=${() => this.scrub(steps.length - 1)}>Live</button>
                </div>
                <div class="dim" style="font-size:var(--fs-small);margin-top:4px">${steps.length ? `step ${this.cursor + 1} of ${steps.length} kept` : 'No steps seen for this key yet (the worker keeps the last steps of recently active, alerted and followed keys).'}</div>
              </div>
              <div class="steps" data-testid="trail-steps">
                ${steps.map(
                  (st, i) => html`<div class="step ${st.valid ? '' : 'bad'} ${i === this.cursor ? 'sel' : ''}" data-testid="trail-step" data-valid=${String(st.valid)} @click=${() => this.scrub(i)}>
                    <span class="t">${fmtTime(st.time)}</span>
                    <span>${st.from} ─${st.event}→ ${st.valid ? st.to : '✕ invalid'}</span>
                    <span class="dim">#${st.seq}</span>
                  </div>`,
                )}
              </div>
              ${selected ? html`<div class="detail"><vigil-json .value=${selected.data}></vigil-json></div>` : nothing}`
          : html`<div class="empty">Follow a key to see its trail: type one, pick a key that alerted, or open a state-machine alert from the Alerts view.</div>`}
      </section>
    `;
  }
}

customElements.define('vigil-debugger-view', DebuggerView);
