/**
 * The "Keep" menu of the Alerts view: how many alerts, and for how long, the browser keeps
 * (IndexedDB; DEFAULT_ALERT_RETENTION, clamped to ALERT_RETENTION_LIMITS), the user name statuses
 * are recorded under, and forgetting every kept alert.
 */
import { LitElement, css, html } from 'lit';
import { StoreController } from '../../state/controller.js';
import { baseStyles } from '../shared/styles.js';
import { triage } from './triage-model.js';

export class AlertRetention extends LitElement {
  private readonly data = new StoreController(this, []);
  private readonly onTriage = () => this.requestUpdate();

  static override styles = [
    baseStyles,
    css`
      :host {
        position: relative;
        font-size: var(--fs-small);
      }
      form {
        position: absolute;
        right: 0;
        z-index: 5;
        display: flex;
        flex-direction: column;
        gap: 6px;
        padding: 10px;
        background: var(--bg-1);
        border: 1px solid var(--line);
        border-radius: var(--radius);
        width: 260px;
      }
      input {
        width: 90px;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    triage.addEventListener('change', this.onTriage);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    triage.removeEventListener('change', this.onTriage);
  }

  override render() {
    const r = triage.retention;
    const store = this.data.store;
    return html`<details>
      <summary title="How many alerts, and for how long, the browser keeps (IndexedDB)">Keep</summary>
      <form
        @submit=${(e: Event) => {
          e.preventDefault();
          const form = new FormData(e.target as HTMLFormElement);
          void triage.setRetention({ maxAlerts: Number(form.get('maxAlerts')), maxDays: Number(form.get('maxDays')) });
        }}
      >
        <label>the last <input name="maxAlerts" type="number" data-testid="retention-count" .value=${String(r.maxAlerts)} /> alerts</label>
        <label>for <input name="maxDays" type="number" data-testid="retention-days" .value=${String(r.maxDays)} /> days</label>
        <label title="Recorded with every status you set"
          >as <input data-testid="triage-user" .value=${store.author} @change=${(e: Event) => store.setAuthor((e.target as HTMLInputElement).value)}
        /></label>
        <button class="primary" data-testid="retention-save">Save</button>
        <button type="button" class="danger" @click=${() => void triage.clear()}>Forget all kept alerts</button>
      </form>
    </details>`;
  }
}

customElements.define('vigil-alert-retention', AlertRetention);
