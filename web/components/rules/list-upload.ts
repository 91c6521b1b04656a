/**
 * Upload a text or CSV file into an IOC list or table: a file input and a drop zone, the CSV
 * options (column, header row), replace or add, and a progress bar of the bytes the worker read.
 * The File goes to the worker as a Blob (no copy of its text); the worker streams it in batches.
 */
import * as Comlink from 'comlink';
import { LitElement, css, html, nothing } from 'lit';
import type { ListUploadProgress, ListUploadResult } from '../../../src/runtime/worker/protocol.js';
import { fmtBytes, fmtCount } from '../../lib/format.js';
import { columnOption, headerOption, uploadPercent } from '../../lib/list-upload.js';
import { StoreController } from '../../state/controller.js';
import { baseStyles } from '../shared/styles.js';

export class ListUpload extends LitElement {
  /**
   * The last upload per list (`kind:name`): the list manager re-renders its editor after an upload
   * (a new list becomes an existing one), and the fresh element still shows how it went.
   */
  private static readonly last = new Map<string, { result: ListUploadResult; label: string }>();
  static override properties = {
    kind: {},
    name: {},
    /** Returns the list's name for a new list (the name field lives in the list manager). */
    resolveName: { attribute: false },
    isNew: { type: Boolean },
    over: { state: true },
    format: { state: true },
    progress: { state: true },
    result: { state: true },
    running: { state: true },
    fileLabel: { state: true },
  };

  declare kind: 'ioc' | 'table';
  declare name: string;
  declare isNew: boolean;
  declare resolveName: (() => string) | undefined;
  declare over: boolean;
  declare format: 'auto' | 'text' | 'csv';
  declare progress: ListUploadProgress | undefined;
  declare result: ListUploadResult | undefined;
  declare running: boolean;
  declare fileLabel: string;
  private readonly data = new StoreController(this, []);

