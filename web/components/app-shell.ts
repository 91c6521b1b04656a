/**
 * The app: navigation bar, the current view (hash route), live status, toasts, loading and error
 * states. Each view is made on its first visit and kept: switching hides the others (`hidden`)
 * instead of making the view anew, and a hidden view does not redraw (web/lib/view-visibility.ts).
 * Nine views at most, so what they hold is bounded by what each view bounds.
 */
import { LitElement, css, html, nothing } from 'lit';
import { fmtCount, fmtRate } from '../lib/format.js';
import { formatRoute, parseRoute, VIEWS, type Route, type View } from '../lib/router.js';
import { announceViewShown } from '../lib/view-visibility.js';
import { StoreController } from '../state/controller.js';
import { CHECKPOINT_EVERY_MS } from '../worker/services/checkpoints.js';
import './alerts/alerts-view.js';
import './benchmarks/benchmarks-view.js';
import './dashboard/dashboard-view.js';
import './debugger/debugger-view.js';
import './flows/flows-view.js';
import './quality/quality-view.js';
import './replay/replay-view.js';
import './rules/rules-view.js';
import { baseStyles } from './shared/styles.js';
import './simulator/simulator-view.js';

const fmtClock = (time: number): string => new Date(time).toLocaleTimeString();

const LABELS: Record<View, string> = {
  rules: 'Rules',
  alerts: 'Alerts',
  dashboard: 'Dashboard',
  simulator: 'Simulator',
  debugger: 'Debugger',
  replay: 'Replay',
  benchmarks: 'Benchmarks',
  flows: 'Flows',
  quality: 'Quality',
};

export class AppShell extends LitElement {
  static override properties = { route: { state: true }, menuOpen: { state: true } };
  declare route: Route;
  /** Under NARROW_PX the views' links fold behind a menu button; this is whether it is unfolded. */
  declare menuOpen: boolean;
  private readonly data = new StoreController(this, ['status', 'metrics', 'toast', 'diagnostics']);
  /** Each visited view's last route: a hidden view keeps the route it was shown with. */
  private readonly visited = new Map<View, Route>();
  /** The view shown by the last render (announced to the views when it changes). */
  private shown: View | undefined;
  private readonly onHash = () => {
    this.route = parseRoute(location.hash);
    this.menuOpen = false;
    document.title = `Vigil · ${LABELS[this.route.view]}`;
  };

