/**
 * The keys of the last injected anomalies (Simulator view): which generator got each, and which
 * rules found it so far — each a link to the Quality view, and to the debugger when a state
 * machine follows that key.
 */
import { LitElement, css, html, nothing } from 'lit';
import { fmtTime } from '../../lib/format.js';
import { formatRoute } from '../../lib/router.js';
import { StoreController } from '../../state/controller.js';
import type { InjectedKey } from '../../worker/quality.js';
import { baseStyles } from '../shared/styles.js';
import { fetchQuality } from './quality-api.js';

export class InjectedKeys extends LitElement {
  static override properties = { keys: { state: true } };
  declare keys: InjectedKey[];
  private readonly data = new StoreController(this, ['metrics']);
  private lastFetch = 0;
  private fetching = false;

  constructor() {
    super();
    this.keys = [];
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        font-size: var(--fs-small);
      }
      ul {
        list-style: none;
        margin: 6px 0 0;
        padding: 0;
        display: flex;
        flex-direction: column;
        gap: 2px;
      }
      a {
        color: var(--accent);
      }
      .found {
        color: var(--ok);
      }
      .missed {
        color: var(--warn);
      }
    `,
  ];

  /** Refetches at most once a second, on the metrics batches. */
  override updated(): void {
    const now = Date.now();
    if (this.fetching || now - this.lastFetch < 1000 || this.data.store.status !== 'ready') return;
    this.fetching = true;
    this.lastFetch = now;
    fetchQuality(this.data.store)
      .then((r) => (this.keys = r.injected.slice(0, 5)))
      .catch(() => {})
      .finally(() => (this.fetching = false));
  }

  override render() {
    if (!this.keys.length) return nothing;
    return html`<div class="dim">Injected (newest first):</div>
      <ul data-testid="injected-keys">
        ${this.keys.map(
          (k) => html`<li data-testid="injected-key" data-key=${k.key}>
            <span class="faint">${fmtTime(k.time)} ${k.generator}</span>
            <a class="mono" href=${formatRoute({ view: 'quality', params: { key: k.key } })}>${k.key}</a>
            ${k.detectedBy.length ? html`<span class="found">found by ${k.detectedBy.join(', ')}</span>` : html`<span class="missed">not found yet</span>`}
          </li>`,
        )}
      </ul>`;
  }
}

customElements.define('vigil-injected-keys', InjectedKeys);
