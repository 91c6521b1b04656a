/**
 * `<vigil-detections>`: live detections of the Vigil engine in any page.
 *
 *   <vigil-detections source="simulator:bruteforce" theme="dark" max-alerts="50">
 *     <script type="text/vgl"> RULE "…" … </script>
 *   </vigil-detections>
 *
 * Attributes: `rules` (URL of a .vgl file; else the `<script type="text/vgl">` child, else the
 * element's text), `source` (`simulator:<generator>`, `ws(s)://…`, `http(s)://…` EventSource),
 * `theme` (`dark` | `light`; default: the viewer's preference), `max-alerts` (default 50),
 * `worker="off"` (run the engine in the page).
 *
 * Events: `vigil-alert` for every alert that reaches the page (detail: the alert, without its
 * contributing events: their count is `eventCount`; `event.backfill` is true for alerts the
 * simulator raised while replaying its warm-up minutes). The page receives at most
 * MAX_ALERTS_PER_BATCH (1000) alerts per update (one every 250 ms): when the engine raises more in
 * one interval, the rest are counted, not copied, and `vigil-alerts-omitted` (detail: `{ count }`)
 * says how many. The list shows the newest `max-alerts` of them.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { RuleInfo } from '../../src/engine/engine.js';
import type { Diagnostic } from '../../src/lang/diagnostic.js';
import type { SourceStatus, UpdateBatch, WidgetStarted } from '../../src/runtime/worker/protocol.js';
import { openHost, type HostChannel } from './channel.js';
import { clockTime, compactNumber, toSummary } from './format.js';
import type { AlertSummary, Counts } from './view.js';
import { styles } from './styles.js';

/** `vigil-alert`: one alert (detail), and whether the simulator raised it while backfilling. */
export class VigilAlertEvent extends CustomEvent<Record<string, unknown>> {
  constructor(
    alert: Record<string, unknown>,
    readonly backfill: boolean,
  ) {
    super('vigil-alert', { detail: alert, bubbles: true, composed: true });
  }
}

/**
 * The simulator starts its event time minutes in the past and catches up (web/widget/host.ts):
 * while its event time is this far behind the clock, what it raises is backfill, not live traffic.
 */
const BACKFILL_LAG_MS = 5000;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

type Phase = 'idle' | 'loading' | 'running' | 'rules-error' | 'fatal';

const DEFAULT_MAX_ALERTS = 50;
const MAX_MAX_ALERTS = 1000;
const EMPTY_COUNTS: Counts = { events: 0, alerts: 0, rules: [], rejected: 0, ruleErrors: 0 };

/** The URL of this module: the worker is started from it (set by index.ts). */
let moduleUrl = '';
export function setModuleUrl(url: string): void {
  moduleUrl = url;
}

export class VigilDetections extends LitElement {
  static override styles = styles;
  static override properties = {
    rules: { type: String },
    source: { type: String },
    theme: { type: String, reflect: true },
    maxAlerts: { type: Number, attribute: 'max-alerts' },
    worker: { type: String },
    phase: { state: true },
    alerts: { state: true },
    counts: { state: true },
    sourceStatus: { state: true },
    diagnostics: { state: true },
    message: { state: true },
    lastError: { state: true },
    where: { state: true },
  };

  declare rules: string | undefined;
  declare source: string | undefined;
  declare theme: string | undefined;
  declare maxAlerts: number | undefined;
  declare worker: string | undefined;
  declare phase: Phase;
  declare alerts: AlertSummary[];
  declare counts: Counts;
  declare sourceStatus: SourceStatus | undefined;
  declare diagnostics: Diagnostic[];
  declare message: string;
  declare lastError: string | undefined;
  declare where: string;

  private channel: HostChannel | undefined;
  private session = 0;
  private restartQueued = false;
  private observer: MutationObserver | undefined;
  private settled = false;
  /** The host's rules (order, deactivation reasons) as of `rulesVersion`. */
  private ruleInfo: RuleInfo[] = [];
  private rulesVersion = -1;
  private ruleErrors = 0;
  /** Batches are taken one after the other (one may wait for the rules). */
  private batches: Promise<void> = Promise.resolve();

