/**
 * The Rules view: rule list | editor with diagnostics and the preview | details, history, IOC lists.
 * A draft (VGL or Sigma YAML, detected or chosen) is checked by the worker on every edit (debounced:
 * the diagnostics are always those of the text shown) and applied only from its preview.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { Diagnostic } from '../../../src/lang/diagnostic.js';
import type { PreviewResult, PreviewRingInfo, PreviewSample, RuleHistoryEntry } from '../../../src/runtime/worker/protocol.js';
import { formatRoute, type Route } from '../../lib/router.js';
import { inHiddenView, WhenShown } from '../../lib/view-visibility.js';
import { StoreController } from '../../state/controller.js';
import { Stages } from '../shared/stages.js';
import { baseStyles } from '../shared/styles.js';
import './list-manager.js';
import './rule-details.js';
import './rule-editor.js';
import type { RuleEditor } from './rule-editor.js';
import './rule-history.js';
import './rule-list.js';
import { detectRuleLanguage, draftFileName, languageOfFileName, type RuleLanguage } from './rule-language.js';
import './rule-preview.js';
import type { RulePreview } from './rule-preview.js';

/** The worker checks the draft this long after the last keystroke. */
const CHECK_DEBOUNCE_MS = 250;
/** How often the live ring's size is refreshed while the view is open. */
const RING_REFRESH_MS = 5000;

const NEW = '\u0000new';

export const NEW_RULE_TEMPLATE = `RULE "new rule"
SOURCES kind = "auth"
FILTER function (event) { return event.outcome == 'failure'; }
SINK function (event) { return { user: event.user, server: event.server, severity: 'low' }; }
`;

type Tab = 'details' | 'history' | 'lists';

export class RulesView extends LitElement {
  static override properties = {
    route: { attribute: false },
    tab: { state: true },
    drafts: { state: true },
    history: { state: true },
    removed: { state: true },
    applyDiagnostics: { state: true },
    applying: { state: true },
    confirmDelete: { state: true },
    checkDiagnostics: { state: true },
    languageChoice: { state: true },
    preview: { state: true },
    previewRunning: { state: true },
    ring: { state: true },
  };

  declare route: Route;
  declare tab: Tab;
  declare drafts: Map<string, string>;
  declare history: RuleHistoryEntry[];
  declare removed: string[];
  declare applyDiagnostics: Diagnostic[];
  declare applying: boolean;
  declare confirmDelete: boolean;
  /** The worker's diagnostics of the text in `checkedFor` (cleared the moment the text changes). */
  declare checkDiagnostics: Diagnostic[];
  declare languageChoice: 'auto' | RuleLanguage;
  declare preview: { result: PreviewResult; for: string } | undefined;
  declare previewRunning: boolean;
  declare ring: PreviewRingInfo | undefined;
  private checkedFor = '';
  private checkRequested = '';
  private checkTimer: ReturnType<typeof setTimeout> | undefined;
  private ringTimer: ReturnType<typeof setInterval> | undefined;
  /** Hidden, the view does not ask for the ring's figures; shown again, it asks at once. */
  private readonly whenShown = new WhenShown(this, () => void this.refreshRing());
  // Live counters redraw at most once a second: the editor re-renders with the view.
  private readonly data = new StoreController(this, ['rules', 'metrics', 'lists'], undefined, { minIntervalMs: 1000 });
  /** 1: the editor, 2: the preview and the details tabs (each in a task of its own). */
  private readonly stages = new Stages(this, 2);
  private historyFor = '';
  private historyRulesVersion = -1;

  constructor() {
    super();
    this.tab = 'details';
    this.drafts = new Map();
    this.history = [];
    this.removed = [];
    this.applyDiagnostics = [];
    this.applying = false;
    this.confirmDelete = false;
    this.checkDiagnostics = [];
    this.languageChoice = 'auto';
    this.previewRunning = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.ringTimer = setInterval(() => void this.refreshRing(), RING_REFRESH_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.ringTimer);
    clearTimeout(this.checkTimer);
  }

  private async refreshRing(): Promise<void> {
    const store = this.data.store;
    if (store.status !== 'ready' || inHiddenView(this)) return;
    this.ring = await store.api.previewRing().catch(() => this.ring);
  }