  constructor() {
    super();
    this.route = parseRoute(location.hash);
    this.menuOpen = false;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: grid;
        grid-template-rows: 40px auto minmax(0, 1fr);
        /* One column as wide as the window: an implicit 'auto' column would grow to a view's
           widest content and push the page sideways. */
        grid-template-columns: minmax(0, 1fr);
        height: 100%;
      }
      .banner {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        gap: 4px 10px;
        padding: 6px 12px;
        background: rgba(242, 85, 90, 0.12);
        border-bottom: 1px solid var(--err);
        color: var(--fg);
        font-size: var(--fs-small);
      }
      .banner b {
        color: var(--err);
      }
      .banner.notice {
        background: color-mix(in srgb, var(--warn) 12%, transparent);
        border-bottom-color: var(--warn);
      }
      .banner.notice b {
        color: var(--warn);
      }
      nav {
        position: relative;
        display: flex;
        align-items: stretch;
        gap: 2px;
        background: var(--bg-1);
        border-bottom: 1px solid var(--line);
        padding: 0 10px;
        min-width: 0;
        z-index: 20;
      }
      .links {
        display: flex;
        align-items: stretch;
        gap: 2px;
      }
      button.menu {
        display: none;
        align-self: center;
        gap: 6px;
        align-items: center;
      }
      .current {
        display: none;
      }
      .brand {
        display: flex;
        align-items: center;
        gap: 8px;
        font-weight: 700;
        letter-spacing: 0.18em;
        margin-right: 18px;
        color: var(--fg);
      }
      .brand svg {
        color: var(--accent);
      }
      nav a {
        display: flex;
        align-items: center;
        gap: 6px;
        padding: 0 14px;
        color: var(--fg-dim);
        text-decoration: none;
        border-bottom: 2px solid transparent;
        margin-bottom: -1px;
      }
      nav a:hover {
        color: var(--fg);
      }
      nav a[aria-current='page'] {
        color: var(--fg);
        border-bottom-color: var(--accent);
      }
      nav a .badge {
        font: 11px var(--font-mono);
        color: var(--fg-faint);
      }
      .live {
        margin-left: auto;
        display: flex;
        align-items: center;
        gap: 14px;
        font-size: var(--fs-small);
        color: var(--fg-dim);
        font-variant-numeric: tabular-nums;
        white-space: nowrap;
      }
      .live b {
        color: var(--fg);
        font-family: var(--font-mono);
        font-weight: 500;
      }
      .dot {
        display: inline-block;
        width: 8px;
        height: 8px;
        border-radius: 50%;
        background: var(--fg-faint);
        margin-right: 4px;
      }
      .dot.on {
        background: var(--ok);
        box-shadow: 0 0 6px var(--ok);
      }
      .dot.err {
        background: var(--err);
      }
      /* The views share one cell; the hidden ones keep their layout (content-visibility), so
         showing one again does not lay it out anew, and are not seen, hit or focused. */
      main {
        min-height: 0;
        overflow: hidden;
        display: grid;
        grid-template: minmax(0, 1fr) / minmax(0, 1fr);
      }
      main > * {
        grid-area: 1 / 1;
        height: 100%;
        min-width: 0;
      }
      main > [hidden] {
        content-visibility: hidden;
        visibility: hidden;
        pointer-events: none;
      }
      .state {
        display: flex;
        flex-direction: column;
        align-items: center;
        justify-content: center;
        gap: 10px;
        height: 100%;
        color: var(--fg-dim);
      }
      .state.error {
        color: var(--err);
      }
      .spinner {
        width: 22px;
        height: 22px;
        border: 2px solid var(--line-2);
        border-top-color: var(--accent);
        border-radius: 50%;
        animation: spin 0.8s linear infinite;
      }
      @keyframes spin {
        to {
          transform: rotate(360deg);
        }
      }
      .toasts {
        position: fixed;
        right: 12px;
        bottom: 12px;
        display: flex;
        flex-direction: column;
        gap: 6px;
        z-index: 10;
        max-width: 480px;
      }
      .toast {
        background: var(--bg-3);
        border: 1px solid var(--line-2);
        border-left: 3px solid var(--accent);
        border-radius: var(--radius);
        padding: 8px 12px;
        box-shadow: 0 6px 20px rgba(0, 0, 0, 0.45);
        cursor: pointer;
      }
      .toast.error {
        border-left-color: var(--err);
      }
      .live .wide {
        display: contents;
      }
      /* Tablets in portrait and phones: the links fold behind a menu button and drop down as a
         column over the view; the view scrolls as a page (each view stacks its panels). */
      @media (max-width: 799.98px) {
        :host {
          height: auto;
          min-height: 100%;
          grid-template-rows: 44px auto auto;
        }
        nav {
          position: sticky;
          top: 0;
        }
        .brand {
          margin-right: 8px;
        }
        button.menu {
          display: inline-flex;
          height: 32px;
        }
        .current {
          display: flex;
          flex: 0 1 auto;
          align-items: center;
          padding: 0 8px;
          font-weight: 600;
          min-width: 0;
          overflow: hidden;
          text-overflow: ellipsis;
          white-space: nowrap;
        }
        .links {
          display: none;
          position: absolute;
          top: 100%;
          left: 0;
          right: 0;
          flex-direction: column;
          background: var(--bg-1);
          border-bottom: 1px solid var(--line-2);
          box-shadow: 0 10px 24px rgba(0, 0, 0, 0.5);
          padding: 4px 0;
        }
        .links.open {
          display: flex;
        }
        nav .links a {
          height: 40px;
          padding: 0 16px;
          border-bottom: 0;
          border-left: 3px solid transparent;
          margin: 0;
        }
        nav .links a[aria-current='page'] {
          border-left-color: var(--accent);
          background: var(--bg-2);
        }
        .live {
          gap: 8px;
        }
        .live .wide {
          display: none;
        }
        main {
          overflow: visible;
          grid-template-rows: auto;
        }
        main > * {
          height: auto;
          min-height: calc(100dvh - 44px);
        }
        .toasts {
          left: 12px;
          max-width: none;
        }
        /* Full-width toasts would cover the view: the newest two show (the others keep their timers). */
        .toast:nth-last-child(n + 3) {
          display: none;
        }
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHash);
    window.addEventListener('keydown', this.onKey);
    if (!location.hash) history.replaceState(null, '', formatRoute({ view: this.route.view }));
    this.onHash();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHash);
    window.removeEventListener('keydown', this.onKey);
  }

  /** Alt+1…9 switch views. */
  private readonly onKey = (e: KeyboardEvent) => {
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    const i = Number(e.key) - 1;
    const view = VIEWS[i];
    if (view) {
      e.preventDefault();
      location.hash = formatRoute({ view });
    }
  };

  private view() {
    const store = this.data.store;
    if (store.status === 'loading') {
      return html`<div class="state" data-testid="loading"><div class="spinner"></div>Loading the engine (QuickJS sandbox, WebAssembly hot paths)…</div>`;
    }
    if (store.status === 'error') {
      return html`<div class="state error" data-testid="fatal">
        <b>The engine could not start.</b><span>${store.error}</span><button @click=${() => location.reload()}>Reload</button>
      </div>`;
    }
    this.visited.set(this.route.view, this.route);
    // One place per view, always in the same order: lit keeps each view's element where it is.
    return VIEWS.map((v) => {
      const route = this.visited.get(v);
      return route ? this.viewElement(v, route, v !== this.route.view) : nothing;
    });
  }

  private viewElement(view: View, route: Route, hidden: boolean) {
    switch (view) {
      case 'rules':
        return html`<vigil-rules-view ?hidden=${hidden} .route=${route}></vigil-rules-view>`;
      case 'alerts':
        return html`<vigil-alerts-view ?hidden=${hidden} .route=${route}></vigil-alerts-view>`;
      case 'dashboard':
        return html`<vigil-dashboard-view ?hidden=${hidden}></vigil-dashboard-view>`;
      case 'simulator':
        return html`<vigil-simulator-view ?hidden=${hidden}></vigil-simulator-view>`;
      case 'debugger':
        return html`<vigil-debugger-view ?hidden=${hidden} .route=${route}></vigil-debugger-view>`;
      case 'replay':
        return html`<vigil-replay-view ?hidden=${hidden}></vigil-replay-view>`;
      case 'benchmarks':
        return html`<vigil-benchmarks-view ?hidden=${hidden}></vigil-benchmarks-view>`;
      case 'flows':
        return html`<vigil-flows-view ?hidden=${hidden} .route=${route}></vigil-flows-view>`;
      case 'quality':
        return html`<vigil-quality-view ?hidden=${hidden} .route=${route}></vigil-quality-view>`;
    }
  }

  override updated(): void {
    const view = this.data.store.status === 'ready' ? this.route.view : undefined;
    if (view !== this.shown) {
      this.shown = view;
      // The views hidden by this render stop redrawing; the one shown catches up.
      announceViewShown();
    }
  }

  /** One persistent banner while saving to IndexedDB fails, instead of a row per failure. */
  private storageBanner() {
    const f = this.data.store.storageFailure;
    if (!f) return nothing;
    const saved = this.data.store.metrics?.checkpoint;
    return html`<div class="banner" role="alert" data-testid="storage-banner">
      <b>Saving the state failed</b>
      <span class="mono" data-testid="storage-cause">${f.message}</span>
      <span class="dim" data-testid="storage-retry"
        >${f.failures} ${f.failures === 1 ? 'failure' : 'failures'} since ${fmtClock(f.since)}, last at ${fmtClock(f.last)}; retried with every checkpoint (each
        ${CHECKPOINT_EVERY_MS / 1000} s). The live engine is unaffected; a reload restores the last save${saved ? ` (${fmtClock(saved.time)})` : ''}.</span
      >
    </div>`;
  }

  /** While checkpoints are skipped for the events the windows hold: one banner saying so and why. */
  private checkpointBanner() {
    const p = this.data.store.metrics?.checkpointPaused;
    if (!p) return nothing;
    const saved = this.data.store.metrics?.checkpoint;
    return html`<div class="banner notice" role="status" data-testid="checkpoint-paused-banner">
      <b>Checkpoints paused</b>
      <span data-testid="checkpoint-paused-cause"
        >the open windows hold ${fmtCount(p.windowEvents)} events, over the ${fmtCount(p.limit)} a checkpoint saves (since ${fmtClock(p.since)}).</span
      >
      <span class="dim"
        >They resume when the windows hold fewer (lower the simulator's rate, or wait for them to close). The live engine is unaffected; a reload now
        ${saved ? `restores the save of ${fmtClock(saved.time)}` : 'starts with empty windows'}.</span
      >
    </div>`;
  }

  override render() {
    const store = this.data.store;
    const m = store.metrics;
    const latest = store.series.latest();
    const rules = Object.values(m?.engine.rules ?? {});
    const deactivated = rules.filter((r) => r.state === 'deactivated').length;
    return html`
      <nav aria-label="Views">
        <span class="brand">
          <svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"><path d="M12 2 3 6v6c0 5 3.8 9.3 9 10 5.2-.7 9-5 9-10V6l-9-4Z" /><circle cx="12" cy="11" r="3" /></svg>
          VIGIL
        </span>
        <button
          class="menu"
          data-testid="nav-menu"
          aria-controls="nav-links"
          aria-expanded=${this.menuOpen ? 'true' : 'false'}
          aria-label="Views"
          @click=${() => (this.menuOpen = !this.menuOpen)}
        >
          <svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.5"><path d="M3 6h18M3 12h18M3 18h18" /></svg>
        </button>
        <span class="current" aria-hidden="true">${LABELS[this.route.view]}</span>
        <div class="links ${this.menuOpen ? 'open' : ''}" id="nav-links">
          ${VIEWS.map(
            (v, i) => html`<a
              href=${formatRoute({ view: v })}
              data-testid=${`nav-${v}`}
              aria-current=${this.route.view === v ? 'page' : 'false'}
              title=${`${LABELS[v]} (Alt+${i + 1})`}
              @click=${() => (this.menuOpen = false)}
            >
              ${LABELS[v]}
              ${v === 'alerts' && m ? html`<span class="badge">${fmtCount(m.engine.alertsOut)}</span>` : nothing}
              ${v === 'rules' && deactivated ? html`<span class="badge" style="color:var(--err)">${deactivated}!</span>` : nothing}
            </a>`,
          )}
        </div>
        <span
          class="live"
          data-testid="live-status"
          data-events-in=${m ? String(m.engine.eventsIn) : '0'}
          data-deactivated=${Object.entries(m?.engine.rules ?? {})
            .filter(([, r]) => r.state === 'deactivated')
            .map(([name]) => name)
            .join('\n')}
        >
          ${store.status === 'ready' && m
            ? html`<span><span class="dot ${m.simulator.running ? 'on' : ''}"></span>${m.simulator.running ? 'simulator running' : 'simulator paused'}</span>
                <span class="wide"><span><b>${latest ? fmtRate(latest.events ?? 0) : '–'}</b> events/s</span>
                <span><b>${latest ? fmtRate(latest.alerts ?? 0) : '–'}</b> alerts/s</span>
                <span><b>${rules.length}</b> rules${deactivated ? html` · <span style="color:var(--err)">${deactivated} deactivated</span>` : nothing}</span></span>`
            : store.status === 'error'
              ? html`<span><span class="dot err"></span>engine stopped</span>`
              : html`<span>starting…</span>`}
        </span>
      </nav>
      <div class="banner-slot">${this.storageBanner()}${this.checkpointBanner()}</div>
      <main>${this.view()}</main>
      <div class="toasts" aria-live="polite">
        ${store.toasts.map((t) => html`<div class="toast ${t.kind}" data-testid="toast" @click=${() => store.dismiss(t.id)}>${t.text}</div>`)}
      </div>
    `;
  }
}

customElements.define('vigil-app', AppShell);
