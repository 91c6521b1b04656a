/**
 * The VGL editor: a textarea over a highlighted copy of its text. Highlighting comes from src/lang's
 * `tokenize` (the parser's own lexer); diagnostics from `compileCheck` as you type, shown as wavy
 * underlines at their line:column, a gutter mark, the message at the end of the line, and in the
 * problems list below. The check runs in a worker (web/lib/rule-check.ts): for the default rules it
 * is 70–100 ms of CPU, a long task on the page. Its answer is shown only if the text is still the one
 * checked; until it comes the previous markers stay and the problems list says "checking".
 * Ctrl/Cmd+Enter (or Ctrl/Cmd+S) checks at once and asks to apply (the preview compiles the draft
 * itself and refuses one with errors).
 *
 * Sigma YAML (`language` 'sigma') is shown plain and checked by the worker (`extraDiagnostics`);
 * a file dropped on the editor replaces the text (`rule-file`, detail: { name, text }).
 *
 * Events: `vgl-input` (detail: text), `vgl-apply` (detail: text), `vgl-revert`, `rule-file`.
 */
import { LitElement, css, html, nothing } from 'lit';
import { live } from 'lit/directives/live.js';
import { tokenize } from '../../../src/lang/index.js';
import type { Diagnostic } from '../../../src/lang/diagnostic.js';
import { highlight, segmentLines } from '../../lib/highlight.js';
import { checkVgl, tokenizeVgl } from '../../lib/rule-check.js';
import { diagnosticsToMarkers, lineStarts, markersByLine, offsetOf, type Marker } from '../../lib/markers.js';
import { baseStyles } from '../shared/styles.js';

const CHECK_DELAY_MS = 120;

type Tokens = ReturnType<typeof tokenize>;
/** Lexed rule texts shared by the editors (by language and text), the most recent last. */
const lexedTexts = new Map<string, Tokens>();
const LEXED_TEXTS = 8;

/** Keeps a text's tokens in the shared cache (the LEXED_TEXTS most recent). */
function remember(language: string, text: string, tokens: Tokens): void {
  const key = `${language}\n${text}`;
  lexedTexts.delete(key);
  lexedTexts.set(key, tokens);
  if (lexedTexts.size > LEXED_TEXTS) lexedTexts.delete(lexedTexts.keys().next().value!);
}
/** The last check made by any editor: its text, lists and language, and its diagnostics. */
let lastCheck: { key: string; diagnostics: Diagnostic[] } | undefined;

export class RuleEditor extends LitElement {
  static override properties = {
    text: { type: String },
    // The parent passes fresh arrays on every render (4 a second while the engine runs): only a
    // different content is a change, else each render would re-check the whole text.
    iocLists: { attribute: false, hasChanged: (a?: readonly string[], b?: readonly string[]) => !sameItems(a, b) },
    extraDiagnostics: { attribute: false, hasChanged: (a?: readonly Diagnostic[], b?: readonly Diagnostic[]) => !sameItems(a, b) },
    language: { type: String },
    markers: { state: true },
    checking: { state: true },
  };

  declare text: string;
  /** Names of IOC lists that exist (IOC FILTERS must name one). */
  declare iocLists: string[];
  /** Diagnostics from the last Apply (e.g. compile errors found by the engine). */
  declare extraDiagnostics: Diagnostic[];
  declare markers: Marker[];
  /** A check of the current text is under way (its markers are those of the previous check). */
  declare checking: boolean;
  /** 'sigma': no VGL highlighting or checking (the worker's diagnostics come as extraDiagnostics). */
  declare language: 'vgl' | 'sigma';
  private checkTimer: ReturnType<typeof setTimeout> | undefined;
  private checkedText = '';
  /** Numbers the checks: only the answer to the latest is shown. */
  private checkSeq = 0;
  /** The text as last typed in the textarea. */
  private typedText: string | undefined;
  /** A check waits in the worker: the next one starts when it answers (checks do not queue up). */
  private inFlight = false;
  private checkAgain = false;
  /** The last text's tokens: a render for anything else (markers, lists) does not lex again. */
  private lexed: { text: string; language: string; tokens: Tokens } | undefined;
  /** The text being lexed in the checker's worker, if any. */
  private lexing: string | undefined;