  /** The draft's language: chosen, or detected from the text. */
  get language(): RuleLanguage {
    return this.languageChoice === 'auto' ? detectRuleLanguage(this.editorText) : this.languageChoice;
  }

  private get fileName(): string {
    return draftFileName(this.language);
  }

  /** What a check or a preview is for: the file name (language) and the text. */
  private get draftId(): string {
    return `${this.fileName}\n${this.editorText}`;
  }

  /** Checks the draft in the worker after a pause in typing; an answer for older text is dropped. */
  private scheduleCheck(): void {
    const id = this.draftId;
    if (id === this.checkRequested) return;
    this.checkRequested = id;
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(async () => {
      const store = this.data.store;
      if (store.status !== 'ready') {
        this.checkRequested = '';
        return;
      }
      const [file, text] = [this.fileName, this.editorText];
      const diagnostics = await store.api.checkRules(text, file).catch((error: unknown) => [
        { severity: 'error' as const, code: 'check', message: `could not check: ${error instanceof Error ? error.message : String(error)}`, file, line: 1, column: 1, endLine: 1, endColumn: 1, excerpt: '' },
      ]);
      if (`${file}\n${text}` !== this.draftId) return;
      this.checkedFor = `${file}\n${text}`;
      this.checkDiagnostics = diagnostics;
    }, CHECK_DEBOUNCE_MS);
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: grid;
        grid-template-columns: 270px minmax(0, 1fr) 340px;
        gap: 8px;
        padding: 8px;
        height: 100%;
        min-height: 0;
      }
      .panel {
        display: flex;
        flex-direction: column;
        overflow: hidden;
      }
      .toolbar {
        display: flex;
        align-items: center;
        gap: 6px;
        height: 40px;
        padding: 0 8px;
        border-bottom: 1px solid var(--line);
        flex: none;
      }
      .toolbar .title {
        flex: 1;
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        font-weight: 500;
      }
      .toolbar .state {
        font-size: var(--fs-small);
        color: var(--fg-dim);
        white-space: nowrap;
      }
      .toolbar .state.dirty {
        color: var(--warn);
      }
      vigil-rule-editor {
        flex: 3 1 0;
        min-height: 160px;
      }
      vigil-rule-preview {
        flex: 2 1 0;
        min-height: 180px;
      }
      .tabs {
        display: flex;
        border-bottom: 1px solid var(--line);
        flex: none;
      }
      .tabs button {
        flex: 1;
        border: 0;
        border-radius: 0;
        height: 32px;
        background: transparent;
        color: var(--fg-dim);
        border-bottom: 2px solid transparent;
        font-size: var(--fs-small);
        text-transform: uppercase;
        letter-spacing: 0.06em;
      }
      .tabs button[aria-selected='true'] {
        color: var(--fg);
        border-bottom-color: var(--accent);
      }
      .tabbody {
        flex: 1;
        min-height: 0;
        display: flex;
        flex-direction: column;
        overflow: hidden;
      }
      .tabbody > * {
        flex: 1;
        min-height: 0;
      }
      .author {
        display: flex;
        align-items: center;
        gap: 4px;
        font-size: var(--fs-small);
        color: var(--fg-dim);
      }
      .author input {
        width: 90px;
        height: 22px;
        font-size: var(--fs-small);
      }
      /* Responsive layout (web-layout): under 1100 px the details go under the editor; under 800 px
         list, editor and details stack and the page scrolls. */
      @media (max-width: 1100px) {
        :host {
          grid-template-columns: 220px minmax(0, 1fr);
          grid-template-rows: minmax(0, 1.4fr) minmax(0, 1fr);
        }
        :host > :nth-child(n + 3) {
          grid-column: 1 / -1;
        }
      }
      @media (max-width: 799.98px) {
        :host {
          grid-template-columns: minmax(0, 1fr);
          grid-template-rows: none;
          grid-auto-rows: auto;
          height: auto;
        }
        .toolbar {
          flex-wrap: wrap;
          height: auto;
          padding: 4px 8px;
        }
        :host > * {
          grid-column: 1 / -1;
        }
        :host > :first-child {
          max-height: 40vh;
        }
        /* The editor and the preview each get a screen's worth of their own, one under the other
           (sharing one panel left the preview's results a strip of ~80 px on a phone). */
        :host > :nth-child(2) {
          height: auto;
        }
        vigil-rule-editor {
          flex: none;
          height: 55vh;
          min-height: 320px;
        }
        vigil-rule-preview {
          flex: none;
          height: 85vh;
          min-height: 420px;
        }
      }
    `,
  ];

  private get selectedKey(): string {
    if (this.route?.item === 'new') return NEW;
    if (this.route?.item) return this.route.item;
    return this.data.store.rules[0]?.name ?? NEW;
  }

  private get appliedText(): string | undefined {
    const key = this.selectedKey;
    if (key === NEW) return undefined;
    const rule = this.data.store.rules.find((r) => r.name === key);
    if (rule) return rule.text;
    return [...this.history].reverse().find((v) => v.text)?.text;
  }

  private get editorText(): string {
    return this.drafts.get(this.selectedKey) ?? this.appliedText ?? NEW_RULE_TEMPLATE;
  }

  private get isDirty(): boolean {
    const draft = this.drafts.get(this.selectedKey);
    return draft !== undefined && draft !== (this.appliedText ?? (this.selectedKey === NEW ? NEW_RULE_TEMPLATE : undefined));
  }

  override willUpdate(): void {
    this.scheduleCheck();
    const key = this.selectedKey;
    const store = this.data.store;
    const rulesVersion = store.metrics?.rulesVersion ?? 0;
    if (store.status === 'ready' && (key !== this.historyFor || rulesVersion !== this.historyRulesVersion)) {
      const changedRule = key !== this.historyFor;
      this.historyFor = key;
      this.historyRulesVersion = rulesVersion;
      if (changedRule) {
        this.applyDiagnostics = [];
        this.confirmDelete = false;
      }
      void this.loadHistory(key);
    }
  }

  private async loadHistory(key: string): Promise<void> {
    const api = this.data.store.api;
    const [history, removed] = await Promise.all([key === NEW ? Promise.resolve([]) : api.history(key), api.removedRules()]);
    if (key !== this.selectedKey) return;
    this.history = history;
    this.removed = removed;
  }

  private select(name: string): void {
    location.hash = formatRoute({ view: 'rules', item: name });
  }

  private onInput(e: CustomEvent<string>): void {
    const drafts = new Map(this.drafts);
    drafts.set(this.selectedKey, e.detail);
    this.drafts = drafts;
    // Diagnostics of another text are stale the moment it changes: the worker's check follows.
    this.applyDiagnostics = [];
  }

  /** A file dropped on the editor: its text becomes the draft, its name may say the language. */
  private onFile(e: CustomEvent<{ name: string; text: string }>): void {
    const language = languageOfFileName(e.detail.name);
    this.languageChoice = language ?? 'auto';
    this.onInput(new CustomEvent('vgl-input', { detail: e.detail.text }));
  }

  private async runPreview(sample: PreviewSample): Promise<void> {
    if (this.previewRunning) return;
    const store = this.data.store;
    const [text, file, id] = [this.editorText, this.fileName, this.draftId];
    this.previewRunning = true;
    try {
      const result = await store.run(() => store.api.previewRules(text, file, sample));
      if (result) this.preview = { result, for: id };
      if (sample.kind === 'live') void this.refreshRing();
    } finally {
      this.previewRunning = false;
    }
  }

  private async saveRing(minutes: number): Promise<void> {
    const store = this.data.store;
    const text = await store.run(() => store.api.previewRingSample(minutes));
    if (text === undefined) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
    a.download = `vigil-live-${minutes}min.jsonl`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  private get previewStale(): boolean {
    return !!this.preview && this.preview.for !== this.draftId;
  }

  private async apply(): Promise<void> {
    if (this.applying) return;
    // Only from a preview of the text as it is now.
    if (!this.preview || this.previewStale || !this.preview.result.ok) return;
    const text = this.editorText;
    const file = this.fileName;
    const key = this.selectedKey;
    const store = this.data.store;
    this.applying = true;
    const result = await store.run(() => store.api.putRules(text, { author: store.author, file }));
    this.applying = false;
    if (!result) return;
    if (!result.ok) {
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      this.applyDiagnostics = result.diagnostics;
      store.toast('error', `Not applied: ${errors.length} error${errors.length === 1 ? '' : 's'} (${errors[0]?.line}:${errors[0]?.column} ${errors[0]?.message ?? ''})`);
      return;
    }
    this.applyDiagnostics = [];
    const drafts = new Map(this.drafts);
    drafts.delete(key);
    this.drafts = drafts;
    const names = [...result.added, ...result.replaced];
    const parts = [];
    if (result.added.length) parts.push(`added ${result.added.map((n) => `"${n}"`).join(', ')}`);
    if (result.replaced.length) parts.push(`replaced ${result.replaced.map((n) => `"${n}"`).join(', ')}`);
    store.toast('info', parts.length ? `Applied: ${parts.join('; ')}` : 'Applied: no change');
    await store.refreshRules();
    if (names.length && !names.includes(key)) this.select(names[0]!);
    else this.historyRulesVersion = -1;
    this.requestUpdate();
  }

  private revert(): void {
    const drafts = new Map(this.drafts);
    drafts.delete(this.selectedKey);
    this.drafts = drafts;
    this.applyDiagnostics = [];
  }

  private async toggleEnabled(): Promise<void> {
    const key = this.selectedKey;
    const rule = this.data.store.rules.find((r) => r.name === key);
    if (!rule) return;
    const enable = rule.state !== 'active';
    const store = this.data.store;
    await store.run(() => store.api.setRuleEnabled(key, enable, store.author), `${enable ? 'Enabled' : 'Disabled'} "${key}"`);
    await store.refreshRules();
  }

  private async deleteSelected(): Promise<void> {
    if (!this.confirmDelete) {
      this.confirmDelete = true;
      setTimeout(() => (this.confirmDelete = false), 4000);
      return;
    }
    this.confirmDelete = false;
    const key = this.selectedKey;
    const store = this.data.store;
    await store.run(() => store.api.removeRule(key, store.author), `Removed "${key}"`);
    await store.refreshRules();
    this.historyRulesVersion = -1;
    this.requestUpdate();
  }

  private async restore(e: CustomEvent<number>): Promise<void> {
    const key = this.selectedKey;
    const store = this.data.store;
    const result = await store.run(() => store.api.revertRule(key, e.detail, store.author));
    if (!result) return;
    if (!result.ok) {
      store.toast('error', `Could not restore v${e.detail}: ${result.diagnostics[0]?.message ?? 'error'}`);
      return;
    }
    store.toast('info', `Restored "${key}" to v${e.detail}`);
    const drafts = new Map(this.drafts);
    drafts.delete(key);
    this.drafts = drafts;
    await store.refreshRules();
    this.historyRulesVersion = -1;
    this.requestUpdate();
  }

  private onKey(e: KeyboardEvent): void {
    if (e.defaultPrevented) return;
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault();
      this.previewPanel?.run();
    }
  }

  override render() {
    const store = this.data.store;
    const key = this.selectedKey;
    const rule = store.rules.find((r) => r.name === key);
    const isRemoved = key !== NEW && !rule;
    const dirty = this.isDirty;
    const dirtySet = new Set([...this.drafts.keys()].filter((k) => k !== NEW));
    const current = this.history[this.history.length - 1];
    return html`
      <section class="panel" aria-label="Rules">
        <div class="panel-head">
          <span class="grow">Rules · ${store.rules.length}</span>
          <button class="ghost" data-testid="new-rule" title="New rule" @click=${() => this.select('new')}>+ New</button>
        </div>
        <vigil-rule-list
          style="flex:1;min-height:0"
          .rules=${store.rules}
          .metrics=${store.metrics}
          .selected=${key}
          .dirty=${dirtySet}
          .removed=${this.removed}
          @rule-select=${(e: CustomEvent<string>) => this.select(e.detail)}
        ></vigil-rule-list>
      </section>
      <section class="panel" aria-label="Editor" @keydown=${this.onKey}>
        <div class="toolbar">
          <span class="title" data-testid="editor-title">${key === NEW ? 'New rule' : key}${isRemoved ? html` <span class="pill disabled">removed</span>` : nothing}</span>
          <span class="state ${dirty ? 'dirty' : ''}">${dirty ? '● unapplied edits' : key === NEW ? 'draft' : 'applied'}</span>
          <label class="author" title="Recorded in the rule history">as
            <input .value=${store.author} @change=${(e: Event) => store.setAuthor((e.target as HTMLInputElement).value)} />
          </label>
          <button ?disabled=${!dirty} @click=${this.revert} title="Discard the edits">Revert</button>
          ${rule
            ? html`<button @click=${this.toggleEnabled} data-testid="toggle-rule">${rule.state === 'active' ? 'Disable' : 'Enable'}</button>
                <button class="danger" @click=${this.deleteSelected}>${this.confirmDelete ? 'Confirm delete' : 'Delete'}</button>`
            : nothing}
          <select data-testid="rule-language" aria-label="Rule language" title="The draft's language"
            @change=${(e: Event) => (this.languageChoice = (e.target as HTMLSelectElement).value as 'auto' | RuleLanguage)}>
            <option value="auto" ?selected=${this.languageChoice === 'auto'}>Auto (${detectRuleLanguage(this.editorText) === 'sigma' ? 'Sigma' : 'VGL'})</option>
            <option value="vgl" ?selected=${this.languageChoice === 'vgl'}>VGL</option>
            <option value="sigma" ?selected=${this.languageChoice === 'sigma'}>Sigma YAML</option>
          </select>
        </div>
        ${this.stages.ready(1)
          ? html`<vigil-rule-editor
          .text=${this.editorText}
          .language=${this.language}
          .iocLists=${store.iocLists.map((l) => l.name)}
          .extraDiagnostics=${[...(this.checkedFor === this.draftId ? this.checkDiagnostics : []), ...this.applyDiagnostics]}
          @vgl-input=${this.onInput}
          @rule-file=${this.onFile}
          @vgl-apply=${() => this.previewPanel?.run()}
        ></vigil-rule-editor>`
          : html`<div style="flex:1"></div>`}
        ${this.stages.ready(2)
          ? html`<vigil-rule-preview
          .result=${this.preview?.result}
          .stale=${this.previewStale}
          .running=${this.previewRunning}
          .applying=${this.applying}
          .ring=${this.ring}
          @preview-run=${(e: CustomEvent<PreviewSample>) => void this.runPreview(e.detail)}
          @preview-apply=${() => void this.apply()}
          @preview-ring-save=${(e: CustomEvent<number>) => void this.saveRing(e.detail)}
        ></vigil-rule-preview>`
          : nothing}
      </section>
      <section class="panel" aria-label="Rule details">
        <div class="tabs" role="tablist">
          ${(['details', 'history', 'lists'] as const).map(
            (t) => html`<button role="tab" aria-selected=${this.tab === t ? 'true' : 'false'} @click=${() => (this.tab = t)}>
              ${t === 'lists' ? 'IOC lists' : t}${t === 'history' && this.history.length ? ` · ${this.history.length}` : ''}
            </button>`,
          )}
        </div>
        <div class="tabbody">
          ${!this.stages.ready(2)
            ? nothing
            : this.tab === 'details'
            ? html`<vigil-rule-details .rule=${rule} .metrics=${store.metrics}></vigil-rule-details>`
            : this.tab === 'history'
              ? html`<vigil-rule-history
                  .versions=${this.history}
                  .current=${rule ? (current?.version ?? 0) : 0}
                  @rule-restore=${this.restore}
                ></vigil-rule-history>`
              : html`<vigil-list-manager></vigil-list-manager>`}
        </div>
      </section>
    `;
  }

  private get previewPanel(): RulePreview | null {
    return this.renderRoot.querySelector('vigil-rule-preview');
  }

  /** Focus the editor (used by the shell after navigation). */
  focusEditor(): void {
    (this.renderRoot.querySelector('vigil-rule-editor') as RuleEditor | null)?.focus();
  }
}

customElements.define('vigil-rules-view', RulesView);
