/** The Rules view: rule list | editor with diagnostics | details, history, IOC lists. */
import { LitElement, css, html, nothing } from 'lit';
import type { Diagnostic } from '../../../src/lang/diagnostic.js';
import type { RuleHistoryEntry } from '../../../src/runtime/worker/protocol.js';
import { formatRoute, type Route } from '../../lib/router.js';
import { StoreController } from '../../state/controller.js';
import { baseStyles } from '../shared/styles.js';
import './list-manager.js';
import './rule-details.js';
import './rule-editor.js';
import type { RuleEditor } from './rule-editor.js';
import './rule-history.js';
import './rule-list.js';

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
  };

  declare route: Route;
  declare tab: Tab;
  declare drafts: Map<string, string>;
  declare history: RuleHistoryEntry[];
  declare removed: string[];
  declare applyDiagnostics: Diagnostic[];
  declare applying: boolean;
  declare confirmDelete: boolean;
  private readonly data = new StoreController(this, ['rules', 'metrics', 'lists']);
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
        flex: 1;
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
        :host > :nth-child(2) {
          height: 75vh;
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
  }

  private async apply(): Promise<void> {
    if (this.applying) return;
    const text = this.editorText;
    const key = this.selectedKey;
    const store = this.data.store;
    this.applying = true;
    const result = await store.run(() => store.api.putRules(text, { author: store.author, file: 'editor.vgl' }));
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
      void this.apply();
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
          <button class="primary" data-testid="apply" ?disabled=${this.applying} @click=${this.apply} title="Apply (Ctrl+Enter)">
            Apply <kbd style="color:inherit;border-color:rgba(255,255,255,.4)">Ctrl ↵</kbd>
          </button>
        </div>
        <vigil-rule-editor
          .text=${this.editorText}
          .iocLists=${store.iocLists.map((l) => l.name)}
          .extraDiagnostics=${this.applyDiagnostics}
          @vgl-input=${this.onInput}
          @vgl-apply=${() => void this.apply()}
        ></vigil-rule-editor>
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
          ${this.tab === 'details'
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

  /** Focus the editor (used by the shell after navigation). */
  focusEditor(): void {
    (this.renderRoot.querySelector('vigil-rule-editor') as RuleEditor | null)?.focus();
  }
}

customElements.define('vigil-rules-view', RulesView);