  constructor() {
    super();
    this.kind = 'ioc';
    this.name = '';
    this.isNew = false;
    this.over = false;
    this.format = 'auto';
    this.running = false;
    this.fileLabel = '';
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: 6px;
      }
      .drop {
        display: block;
        border: 1px dashed var(--line-2);
        border-radius: var(--radius);
        padding: 8px;
        font-size: var(--fs-small);
        color: var(--fg-dim);
        cursor: pointer;
      }
      .drop.over {
        border-color: var(--accent);
        background: var(--bg-hover);
      }
      .opts {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: center;
        font-size: var(--fs-small);
      }
      .opts input[type='text'] {
        width: 70px;
      }
      .bar {
        height: 10px;
        background: var(--bg-3);
        border-radius: 5px;
        overflow: hidden;
        border: 1px solid var(--line);
      }
      .bar i {
        display: block;
        height: 100%;
        background: linear-gradient(90deg, #2b6cb0, var(--accent));
        transition: width 0.15s;
      }
      .status {
        display: flex;
        gap: 8px;
        font-size: var(--fs-small);
      }
      .status .grow {
        flex: 1;
      }
      .err {
        color: var(--err);
      }
    `,
  ];

  private value(selector: string): string {
    const el = this.renderRoot.querySelector(selector) as HTMLInputElement | HTMLSelectElement | null;
    return el?.value ?? '';
  }

  private checked(selector: string): boolean {
    return (this.renderRoot.querySelector(selector) as HTMLInputElement | null)?.checked ?? false;
  }

  private async upload(file: File | undefined): Promise<void> {
    if (!file || this.running) return;
    const store = this.data.store;
    const name = this.isNew ? (this.resolveName?.() ?? '').trim() : this.name;
    if (!name) {
      store.toast('error', 'Give the list a name first.');
      return;
    }
    this.running = true;
    this.result = undefined;
    this.fileLabel = `${file.name} · ${fmtBytes(file.size)}`;
    this.progress = { bytesRead: 0, totalBytes: file.size, entries: 0, done: false };
    const onProgress = (p: ListUploadProgress) => {
      if (this.running) this.progress = p;
    };
    const result = await store.run(() =>
      store.api.uploadList(
        this.kind,
        name,
        file,
        {
          fileName: file.name,
          format: this.format,
          column: columnOption(this.value('input[name=column]')),
          header: headerOption(this.value('select[name=header]')),
          replace: this.checked('input[name=replace]'),
        },
        Comlink.proxy(onProgress),
      ),
    );
    this.running = false;
    if (!result) {
      this.progress = undefined;
      return;
    }
    this.result = result;
    this.progress = result;
    ListUpload.last.set(`${result.kind}:${result.name}`, { result, label: this.fileLabel });
    if (result.error) store.toast('error', `Upload of ${file.name} stopped: ${result.error}`);
    else store.toast('info', `${name}: ${fmtCount(result.added)} entries added, ${fmtCount(result.count)} in the list`);
    this.dispatchEvent(new CustomEvent('uploaded', { detail: result, bubbles: true, composed: true }));
  }

  override willUpdate(): void {
    if (!this.progress && !this.running) {
      const last = ListUpload.last.get(`${this.kind}:${this.name}`);
      if (last) {
        this.result = last.result;
        this.progress = last.result;
        this.fileLabel = last.label;
      }
    }
  }

  override render() {
    const pct = uploadPercent(this.progress);
    const csv = this.format === 'csv' || (this.format === 'auto' && /\.(csv|tsv)\b/i.test(this.fileLabel));
    const r = this.result;
    return html`
      <label
        class="drop ${this.over ? 'over' : ''}"
        data-testid="list-drop"
        @dragover=${(e: DragEvent) => {
          e.preventDefault();
          this.over = true;
        }}
        @dragleave=${() => (this.over = false)}
        @drop=${(e: DragEvent) => {
          e.preventDefault();
          this.over = false;
          void this.upload(e.dataTransfer?.files?.[0]);
        }}
      >
        <b>Upload a file</b>: drop a text file (one entry a line, # comments) or a CSV here, or click to choose one.
        <input
          type="file"
          data-testid="list-file"
          accept=".txt,.csv,.tsv,.list,.ioc,text/plain,text/csv"
          style="display:none"
          ?disabled=${this.running}
          @change=${(e: Event) => {
            const input = e.target as HTMLInputElement;
            void this.upload(input.files?.[0]).finally(() => (input.value = ''));
          }}
        />
      </label>
      <div class="opts">
        <label>format
          <select name="format" @change=${(e: Event) => (this.format = (e.target as HTMLSelectElement).value as 'auto' | 'text' | 'csv')}>
            <option value="auto">by name</option>
            <option value="text">text</option>
            <option value="csv">CSV</option>
          </select></label
        >
        <label title="CSV: the column number (1 = first) or its header name">column <input type="text" name="column" placeholder="1" ?disabled=${this.format === 'text'} /></label>
        <label>header row
          <select name="header" ?disabled=${this.format === 'text'}>
            <option value="auto">detect</option>
            <option value="yes">yes</option>
            <option value="no">no</option>
          </select></label
        >
        ${this.isNew ? nothing : html`<label title="Replace the entries instead of adding to them"><input type="checkbox" name="replace" /> replace</label>`}
      </div>
      ${this.progress
        ? html`<div class="bar" role="progressbar" data-testid="upload-progress" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}><i style="width:${pct}%"></i></div>
            <div class="status">
              <span class="grow dim">${this.fileLabel}${csv && r?.header ? html` · header: ${r.header.join(', ')}` : nothing}</span>
              <span data-testid="upload-percent">${pct}%</span>
            </div>`
        : nothing}
      ${r
        ? html`<div class="status" data-testid="upload-result" data-count=${r.count}>
            <span class="grow">${fmtCount(r.added)} added · <b>${fmtCount(r.count)}</b> in the list · ${fmtCount(r.lines)} lines, ${fmtCount(r.skipped)} skipped${r.storage === 'filter' ? ' · kept as a filter' : ''}</span>
            <span class="dim">${(r.ms / 1000).toFixed(1)} s</span>
          </div>
          ${r.error ? html`<div class="err">${r.error}</div>` : nothing}`
        : this.progress && !this.progress.done
          ? html`<div class="status dim">${fmtCount(this.progress.entries)} entries read…</div>`
          : nothing}
    `;
  }
}

customElements.define('vigil-list-upload', ListUpload);
