/** IOC lists and tables: see counts, edit entries (one a line), create and delete. */
import { LitElement, css, html, nothing } from 'lit';
import { parseEntries } from '../../../src/runtime/worker/records.js';
import { fmtBytes, fmtCount } from '../../lib/format.js';
import { StoreController } from '../../state/controller.js';
import { baseStyles } from '../shared/styles.js';

type Kind = 'ioc' | 'table';

export class ListManager extends LitElement {
  static override properties = {
    editing: { state: true },
    draft: { state: true },
    busy: { state: true },
  };

  declare editing: { kind: Kind; name: string; isNew: boolean } | undefined;
  declare draft: string;
  declare busy: boolean;
  private readonly data = new StoreController(this, ['lists', 'rules']);

  constructor() {
    super();
    this.draft = '';
    this.busy = false;
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        overflow: auto;
      }
      h4 {
        display: flex;
        align-items: center;
        margin: 0;
        padding: 8px 10px 4px;
        font-size: 11px;
        text-transform: uppercase;
        letter-spacing: 0.06em;
        color: var(--fg-faint);
        font-weight: 500;
      }
      h4 span {
        flex: 1;
      }
      .item {
        display: grid;
        grid-template-columns: 1fr auto;
        padding: 5px 10px;
        border-bottom: 1px solid var(--line);
        cursor: pointer;
        font-size: var(--fs-small);
      }
      .item:hover {
        background: var(--bg-hover);
      }
      .item .name {
        font-family: var(--font-mono);
        color: var(--tok-ident);
      }
      .item .used {
        grid-column: 1 / -1;
        color: var(--fg-faint);
      }
      .edit {
        padding: 8px 10px;
        display: flex;
        flex-direction: column;
        gap: 6px;
        border-bottom: 1px solid var(--line);
        background: var(--bg-2);
      }
      .edit textarea {
        min-height: 160px;
        resize: vertical;
        background: var(--bg);
        border: 1px solid var(--line-2);
        border-radius: var(--radius);
        font: 12px/1.5 var(--font-mono);
        padding: 6px;
      }
      .row {
        display: flex;
        gap: 6px;
        align-items: center;
      }
      .row .grow {
        flex: 1;
      }
      button.small {
        height: 22px;
        padding: 0 8px;
        font-size: 11px;
      }
    `,
  ];

  private async open(kind: Kind, name: string): Promise<void> {
    const api = this.data.store.api;
    const entries = kind === 'ioc' ? await api.iocEntries(name) : await api.tableEntries(name);
    this.editing = { kind, name, isNew: false };
    this.draft = entries.join('\n');
  }

  private create(kind: Kind): void {
    this.editing = { kind, name: '', isNew: true };
    this.draft = '';
  }

  private async save(): Promise<void> {
    const e = this.editing;
    if (!e) return;
    const name = e.isNew ? ((this.renderRoot.querySelector('input[name=listname]') as HTMLInputElement | null)?.value.trim() ?? '') : e.name;
    if (!name) {
      this.data.store.toast('error', 'Give the list a name.');
      return;
    }
    const entries = parseEntries(this.draft);
    this.busy = true;
    const api = this.data.store.api;
    const ok = await this.data.store.run(
      () => (e.kind === 'ioc' ? api.setIocList(name, entries) : api.setTable(name, entries)).then(() => true),
      `Saved ${e.kind === 'ioc' ? 'IOC list' : 'table'} ${name}: ${entries.length} entries`,
    );
    this.busy = false;
    if (ok) this.editing = undefined;
  }

  private async deleteSelected(): Promise<void> {
    const e = this.editing;
    if (!e || e.isNew) return;
    const api = this.data.store.api;
    const ok = await this.data.store.run(
      () => (e.kind === 'ioc' ? api.deleteIocList(e.name) : api.deleteTable(e.name)).then(() => true),
      `Deleted ${e.name}`,
    );
    if (ok) this.editing = undefined;
  }

  private editor(kind: Kind) {
    const e = this.editing;
    if (!e || e.kind !== kind) return nothing;
    const count = parseEntries(this.draft).length;
    return html`<div class="edit">
      ${e.isNew
        ? html`<input name="listname" placeholder=${kind === 'ioc' ? 'list name, e.g. bad_domains' : 'table name'} autofocus />`
        : html`<div class="mono">${e.name}</div>`}
      <textarea
        spellcheck="false"
        placeholder="one entry a line (# comments allowed)"
        .value=${this.draft}
        @input=${(ev: Event) => (this.draft = (ev.target as HTMLTextAreaElement).value)}
        @keydown=${(ev: KeyboardEvent) => {
          if ((ev.ctrlKey || ev.metaKey) && ev.key === 'Enter') {
            ev.preventDefault();
            void this.save();
          }
        }}
      ></textarea>
      <div class="row">
        <span class="grow dim">${count} entries</span>
        ${e.isNew ? nothing : html`<button class="small danger" @click=${this.deleteSelected}>Delete</button>`}
        <button class="small" @click=${() => (this.editing = undefined)}>Cancel</button>
        <button class="small primary" ?disabled=${this.busy} @click=${this.save}>Save</button>
      </div>
    </div>`;
  }

  override render() {
    const { iocLists, tables } = this.data.store;
    return html`
      <h4><span>IOC lists</span><button class="small ghost" @click=${() => this.create('ioc')}>+ New</button></h4>
      ${this.editing?.kind === 'ioc' && this.editing.isNew ? this.editor('ioc') : nothing}
      ${iocLists.length === 0 ? html`<div class="empty">No IOC lists.</div>` : nothing}
      ${iocLists.map(
        (l) => html`<div class="item" data-testid="ioc-list" @click=${() => this.open('ioc', l.name)}>
            <span class="name">${l.name}</span>
            <span class="dim">${fmtCount(l.count)} · ${fmtBytes(l.byteSize)}</span>
            <span class="used">${l.usedBy.length ? `used by ${l.usedBy.join(', ')}` : 'not used by any rule'}</span>
          </div>
          ${this.editing?.kind === 'ioc' && this.editing.name === l.name ? this.editor('ioc') : nothing}`,
      )}
      <h4><span>Tables <span class="faint" style="text-transform:none">(utils.inTable)</span></span><button class="small ghost" @click=${() => this.create('table')}>+ New</button></h4>
      ${this.editing?.kind === 'table' && this.editing.isNew ? this.editor('table') : nothing}
      ${tables.length === 0 ? html`<div class="empty">No tables.</div>` : nothing}
      ${tables.map(
        (t) => html`<div class="item" @click=${() => this.open('table', t.name)}>
            <span class="name">${t.name}</span>
            <span class="dim">${fmtCount(t.count)} entries</span>
          </div>
          ${this.editing?.kind === 'table' && this.editing.name === t.name ? this.editor('table') : nothing}`,
      )}
    `;
  }
}

customElements.define('vigil-list-manager', ListManager);