  constructor() {
    super();
    this.phase = 'idle';
    this.alerts = [];
    this.counts = EMPTY_COUNTS;
    this.diagnostics = [];
    this.message = '';
    this.where = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Inline rules edited later (or added after the element was upgraded) restart the session.
    this.observer = new MutationObserver(() => {
      if (!this.getAttribute('rules')) this.queueRestart();
    });
    this.observer.observe(this, { childList: true, characterData: true, subtree: true });
    this.queueRestart();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.observer?.disconnect();
    this.stopSession();
  }

  protected override updated(changed: PropertyValues<this>): void {
    // The first update carries the initial attributes: connectedCallback starts that session.
    const restartOn = ['rules', 'source', 'maxAlerts', 'worker'] as const;
    if (this.settled && this.isConnected && restartOn.some((key) => changed.has(key))) this.queueRestart();
    this.settled = true;
  }

  /** Counts of the current session (events, alerts, per rule). */
  get stats(): Counts {
    return this.counts;
  }

  /** Restarts the engine: reads the rules again and reconnects the source. */
  restart(): void {
    this.queueRestart();
  }

  private get limit(): number {
    const n = Number(this.maxAlerts ?? DEFAULT_MAX_ALERTS);
    return Number.isFinite(n) && n >= 1 ? Math.min(Math.floor(n), MAX_MAX_ALERTS) : DEFAULT_MAX_ALERTS;
  }

  private queueRestart(): void {
    if (this.restartQueued) return;
    this.restartQueued = true;
    // After the current task: the parser may still be adding the element's children.
    setTimeout(() => {
      this.restartQueued = false;
      if (this.isConnected) void this.startSession();
    }, 0);
  }

  private stopSession(): void {
    this.session++;
    this.channel?.close();
    this.channel = undefined;
  }

