/**
 * One alert: its JSON, and the contributing events (when the alert carries `events`) as a table.
 * The page's copy of an alert carries its first events only (PAGE_ALERT_EVENTS); the whole alert is
 * fetched from the worker when it is shown.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { AlertEnvelope } from '../../../src/runtime/worker/protocol.js';
import { fmtDateTime, fmtTime } from '../../lib/format.js';
import { formatRoute } from '../../lib/router.js';
import { store } from '../../state/store.js';
import '../shared/json-view.js';
import { baseStyles } from '../shared/styles.js';

/** Event rows drawn in the table (a window may hold thousands; layout would stall the page). */
const MAX_EVENT_ROWS = 200;

export class AlertDetail extends LitElement {
  static override properties = { envelope: { attribute: false }, tab: { state: true }, whole: { state: true } };
  declare envelope: AlertEnvelope | undefined;
  declare tab: 'json' | 'events';
  /** The shown alert as the worker keeps it (every event), once fetched; `kept: false` when retention dropped it. */
  declare whole: { id: number; kept: false } | { id: number; kept: true; envelope: AlertEnvelope } | undefined;

  constructor() {
    super();
    this.tab = 'json';
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
      }
      header {
        padding: 10px;
        border-bottom: 1px solid var(--line);
        flex: none;
      }
      h3 {
        margin: 0 0 4px;
        font-size: 14px;
        font-weight: 600;
      }
      .meta {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 14px;
        font-size: var(--fs-small);
        color: var(--fg-dim);
      }
      .meta b {
        color: var(--fg);
        font-weight: 500;
      }
      .tabs {
        display: flex;
        gap: 4px;
        padding: 6px 10px 0;
        border-bottom: 1px solid var(--line);
        flex: none;
      }
      .tabs button {
        border-radius: var(--radius) var(--radius) 0 0;
        border-bottom: 0;
        height: 26px;
        background: transparent;
        color: var(--fg-dim);
      }
      .tabs button[aria-selected='true'] {
        background: var(--bg-2);
        color: var(--fg);
      }
      .body {
        flex: 1;
        overflow: auto;
        min-height: 0;
      }
      vigil-json {
        padding: 10px;
      }
      .note {
        padding: 6px 10px;
      }
      .events {
        overflow: auto;
      }
      .events td {
        max-width: 220px;
      }
      .copy {
        margin-left: auto;
      }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    const prev = changed.get('envelope') as AlertEnvelope | undefined;
    if (changed.has('envelope') && prev?.id !== this.envelope?.id && !this.events().length) this.tab = 'json';
    if (changed.has('envelope')) void this.fetchWhole();
  }

  private async fetchWhole(): Promise<void> {
    const env = this.envelope;
    if (!env?.omittedEvents || this.whole?.id === env.id) return;
    const id = env.id;
    const [kept] = await store.api.keptAlerts([id]).catch(() => []);
    if (this.envelope?.id !== id) return;
    this.whole = kept ? { id, kept: true, envelope: kept } : { id, kept: false };
  }

  /** The shown envelope: the whole one once fetched, else the page's copy. */
  private shown(): AlertEnvelope | undefined {
    const env = this.envelope;
    const whole = this.whole;
    return env && whole?.kept && whole.id === env.id ? whole.envelope : env;
  }

  private events(): Record<string, unknown>[] {
    const events = this.shown()?.alert.events;
    return Array.isArray(events) ? (events.filter((e) => e && typeof e === 'object') as Record<string, unknown>[]) : [];
  }

  /** Opens the debugger on the key of a STATE MACHINE rule's alert (key fields read from the alert or its `key`). */
  private async openInDebugger(rule: string): Promise<void> {
    const a = this.envelope?.alert;
    if (!a) return;
    const snapshot = await store.run(() => store.api.machineSnapshot(rule));
    if (!snapshot) return;
    const keyObject = a.key && typeof a.key === 'object' ? (a.key as Record<string, unknown>) : {};
    const values = snapshot.definition.keyFields.map((f) => a[f] ?? keyObject[f] ?? null);
    const key = values.length === 1 && typeof values[0] === 'string' ? values[0] : JSON.stringify(values);
    location.hash = formatRoute({ view: 'debugger', item: rule, params: { key } });
  }

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(JSON.stringify(this.shown()?.alert, null, 2));
    } catch {
      // Clipboard refused (permissions): nothing to do.
    }
  }

  override render() {
    const env = this.shown();
    if (!env) return html`<div class="empty">Select an alert to see its fields and the events behind it.<br /><br /><kbd>↑</kbd> <kbd>↓</kbd> move · <kbd>/</kbd> search</div>`;
    const a = env.alert;
    const events = this.events();
    // Events the page's copy left out: being fetched, or no longer kept by the worker.
    const missing = env.omittedEvents ?? 0;
    const missingNote = missing
      ? html`<div class="faint note" data-testid="events-missing">${this.whole?.id === env.id ? `${missing} more events are no longer kept (alert retention)` : `loading ${missing} more events…`}</div>`
      : nothing;
    const key = a.key && typeof a.key === 'object' ? Object.entries(a.key as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`).join(' ') : '';
    const columns = [...new Set(events.flatMap((e) => Object.keys(e)).filter((k) => k !== 'fields'))].slice(0, 10);
    const { events: _omit, ...withoutEvents } = a;
    const machineRules = store.rules.filter((r) => r.kind === 'state-machine').map((r) => r.name);
    const isMachine = machineRules.includes(a.rule);
    const addresses = !isMachine && machineRules.length && Array.isArray(a.addresses) ? (a.addresses.filter((x) => typeof x === 'string') as string[]).slice(0, 12) : [];
    return html`
      <header>
        <h3 data-testid="detail-rule">${a.rule}</h3>
        <div class="meta">
          <span>raised <b>${fmtTime(env.at, true)}</b></span>
          ${typeof a.severity === 'string' ? html`<span class="sev sev-${a.severity}">${a.severity}</span>` : nothing}
          ${key ? html`<span>key <b class="mono">${key}</b></span>` : nothing}
          ${typeof a.windowStart === 'number' ? html`<span>window <b>${fmtDateTime(a.windowStart)}</b> → <b>${fmtTime(Number(a.windowEnd))}</b></span>` : nothing}
          ${a.update ? html`<span class="pill warning">update</span>` : nothing}
          <span class="faint">#${env.id}</span>
        </div>
        ${isMachine ? html`<div class="meta" style="margin-top:6px"><button data-testid="open-debugger" @click=${() => this.openInDebugger(a.rule)}>Open in the state-machine debugger</button></div>` : nothing}
        ${addresses.length
          ? html`<div class="meta" style="margin-top:6px">follow in debugger:
              ${addresses.map((x) => html`<a class="mono" style="color:var(--accent)" href=${formatRoute({ view: 'debugger', item: machineRules[0], params: { key: x } })}>${x}</a>`)}</div>`
          : nothing}
      </header>
      <div class="tabs" role="tablist">
        <button role="tab" aria-selected=${this.tab === 'json' ? 'true' : 'false'} @click=${() => (this.tab = 'json')}>Alert JSON</button>
        <button role="tab" data-testid="events-tab" ?disabled=${!events.length} aria-selected=${this.tab === 'events' ? 'true' : 'false'} @click=${() => (this.tab = 'events')}>
          Events${events.length ? ` · ${events.length + missing}` : ''}
        </button>
        <button class="ghost copy" @click=${this.copy} title="Copy the alert as JSON">Copy</button>
      </div>
      <div class="body">
        ${this.tab === 'json' || !events.length
          ? html`<vigil-json data-testid="alert-json" .value=${events.length ? { ...withoutEvents, events: `[${events.length + missing} events — see the Events tab]` } : a}></vigil-json>`
          : html`<table class="grid events" data-testid="alert-events">
              <thead><tr>${columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
              <tbody>
                ${events.slice(0, MAX_EVENT_ROWS).map(
                  (e) => html`<tr>${columns.map((c) => {
                    const v = e[c];
                    const text = c === 'timestamp' && typeof v === 'number' ? fmtTime(v, true) : v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
                    return html`<td class="mono" title=${text}>${text}</td>`;
                  })}</tr>`,
                )}
              </tbody>
            </table>
            ${events.length > MAX_EVENT_ROWS ? html`<div class="faint note" data-testid="events-more">first ${MAX_EVENT_ROWS} of ${events.length} events shown; Copy and the exports have them all</div>` : nothing}
            ${missingNote}`}
      </div>
    `;
  }
}

customElements.define('vigil-alert-detail', AlertDetail);
