/**
 * IOC lists and tables: see counts, edit entries (one a line), add or remove single entries,
 * upload a text or CSV file (list-upload.ts), create and delete. A large IOC list (over
 * LARGE_LIST_ENTRIES) is kept as its cuckoo filter only: its entries cannot be listed or edited as
 * text, only added and removed one by one, or replaced by an upload.
 */
import { LitElement, css, html, nothing } from 'lit';
import { LARGE_LIST_ENTRIES, type ListUploadResult } from '../../../src/runtime/worker/protocol.js';
import { parseEntries } from '../../worker/records.js';
import { fmtBytes, fmtCount } from '../../lib/format.js';
import { StoreController } from '../../state/controller.js';
import { baseStyles } from '../shared/styles.js';
import './list-upload.js';

type Kind = 'ioc' | 'table';

export class ListManager extends LitElement {
  static override properties = {
    editing: { state: true },
    draft: { state: true },
    busy: { state: true },
    single: { state: true },
  };

  declare editing: { kind: Kind; name: string; isNew: boolean } | undefined;
  declare draft: string;
  declare busy: boolean;
  /** The single entry typed to add or remove. */
  declare single: string;
  private readonly data = new StoreController(this, ['lists', 'rules']);

  constructor() {
    super();
    this.draft = '';
    this.busy = false;
    this.single = '';
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
      .note {
        font-size: var(--fs-small);
        color: var(--fg-dim);
      }
      .count {
        font: 600 13px var(--font-mono);
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
    this.single = '';
  }

  /** Whether an IOC list is kept as a filter only (too large to edit as text). */
  private isFilter(kind: Kind, name: string): boolean {
    return kind === 'ioc' && this.data.store.iocLists.find((l) => l.name === name)?.storage === 'filter';
  }

  private countOf(kind: Kind, name: string): number | undefined {
    const store = this.data.store;
    return kind === 'ioc' ? store.iocLists.find((l) => l.name === name)?.count : store.tables.find((t) => t.name === name)?.count;
  }

  /** Adds or removes the typed entry (one, or several separated by commas/whitespace). */
  private async editSingle(op: 'add' | 'remove'): Promise<void> {
    const e = this.editing;
    if (!e || e.isNew) return;
    const entries = parseEntries(this.single);
    if (!entries.length) return;
    const api = this.data.store.api;
    this.busy = true;
    const result = await this.data.store.run(() => api.editListEntries(e.kind, e.name, op === 'add' ? { add: entries } : { remove: entries }));
    this.busy = false;
    if (!result) return;
    const n = op === 'add' ? result.added : result.removed;
    this.data.store.toast('info', `${e.name}: ${n} ${op === 'add' ? 'added' : 'removed'}, ${fmtCount(result.count)} entries`);
    this.single = '';
    if (!this.isFilter(e.kind, e.name)) await this.open(e.kind, e.name);
  }

  /** After an upload: show the list (a new one is now an existing one), with its entries when small. */
  private async uploaded(result: ListUploadResult): Promise<void> {
    if (result.error && result.count === 0 && this.editing?.isNew) return;
    await this.data.store.refreshLists();
    if (result.storage === 'filter') {
      this.editing = { kind: result.kind, name: result.name, isNew: false };
      this.draft = '';
    } else await this.open(result.kind, result.name);
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
    const filter = !e.isNew && this.isFilter(kind, e.name);
    const upload = html`<vigil-list-upload
      .kind=${kind}
      .name=${e.name}
      .isNew=${e.isNew}
      .resolveName=${() => (this.renderRoot.querySelector('input[name=listname]') as HTMLInputElement | null)?.value.trim() ?? ''}
      @uploaded=${(ev: CustomEvent<ListUploadResult>) => void this.uploaded(ev.detail)}
    ></vigil-list-upload>`;
    const single = e.isNew
      ? nothing
      : html`<div class="row">
          <input
            class="grow mono"
            name="entry"
            data-testid="list-entry"
            placeholder="an entry to add or remove"
            .value=${this.single}
            @input=${(ev: Event) => (this.single = (ev.target as HTMLInputElement).value)}
            @keydown=${(ev: KeyboardEvent) => {
              if (ev.key === 'Enter') {
                ev.preventDefault();
                void this.editSingle('add');
              }
            }}
          />
          <button class="small" data-testid="list-entry-add" ?disabled=${this.busy || !this.single.trim()} @click=${() => this.editSingle('add')}>Add</button>
          <button class="small" data-testid="list-entry-remove" ?disabled=${this.busy || !this.single.trim()} @click=${() => this.editSingle('remove')}>Remove</button>
        </div>`;
    if (filter) {
      const n = this.countOf(kind, e.name) ?? 0;
      return html`<div class="edit" data-testid="list-filter-editor">
        <div class="row"><span class="mono grow">${e.name}</span><span class="count" data-testid="list-count">${fmtCount(n)} entries</span></div>
        <div class="note">
          A large list (over ${fmtCount(LARGE_LIST_ENTRIES)} entries), kept and saved as its cuckoo filter only: its entries cannot be listed or
          edited as text. Add or remove single entries (remove only entries that were added), or upload a file with “replace” to start over.
        </div>
        ${single} ${upload}
        <div class="row">
          <span class="grow"></span>
          <button class="small danger" @click=${this.deleteSelected}>Delete</button>
          <button class="small" @click=${() => (this.editing = undefined)}>Close</button>
        </div>
      </div>`;
    }
    return html`<div class="edit">
      ${e.isNew
        ? html`<input name="listname" placeholder=${kind === 'ioc' ? 'list name, e.g. bad_domains' : 'table name'} autofocus />`
        : html`<div class="mono">${e.name}</div>`}
      ${single}
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
      ${upload}
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
            <span class="dim" data-testid="ioc-list-count" data-count=${l.count}>${fmtCount(l.count)} · ${fmtBytes(l.byteSize)}${l.storage === 'filter' ? ' · filter' : ''}</span>
            <span class="used">${l.usedBy.length ? `used by ${l.usedBy.join(', ')}` : 'not used by any rule'}</span>
          </div>
          ${this.editing?.kind === 'ioc' && this.editing.name === l.name ? this.editor('ioc') : nothing}`,
      )}
      <h4><span>Tables <span class="faint" style="text-transform:none">(utils.inTable)</span></span><button class="small ghost" @click=${() => this.create('table')}>+ New</button></h4>
      ${this.editing?.kind === 'table' && this.editing.isNew ? this.editor('table') : nothing}
      ${tables.length === 0 ? html`<div class="empty">No tables.</div>` : nothing}
      ${tables.map(
        (t) => html`<div class="item" data-testid="table-list" @click=${() => this.open('table', t.name)}>
            <span class="name">${t.name}</span>
            <span class="dim">${fmtCount(t.count)} entries</span>
          </div>
          ${this.editing?.kind === 'table' && this.editing.name === t.name ? this.editor('table') : nothing}`,
      )}
    `;
  }
}

customElements.define('vigil-list-manager', ListManager);
