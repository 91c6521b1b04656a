/** A read-only, coloured, pretty-printed JSON value. */
import { LitElement, css, html, type TemplateResult } from 'lit';
import { baseStyles } from './styles.js';

export class JsonView extends LitElement {
  static override properties = { value: { attribute: false } };
  declare value: unknown;

  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        font: 12px/17px var(--font-mono);
        white-space: pre;
        overflow: auto;
      }
      .k {
        color: var(--tok-ident);
      }
      .s {
        color: var(--tok-string);
      }
      .n {
        color: var(--tok-number);
      }
      .b {
        color: var(--tok-keyword);
      }
      .p {
        color: var(--fg-faint);
      }
    `,
  ];

  override render() {
    return html`${this.node(this.value, '')}`;
  }

  private node(v: unknown, indent: string): TemplateResult {
    if (v === null || v === undefined) return html`<span class="b">null</span>`;
    if (typeof v === 'string') return html`<span class="s">${JSON.stringify(v)}</span>`;
    if (typeof v === 'number') return html`<span class="n">${String(v)}</span>`;
    if (typeof v === 'boolean') return html`<span class="b">${String(v)}</span>`;
    const inner = `${indent}  `;
    if (Array.isArray(v)) {
      if (!v.length) return html`<span class="p">[]</span>`;
      return html`<span class="p">[</span>\n${v.map((x, i) => html`${inner}${this.node(x, inner)}${i < v.length - 1 ? html`<span class="p">,</span>` : ''}\n`)}${indent}<span class="p">]</span>`;
    }
    if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (!entries.length) return html`<span class="p">{}</span>`;
      return html`<span class="p">{</span>\n${entries.map(
        ([k, x], i) => html`${inner}<span class="k">${JSON.stringify(k)}</span><span class="p">: </span>${this.node(x, inner)}${i < entries.length - 1 ? html`<span class="p">,</span>` : ''}\n`,
      )}${indent}<span class="p">}</span>`;
    }
    return html`${String(v)}`;
  }
}

customElements.define('vigil-json', JsonView);