  private async readRules(): Promise<{ text: string; file: string }> {
    const url = this.getAttribute('rules');
    if (url) {
      const resolved = new URL(url, document.baseURI);
      let response: Response;
      try {
        response = await fetch(resolved);
      } catch (error) {
        throw new Error(`cannot load the rules from ${resolved.href}: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!response.ok) throw new Error(`cannot load the rules from ${resolved.href}: HTTP ${response.status}`);
      return { text: await response.text(), file: resolved.pathname.split('/').pop() || 'rules.vgl' };
    }
    const script = this.querySelector('script[type="text/vgl"]');
    return { text: (script ?? this).textContent ?? '', file: 'inline.vgl' };
  }

  private async startSession(): Promise<void> {
    this.stopSession();
    const session = this.session;
    this.phase = 'loading';
    this.alerts = [];
    this.counts = EMPTY_COUNTS;
    this.diagnostics = [];
    this.sourceStatus = undefined;
    this.message = 'Loading rules…';
    let rules: { text: string; file: string };
    try {
      rules = await this.readRules();
    } catch (error) {
      if (session === this.session) this.fail(error instanceof Error ? error.message : String(error));
      return;
    }
    if (session !== this.session) return;
    if (!rules.text.trim()) {
      this.fail('No rules: set rules="rules.vgl" or put VGL inside the element (in a <script type="text/vgl">).');
      return;
    }
    const source = this.getAttribute('source')?.trim() ?? '';
    if (!source) {
      this.fail('No source: set source="simulator:bruteforce", a ws:// URL or an EventSource URL.');
      return;
    }
    this.message = 'Loading the engine…';
    // URLs are resolved against the page here; the worker's base is the module.
    let absolute = source;
    if (!/^simulator:/i.test(source)) {
      try {
        absolute = new URL(source, document.baseURI).href;
      } catch {
        // the host reports it
      }
    }
    const channel = openHost(moduleUrl, { worker: this.getAttribute('worker') !== 'off' });
    this.channel = channel;
    this.where = channel.where;
    this.ruleInfo = [];
    this.rulesVersion = -1;
    this.ruleErrors = 0;
    this.lastError = undefined;
    let started: WidgetStarted;
    try {
      started = await channel.start({ rules: rules.text, rulesFile: rules.file, source: absolute });
    } catch (error) {
      if (session === this.session) this.fail(error instanceof Error ? error.message : String(error));
      return;
    }
    if (session !== this.session) return;
    this.where = channel.where;
    switch (started.status) {
      case 'rules-error':
        this.phase = 'rules-error';
        this.diagnostics = started.diagnostics;
        this.stopSession();
        return;
      case 'fatal':
        this.fail(started.message);
        return;
      case 'ready':
        this.phase = 'running';
        this.message = '';
    }
    try {
      await channel.subscribe((batch) => {
        if (session !== this.session) return;
        this.batches = this.batches.then(() => this.onBatch(batch, session)).catch(() => {});
      });
    } catch (error) {
      if (session === this.session) this.fail(error instanceof Error ? error.message : String(error));
    }
  }

  private fail(message: string): void {
    this.phase = 'fatal';
    this.message = message;
    this.stopSession();
  }

  /** One update batch of the host: counts, the source's state, new alerts. */
  private async onBatch(batch: UpdateBatch, session: number): Promise<void> {
    const m = batch.metrics;
    if (m.rulesVersion !== this.rulesVersion && this.channel) {
      // The rules' order and deactivation reasons: fetched again when they change.
      this.rulesVersion = m.rulesVersion;
      const info = await this.channel.rules().catch(() => this.ruleInfo);
      if (session !== this.session) return;
      this.ruleInfo = info;
    }
    for (const d of batch.diagnostics) {
      if (d.code !== 'vigil.rule.error') continue;
      this.ruleErrors++;
      this.lastError = d.message;
    }
    const names = this.ruleInfo.length ? this.ruleInfo.map((r) => r.name) : Object.keys(m.engine.rules);
    const reasons = new Map(this.ruleInfo.map((r) => [r.name, r.deactivation?.reason]));
    this.counts = {
      events: m.engine.eventsIn,
      alerts: m.engine.alertsOut,
      rules: names
        .filter((name) => m.engine.rules[name])
        .map((name) => ({ name, alerts: m.engine.rules[name]!.alerts, state: m.engine.rules[name]!.state, reason: reasons.get(name) })),
      rejected: m.source?.rejected ?? 0,
      ruleErrors: this.ruleErrors,
    };
    this.sourceStatus = m.source;
    // Generated by the simulator while its event time is still catching up with the clock.
    const backfill = m.simulator.running && m.simulator.eventTime < m.time - BACKFILL_LAG_MS;
    // The list keeps the newest `max-alerts`; every alert of the batch is a DOM event.
    const alerts: AlertSummary[] = batch.alerts.map((e) => ({ ...toSummary(e.alert, e.id, e.at), backfill }));
    if (alerts.length) {
      this.alerts = alerts.slice(-this.limit).reverse().concat(this.alerts).slice(0, this.limit);
      for (const alert of alerts) this.dispatchEvent(new VigilAlertEvent(alert.fields, backfill));
    }
    if (batch.omittedAlerts > 0) {
      this.dispatchEvent(new CustomEvent('vigil-alerts-omitted', { detail: { count: batch.omittedAlerts }, bubbles: true, composed: true }));
    }
  }

  protected override render(): TemplateResult {
    const status = this.sourceStatus;
    const dotState = this.phase === 'running' ? (status?.state ?? 'connecting') : this.phase === 'loading' ? 'loading' : this.phase === 'idle' ? '' : 'error';
    const sourceText =
      this.phase === 'running' ? (status?.message ?? '') : this.phase === 'rules-error' ? 'rules have errors' : this.phase === 'fatal' ? 'stopped' : 'starting…';
    return html`
      <header part="header">
        <span class="dot ${dotState}" data-testid="status-dot" data-state=${dotState}></span>
        <span class="title">Vigil detections</span>
        <span class="source ${dotState === 'error' ? 'error' : ''}" data-testid="source" title=${sourceText}>${sourceText}</span>
      </header>
      ${this.renderBody()}
    `;
  }

  private renderBody(): TemplateResult {
    switch (this.phase) {
      case 'idle':
      case 'loading':
        return html`<div class="message" data-testid="loading"><span class="spinner"></span>${this.message}</div>`;
      case 'rules-error':
        return this.renderDiagnostics();
      case 'fatal':
        return html`<div class="message error" role="alert" data-testid="error"><strong>Vigil stopped</strong>${this.message}</div>`;
      case 'running':
        return this.renderRunning();
    }
  }

  private renderDiagnostics(): TemplateResult {
    const n = this.diagnostics.length;
    return html`
      <div class="message error" role="alert" data-testid="error">
        <strong>The rules have ${n} error${n === 1 ? '' : 's'}; nothing runs.</strong>
      </div>
      <ul class="diagnostics" data-testid="diagnostics">
        ${this.diagnostics.map(
          (d) => html`<li data-testid="diagnostic">
            <div class="head"><span class="where">${d.file}:${d.line}:${d.column}</span> ${d.message}</div>
            ${d.excerpt ? html`<pre>${d.excerpt}</pre>` : nothing}
          </li>`,
        )}
      </ul>
    `;
  }

  private renderRunning(): TemplateResult {
    const counts = this.counts;
    const max = Math.max(1, ...counts.rules.map((r) => r.alerts));
    const status = this.sourceStatus;
    return html`
      <div class="stats" part="stats">
        <div class="stat"><span class="n" data-testid="event-count" title=${String(counts.events)}>${compactNumber(counts.events)}</span><span class="l">events</span></div>
        <div class="stat"><span class="n" data-testid="alert-count" title=${String(counts.alerts)}>${compactNumber(counts.alerts)}</span><span class="l">alerts</span></div>
        <div class="stat"><span class="n" data-testid="rule-count">${counts.rules.length}</span><span class="l">rules</span></div>
      </div>
      <ul class="rules" part="rules" data-testid="rules">
        ${counts.rules.map(
          (r) => html`<li class=${r.state} data-testid="rule" data-rule=${r.name} title=${r.reason ? `${r.name}: ${r.state}: ${r.reason}` : r.name}>
            <span class="bar" style="width:${((r.alerts / max) * 100).toFixed(1)}%"></span>
            <span class="name">${r.name}</span>
            ${r.state !== 'active' ? html`<span class="why" data-testid="rule-state">${r.state}${r.reason ? `: ${r.reason}` : ''}</span>` : nothing}
            <span class="count" data-testid="rule-alerts">${r.alerts}</span>
          </li>`,
        )}
      </ul>
      ${this.alerts.length
        ? html`<ol class="alerts" part="alerts" data-testid="alerts" aria-live="polite">
            ${repeat(
              this.alerts,
              (a) => a.id,
              (a) => html`<li class="alert ${a.system ? 'system' : ''}" part="alert" data-testid="alert" title=${JSON.stringify(a.fields, null, 2)}>
                <span class="time" title=${a.eventTime ? `event time ${new Date(a.eventTime).toISOString()}` : ''}>${clockTime(a.time)}</span>
                <span class="rule" data-testid="alert-rule">${a.rule}</span>
                ${a.severity ? html`<span class="sev ${a.severity.toLowerCase()}">${a.severity}</span>` : html`<span></span>`}
                <span class="summary">${a.backfill ? html`<span class="backfill" data-testid="alert-backfill" title="raised while the simulator replayed its warm-up minutes">backfill</span> ` : nothing}<span data-testid="alert-summary">${a.summary}</span></span>
              </li>`,
            )}
          </ol>`
        : html`<div class="empty" data-testid="empty">
            ${status?.state === 'error'
              ? html`<span class="source error" data-testid="source-error">${status.message}</span>`
              : counts.events
                ? `No alerts yet — ${counts.events} events checked.`
                : 'No alerts yet — waiting for events.'}
          </div>`}
      ${counts.rejected || counts.ruleErrors || (status?.state === 'error' && this.alerts.length)
        ? html`<footer>
            ${status?.state === 'error' && this.alerts.length ? html`<span class="warn">${status.message}</span>` : nothing}
            ${counts.rejected ? html`<span class="warn">${plural(counts.rejected, 'non-JSON message')} skipped</span>` : nothing}
            ${counts.ruleErrors ? html`<span class="warn" title=${this.lastError ?? ''}>${plural(counts.ruleErrors, 'rule error')}</span>` : nothing}
          </footer>`
        : nothing}
    `;
  }
}