  constructor() {
    super();
    this.text = '';
    this.iocLists = [];
    this.extraDiagnostics = [];
    this.markers = [];
    this.checking = false;
    this.language = 'vgl';
  }

  static override styles = [
    baseStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        --lh: 19px;
        --code-font: 13px/var(--lh) var(--font-mono);
      }
      .scroller {
        flex: 1;
        overflow: auto;
        background: var(--bg);
        display: grid;
        grid-template-columns: auto 1fr;
        align-items: stretch;
        min-height: 0;
      }
      .gutter {
        position: sticky;
        left: 0;
        z-index: 2;
        background: var(--bg-1);
        border-right: 1px solid var(--line);
        padding: 8px 0 40px;
        font: var(--code-font);
        color: var(--fg-faint);
        user-select: none;
        min-height: 100%;
      }
      .gutter div {
        height: var(--lh);
        padding: 0 8px 0 18px;
        text-align: right;
        position: relative;
        min-width: 52px;
      }
      .gutter div.error {
        color: var(--err);
      }
      .gutter div.warning {
        color: var(--warn);
      }
      .gutter div.error::before,
      .gutter div.warning::before {
        content: '';
        position: absolute;
        left: 6px;
        top: 6px;
        width: 7px;
        height: 7px;
        border-radius: 50%;
        background: currentColor;
      }
      .code {
        display: grid;
        min-width: 100%;
        min-height: 100%;
        position: relative;
        cursor: text;
      }
      .code textarea:focus-visible {
        outline: none;
      }
      .hl,
      textarea {
        grid-area: 1 / 1;
        margin: 0;
        border: 0;
        padding: 8px 12px 40px;
        font: var(--code-font);
        white-space: pre;
        tab-size: 2;
        letter-spacing: normal;
        word-spacing: normal;
      }
      .hl {
        pointer-events: none;
        color: var(--fg);
      }
      .hl .line {
        height: var(--lh);
      }
      .hl .line.error {
        background: rgba(242, 85, 90, 0.07);
      }
      .hl .line.warning {
        background: rgba(224, 165, 38, 0.06);
      }
      textarea {
        resize: none;
        overflow: hidden;
        background: transparent;
        color: transparent;
        caret-color: var(--fg);
        outline: none;
        width: 100%;
        height: 100%;
      }
      textarea::selection {
        background: rgba(74, 163, 255, 0.3);
        color: transparent;
      }
      .lens {
        margin-left: 24px;
        font: italic 12px var(--font-ui);
      }
      .lens.error {
        color: var(--err);
      }
      .lens.warning {
        color: var(--warn);
      }
      .m-error {
        text-decoration: underline wavy var(--err);
        text-decoration-skip-ink: none;
        text-underline-offset: 3px;
      }
      .m-warning {
        text-decoration: underline wavy var(--warn);
        text-decoration-skip-ink: none;
        text-underline-offset: 3px;
      }
      .tok-keyword {
        color: var(--tok-keyword);
        font-weight: 600;
      }
      .tok-string {
        color: var(--tok-string);
      }
      .tok-number {
        color: var(--tok-number);
      }
      .tok-comment,
      .js-comment {
        color: var(--tok-comment);
        font-style: italic;
      }
      .tok-identifier {
        color: var(--tok-ident);
      }
      .tok-unit {
        color: var(--tok-unit);
      }
      .tok-punctuation,
      .js-punct {
        color: var(--tok-punct);
      }
      .tok-error {
        color: var(--err);
      }
      .js-keyword {
        color: var(--js-keyword);
      }
      .js-string,
      .js-regex {
        color: var(--tok-string);
      }
      .js-number {
        color: var(--tok-number);
      }
      .js-utils {
        color: var(--js-utils);
      }
      .js-ident {
        color: var(--js-ident);
      }
      .problems {
        flex: none;
        height: 112px;
        overflow: auto;
        border-top: 1px solid var(--line);
        background: var(--bg-1);
        font-size: var(--fs-small);
      }
      .problems .head {
        position: sticky;
        top: 0;
        background: var(--bg-2);
        padding: 4px 10px;
        color: var(--fg-dim);
        text-transform: uppercase;
        letter-spacing: 0.06em;
        font-size: 11px;
        display: flex;
        gap: 12px;
      }
      .problem {
        display: grid;
        grid-template-columns: 16px 64px 1fr auto;
        gap: 6px;
        padding: 2px 10px;
        cursor: pointer;
        align-items: baseline;
      }
      .problem:hover {
        background: var(--bg-hover);
      }
      .problem .pos {
        font-family: var(--font-mono);
        color: var(--fg-dim);
      }
      .problem .icon.error {
        color: var(--err);
      }
      .problem .icon.warning {
        color: var(--warn);
      }
      .problem .code {
        color: var(--fg-faint);
        font-family: var(--font-mono);
      }
      .ok {
        padding: 6px 10px;
        color: var(--ok);
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.scheduleCheck(0);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.checkTimer);
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('text') || changed.has('iocLists') || changed.has('extraDiagnostics') || changed.has('language')) {
      // Text typed here is checked after a pause in typing (onInput); text set from outside at once.
      const typed = this.text === this.typedText && !changed.has('iocLists') && !changed.has('extraDiagnostics') && !changed.has('language');
      if (!typed && (this.text !== this.checkedText || changed.has('iocLists') || changed.has('extraDiagnostics') || changed.has('language'))) this.scheduleCheck(0);
    }
  }

  /** Puts the caret at a 1-based line and column and scrolls there. */
  reveal(line: number, column: number): void {
    const ta = this.textarea;
    if (!ta) return;
    const offset = offsetOf(lineStarts(this.text), this.text.length, line, column);
    ta.focus();
    ta.setSelectionRange(offset, offset);
    const scroller = this.renderRoot.querySelector('.scroller');
    const lh = 19;
    if (scroller) {
      const y = (line - 1) * lh;
      if (y < scroller.scrollTop || y > scroller.scrollTop + scroller.clientHeight - 3 * lh) scroller.scrollTop = Math.max(0, y - 3 * lh);
    }
  }

  override focus(): void {
    this.textarea?.focus();
  }

  private get textarea(): HTMLTextAreaElement | null {
    return this.renderRoot.querySelector('textarea');
  }

  private scheduleCheck(delay = CHECK_DELAY_MS): void {
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => this.check(), delay);
  }

  /**
   * Checks the text as it is now. The same text with the same lists as the last check (the Rules
   * view reopened, or only the worker's diagnostics changed) reuses that check's diagnostics at once;
   * otherwise the worker checks it, and its answer is dropped if the text, the lists or the language
   * changed meanwhile (a later check is then due).
   */
  private async check(): Promise<void> {
    clearTimeout(this.checkTimer);
    if (this.inFlight) {
      this.checkAgain = true;
      return;
    }
    const seq = ++this.checkSeq;
    const text = this.text;
    const language = this.language;
    this.checkedText = text;
    const checkKey = `${language}\n${this.iocLists.join('\n')}\n\n${text}`;
    let diagnostics: Diagnostic[];
    if (lastCheck?.key === checkKey) diagnostics = lastCheck.diagnostics;
    else if (!text.trim() || language === 'sigma') diagnostics = [];
    else {
      this.checking = true;
      this.inFlight = true;
      try {
        diagnostics = await checkVgl(text, 'editor.vgl', this.iocLists);
        lastCheck = { key: checkKey, diagnostics };
      } catch (error) {
        diagnostics = [];
        console.warn('vigil: checking the rules failed', error);
      } finally {
        this.inFlight = false;
      }
      const current = `${this.language}\n${this.iocLists.join('\n')}\n\n${this.text}`;
      if (this.checkAgain || seq !== this.checkSeq || current !== checkKey) {
        // Stale: the text (or its lists, or its language) is no longer what was checked.
        this.checkAgain = false;
        if (this.isConnected) void this.check();
        return;
      }
    }
    this.checking = false;
    // The worker's diagnostics may have changed while this check ran: the latest are added.
    const extra = this.extraDiagnostics.filter(
      (d) => !diagnostics.some((x) => x.line === d.line && x.column === d.column && x.message === d.message),
    );
    this.markers = diagnosticsToMarkers(text, [...diagnostics, ...extra]);
    this.dispatchEvent(new CustomEvent('vgl-markers', { detail: this.markers }));
  }

  private onInput(e: Event): void {
    const ta = e.target as HTMLTextAreaElement;
    this.text = this.typedText = ta.value;
    this.dispatchEvent(new CustomEvent('vgl-input', { detail: this.text }));
    this.scheduleCheck();
  }

  private async onDrop(e: DragEvent): Promise<void> {
    const file = e.dataTransfer?.files?.[0];
    if (!file) return;
    e.preventDefault();
    const text = await file.text();
    this.dispatchEvent(new CustomEvent('rule-file', { detail: { name: file.name, text } }));
  }

  private onKeyDown(e: KeyboardEvent): void {
    const ta = e.target as HTMLTextAreaElement;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && (e.key === 'Enter' || e.key === 's')) {
      e.preventDefault();
      // The markers follow when the check answers; the preview compiles the draft itself.
      void this.check();
      this.dispatchEvent(new CustomEvent('vgl-apply', { detail: this.text }));
      return;
    }
    if (e.key === 'Tab' && !mod && !e.altKey) {
      e.preventDefault();
      const { selectionStart: s, selectionEnd: end, value } = ta;
      if (e.shiftKey) {
        const lineStart = value.lastIndexOf('\n', s - 1) + 1;
        const strip = value.startsWith('  ', lineStart) ? 2 : value.startsWith(' ', lineStart) ? 1 : 0;
        if (strip) {
          ta.setRangeText('', lineStart, lineStart + strip, 'preserve');
          ta.setSelectionRange(Math.max(lineStart, s - strip), Math.max(lineStart, end - strip));
        }
      } else {
        ta.setRangeText('  ', s, end, 'end');
      }
      this.onInput(e);
      return;
    }
    if (e.key === 'Enter' && !mod && !e.shiftKey && !e.altKey) {
      // Keep the indentation of the current line.
      e.preventDefault();
      const { selectionStart: s, selectionEnd: end, value } = ta;
      const lineStart = value.lastIndexOf('\n', s - 1) + 1;
      const indent = /^[ \t]*/.exec(value.slice(lineStart, s))![0];
      ta.setRangeText(`\n${indent}`, s, end, 'end');
      this.onInput(e);
    }
  }

  /**
   * The highlight's tokens. Lexing the default rules takes 30–40 ms: the lexed texts are shared by
   * every editor (an editor made anew, e.g. on a rule's first selection), and a text not lexed yet
   * when the editor is first drawn shows plain until the checker's worker has lexed it (a few ms
   * later), so opening the view runs no long task. While typing, the text is lexed at once (the
   * colours must follow each keystroke).
   */
  private tokens(text: string): Tokens {
    if (this.lexed?.text !== text || this.lexed.language !== this.language) {
      const cached = lexedTexts.get(`${this.language}\n${text}`);
      if (cached) this.lexed = { text, language: this.language, tokens: cached };
      else if (!this.hasUpdated || this.lexing === text) {
        this.lexAway(text);
        return [];
      } else this.lex(text);
    }
    return this.lexed!.tokens;
  }

  /** Lexes `text` in the checker's worker, then redraws if the editor still shows it. */
  private lexAway(text: string): void {
    if (this.lexing === text) return;
    this.lexing = text;
    const language = this.language;
    const lexed = language === 'sigma' ? Promise.resolve<Tokens>([]) : tokenizeVgl(text);
    lexed
      .catch((): Tokens => [])
      .then((tokens) => {
        if (this.lexing === text) this.lexing = undefined;
        remember(language, text, tokens);
        if (this.text === text && this.language === language) {
          this.lexed = { text, language, tokens };
          this.requestUpdate();
        }
      });
  }

  private lex(text: string): void {
    let tokens: Tokens = [];
    try {
      tokens = this.language === 'sigma' ? [] : tokenize(text);
    } catch {
      tokens = [];
    }
    this.lexed = { text, language: this.language, tokens };
    remember(this.language, text, tokens);
  }

  override render() {
    const text = this.text;
    const markers = this.markers;
    const tokens = this.tokens(text);
    const lines = segmentLines(text, highlight(text, tokens, markers));
    const byLine = markersByLine(markers);
    const errors = markers.filter((m) => m.severity === 'error').length;
    const warnings = markers.length - errors;
    return html`
      <div class="scroller" @dragover=${(e: DragEvent) => e.preventDefault()} @drop=${this.onDrop}>
        <div class="gutter" aria-hidden="true">
          ${lines.map((_, i) => {
            const ms = byLine.get(i + 1);
            const sev = ms?.[0]?.severity ?? '';
            return html`<div class=${sev} title=${ms ? ms.map((m) => m.message).join('\n') : ''} data-line=${i + 1}>${i + 1}</div>`;
          })}
        </div>
        <div class="code">
          <div class="hl" aria-hidden="true" data-testid="highlight">${lines.map((segs, i) => {
            const ms = byLine.get(i + 1);
            return html`<div class="line ${ms?.[0]?.severity ?? ''}" data-line=${i + 1}>${segs.map(
              (s) => html`<span class="${s.kind}${s.marker ? ` m-${s.marker}` : ''}">${text.slice(s.start, s.end)}</span>`,
            )}${ms
              ? html`<span class="lens ${ms[0]!.severity}" data-testid="lens">● ${ms[0]!.message}${ms.length > 1 ? ` (+${ms.length - 1})` : ''}</span>`
              : nothing}${segs.length || ms ? nothing : '\u200b'}</div>`;
          })}</div>
          <textarea
            data-testid="rule-textarea"
            spellcheck="false"
            autocapitalize="off"
            autocomplete="off"
            wrap="off"
            aria-label=${this.language === 'sigma' ? 'Rule text (Sigma YAML)' : 'Rule text (VGL)'}
            .value=${live(text)}
            @input=${this.onInput}
            @keydown=${this.onKeyDown}
          ></textarea>
        </div>
      </div>
      <div class="problems" data-testid="problems">
        <div class="head">
          <span>Problems</span>
          <span>${errors} error${errors === 1 ? '' : 's'}</span>
          <span>${warnings} warning${warnings === 1 ? '' : 's'}</span>
          ${this.checking ? html`<span data-testid="checking">checking…</span>` : nothing}
        </div>
        ${markers.length === 0
          ? this.checking
            ? nothing
            : html`<div class="ok">${text.trim() ? '✓ No problems: the rules are ready to apply.' : 'Write a rule, or pick one on the left.'}</div>`
          : markers.map(
              (m) => html`<div class="problem" data-testid="problem" @click=${() => this.reveal(m.line, m.column)}>
                <span class="icon ${m.severity}">${m.severity === 'error' ? '✖' : '▲'}</span>
                <span class="pos">${m.line}:${m.column}</span>
                <span class="msg">${m.message}</span>
                <span class="code">${m.code}</span>
              </div>`,
            )}
      </div>
    `;
  }
}

/** Same length and the same items in order (by identity). */
function sameItems<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((x, i) => x === b[i]);
}

customElements.define('vigil-rule-editor', RuleEditor);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-rule-editor': RuleEditor;
  }
}
