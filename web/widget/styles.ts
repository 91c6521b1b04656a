import { css } from 'lit';

/** Everything lives in the shadow root; the host page styles the widget through these properties. */
export const styles = css`
  :host {
    --vigil-bg: #ffffff;
    --vigil-panel: #f6f8fa;
    --vigil-border: #d9dee5;
    --vigil-text: #1b2430;
    --vigil-muted: #5b6776;
    --vigil-accent: #1f8a5b;
    --vigil-bar: #cfe9dc;
    --vigil-error: #c62f35;
    --vigil-error-bg: #fdecec;
    --vigil-warn: #a35a00;
    --vigil-row-new: #e7f6ee;
    display: block;
    box-sizing: border-box;
    color: var(--vigil-text);
    background: var(--vigil-bg);
    border: 1px solid var(--vigil-border);
    border-radius: 10px;
    font: 13px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    overflow: hidden;
    min-width: 260px;
    contain: content;
  }
  :host([hidden]) {
    display: none;
  }
  :host([theme='dark']) {
    --vigil-bg: #11161d;
    --vigil-panel: #171e27;
    --vigil-border: #2a3441;
    --vigil-text: #dbe2ea;
    --vigil-muted: #8d9aab;
    --vigil-accent: #4cc38a;
    --vigil-bar: #1f4434;
    --vigil-error: #ff6b6f;
    --vigil-error-bg: #2d1719;
    --vigil-warn: #f5a524;
    --vigil-row-new: #1b3a2c;
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme])) {
      --vigil-bg: #11161d;
      --vigil-panel: #171e27;
      --vigil-border: #2a3441;
      --vigil-text: #dbe2ea;
      --vigil-muted: #8d9aab;
      --vigil-accent: #4cc38a;
      --vigil-bar: #1f4434;
      --vigil-error: #ff6b6f;
      --vigil-error-bg: #2d1719;
      --vigil-warn: #f5a524;
      --vigil-row-new: #1b3a2c;
    }
  }
  * {
    box-sizing: border-box;
  }
  header {
    display: flex;
    align-items: center;
    gap: 8px;
    padding: 10px 14px;
    border-bottom: 1px solid var(--vigil-border);
    background: var(--vigil-panel);
  }
  .title {
    font-weight: 600;
    white-space: nowrap;
  }
  .source {
    margin-left: auto;
    color: var(--vigil-muted);
    font-size: 12px;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    min-width: 0;
  }
  .source.error {
    color: var(--vigil-error);
  }
  .dot {
    flex: none;
    width: 8px;
    height: 8px;
    border-radius: 50%;
    background: var(--vigil-muted);
  }
  .dot.live {
    background: var(--vigil-accent);
    box-shadow: 0 0 0 3px color-mix(in srgb, var(--vigil-accent) 25%, transparent);
  }
  .dot.connecting,
  .dot.reconnecting,
  .dot.loading {
    background: var(--vigil-warn);
  }
  .dot.error {
    background: var(--vigil-error);
  }
  .stats {
    display: grid;
    grid-template-columns: repeat(3, 1fr);
    border-bottom: 1px solid var(--vigil-border);
  }
  .stat {
    padding: 8px 14px;
    display: flex;
    flex-direction: column;
  }
  .stat + .stat {
    border-left: 1px solid var(--vigil-border);
  }
  .stat .n {
    font-size: 20px;
    font-weight: 600;
    font-variant-numeric: tabular-nums;
  }
  .stat .l {
    color: var(--vigil-muted);
    font-size: 11px;
    text-transform: uppercase;
    letter-spacing: 0.04em;
  }
  .rules {
    list-style: none;
    margin: 0;
    padding: 8px 14px;
    display: grid;
    gap: 4px;
    border-bottom: 1px solid var(--vigil-border);
  }
  .rules li {
    position: relative;
    display: flex;
    justify-content: space-between;
    gap: 8px;
    padding: 2px 6px;
    border-radius: 4px;
    overflow: hidden;
  }
  .rules .bar {
    position: absolute;
    inset: 0 auto 0 0;
    background: var(--vigil-bar);
    border-radius: 4px;
    z-index: 0;
    transition: width 0.3s ease;
  }
  .rules .name,
  .rules .count {
    position: relative;
    z-index: 1;
  }
  .rules .name {
    flex: none;
    max-width: 70%;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .rules .why {
    position: relative;
    z-index: 1;
    flex: 1;
    min-width: 0;
    color: var(--vigil-error);
    font-size: 11px;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    align-self: center;
  }
  .rules .count {
    font-variant-numeric: tabular-nums;
    font-weight: 600;
  }
  .rules li.deactivated .name {
    color: var(--vigil-error);
    text-decoration: line-through;
  }
  .alerts {
    list-style: none;
    margin: 0;
    padding: 0;
    max-height: var(--vigil-alerts-height, 320px);
    overflow-y: auto;
  }
  .alert {
    display: grid;
    grid-template-columns: auto 1fr auto;
    grid-template-areas: 'time rule sev' 'time summary summary';
    column-gap: 10px;
    padding: 7px 14px;
    border-bottom: 1px solid var(--vigil-border);
    animation: arrive 1.2s ease-out;
  }
  .alert:last-child {
    border-bottom: none;
  }
  .alert.system .rule {
    color: var(--vigil-error);
  }
  @keyframes arrive {
    from {
      background: var(--vigil-row-new);
    }
    to {
      background: transparent;
    }
  }
  .alert .time {
    grid-area: time;
    color: var(--vigil-muted);
    font-variant-numeric: tabular-nums;
    font-size: 12px;
    padding-top: 1px;
  }
  .alert .rule {
    grid-area: rule;
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .alert .summary {
    grid-area: summary;
    color: var(--vigil-muted);
    font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .backfill {
    font-size: 0.75em;
    padding: 0 4px;
    border-radius: 3px;
    border: 1px dashed currentColor;
    opacity: 0.75;
  }
  .sev {
    grid-area: sev;
    align-self: start;
    font-size: 10px;
    font-weight: 700;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    padding: 1px 6px;
    border-radius: 999px;
    color: #fff;
    background: #6b7785;
  }
  .sev.critical {
    background: #d93036;
  }
  .sev.high {
    background: #e5600f;
  }
  .sev.medium {
    background: #d99a0b;
    color: #1b1300;
  }
  .sev.low {
    background: #2f86c8;
  }
  .empty,
  .message {
    padding: 22px 14px;
    color: var(--vigil-muted);
    text-align: center;
  }
  .message.error {
    color: var(--vigil-error);
    background: var(--vigil-error-bg);
    text-align: left;
  }
  .message strong {
    display: block;
    margin-bottom: 4px;
  }
  .diagnostics {
    list-style: none;
    margin: 0;
    padding: 10px 14px;
    background: var(--vigil-error-bg);
    display: grid;
    gap: 10px;
  }
  .diagnostics .head {
    color: var(--vigil-error);
    font-weight: 600;
  }
  .diagnostics .where {
    font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  }
  .diagnostics pre {
    margin: 4px 0 0;
    padding: 6px 8px;
    border-radius: 4px;
    background: var(--vigil-bg);
    color: var(--vigil-text);
    font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    overflow-x: auto;
  }
  footer {
    display: flex;
    gap: 12px;
    padding: 6px 14px;
    color: var(--vigil-muted);
    font-size: 11px;
    border-top: 1px solid var(--vigil-border);
    background: var(--vigil-panel);
  }
  footer .warn {
    color: var(--vigil-warn);
  }
  .spinner {
    display: inline-block;
    width: 12px;
    height: 12px;
    margin-right: 6px;
    vertical-align: -2px;
    border: 2px solid var(--vigil-border);
    border-top-color: var(--vigil-accent);
    border-radius: 50%;
    animation: spin 0.8s linear infinite;
  }
  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .alert,
    .spinner {
      animation: none;
    }
  }
`;
