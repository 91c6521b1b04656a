/** Versions of a rule (author, time, action), the diff of each against the one before, restore. */
import { LitElement, css, html, nothing } from 'lit';
import type { RuleHistoryEntry } from '../../../src/runtime/worker/protocol.js';
import { diffLines } from '../../lib/diff.js';
import { fmtAgo, fmtDateTime } from '../../lib/format.js';
import { baseStyles } from '../shared/styles.js';

export class RuleHistory extends LitElement {
  static override properties = {
    versions: { attribute: false },
    current: { type: Number },
    selectedVersion: { state: true },
  };

  declare versions: RuleHistoryEntry[];
  /** The version the engine runs now (highlighted, cannot be restored). */
  declare current: number;
  declare selectedVersion: number | undefined;

  constructor() {
    super();
    this.versions = [];
    this.current = 0;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
      }
      .versions {
        flex: none;
        max-height: 45%;
        overflow: auto;
        border-bottom: 1px solid var(--line);
      }
      .v {
        display: grid;
        grid-template-columns: 34px 1fr auto;
        gap: 2px 8px;
        padding: 5px 10px;
        border-bottom: 1px solid var(--line);
        cursor: pointer;
        font-size: var(--fs-small);
      }
      .v:hover {
        background: var(--bg-hover);
      }
      .v[aria-selected='true'] {
        background: var(--bg-select);
      }
      .v .n {
        font-family: var(--font-mono);
        color: var(--accent);
      }
      .v .act {
        text-transform: uppercase;
        font-size: 10px;
        letter-spacing: 0.05em;
        color: var(--fg-dim);
      }
      .v .who {
        grid-column: 2 / -1;
        color: var(--fg-dim);
      }
      .diffhead {
        display: flex;
        align-items: center;
        gap: 8px;
        padding: 6px 10px;
        font-size: var(--fs-small);
        color: var(--fg-dim);
      }
      .diffhead .grow {
        flex: 1;
      }
      .diff {
        flex: 1;
        overflow: auto;
        font: 12px/17px var(--font-mono);
        padding-bottom: 12px;
      }
      .d {
        white-space: pre;
        padding: 0 8px;
      }
      .d.add {
        background: rgba(63, 185, 122, 0.12);
        color: #9fe3bd;
      }
      .d.del {
        background: rgba(242, 85, 90, 0.12);
        color: #f3a6a8;
      }
      .d .sign {
        display: inline-block;
        width: 14px;
        color: var(--fg-faint);
      }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('versions')) {
      const last = this.versions[this.versions.length - 1];
      if (!this.versions.some((v) => v.version === this.selectedVersion)) this.selectedVersion = last?.version;
    }
  }

  private restore(version: number): void {
    this.dispatchEvent(new CustomEvent('rule-restore', { detail: version }));
  }

  override render() {
    if (!this.versions.length) return html`<div class="empty">No history yet.</div>`;
    const list = [...this.versions].reverse();
    const index = this.versions.findIndex((v) => v.version === this.selectedVersion);
    const selected = this.versions[index];
    const before = index > 0 ? this.versions.slice(0, index).reverse().find((v) => v.text) : undefined;
    const diff = selected ? diffLines(before?.text ?? '', selected.text) : [];
    return html`
      <div class="versions" role="listbox" aria-label="Versions">
        ${list.map(
          (v) => html`<div
            class="v"
            role="option"
            tabindex="0"
            data-testid="history-version"
            aria-selected=${v.version === this.selectedVersion ? 'true' : 'false'}
            @click=${() => (this.selectedVersion = v.version)}
          >
            <span class="n">v${v.version}</span>
            <span class="act">${v.action}${v.from ? ` of v${v.from}` : ''}${v.version === this.current ? html` · <span style="color:var(--ok)">current</span>` : nothing}</span>
            <span class="faint" title=${fmtDateTime(v.time)}>${fmtAgo(v.time)}</span>
            <span class="who">${v.author} · ${fmtDateTime(v.time)}</span>
          </div>`,
        )}
      </div>
      ${selected
        ? html`<div class="diffhead">
              <span class="grow">v${selected.version} ${before ? html`against v${before.version}` : 'as created'}</span>
              <button
                ?disabled=${!selected.text || selected.version === this.current}
                title=${selected.text ? 'Apply this version again (recorded as a new version)' : 'A removal has no text to restore'}
                @click=${() => this.restore(selected.version)}
              >
                Restore v${selected.version}
              </button>
            </div>
            <div class="diff" data-testid="history-diff">
              ${diff.map((d) => html`<div class="d ${d.op}"><span class="sign">${d.op === 'add' ? '+' : d.op === 'del' ? '−' : ' '}</span>${d.text}</div>`)}
            </div>`
        : nothing}
    `;
  }
}

customElements.define('vigil-rule-history', RuleHistory);
