/** Styles shared by the components: controls, panels, tables, pills. */
import { css } from 'lit';

export const baseStyles = css`
  :host {
    box-sizing: border-box;
    font: var(--fs) / 1.4 var(--font-ui);
    color: var(--fg);
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  ::-webkit-scrollbar {
    width: 10px;
    height: 10px;
  }
  ::-webkit-scrollbar-thumb {
    background: var(--line-2);
    border-radius: 5px;
    border: 2px solid transparent;
    background-clip: padding-box;
  }
  ::-webkit-scrollbar-track,
  ::-webkit-scrollbar-corner {
    background: transparent;
  }
  button,
  input,
  select,
  textarea {
    font: inherit;
    color: inherit;
  }
  button {
    background: var(--bg-3);
    border: 1px solid var(--line-2);
    border-radius: var(--radius);
    padding: 3px 10px;
    height: 26px;
    cursor: pointer;
    white-space: nowrap;
  }
  button:hover:not(:disabled) {
    background: var(--bg-hover);
    border-color: var(--fg-faint);
  }
  button:focus-visible,
  input:focus-visible,
  select:focus-visible,
  textarea:focus-visible {
    outline: 2px solid var(--accent);
    outline-offset: -1px;
  }
  button:disabled {
    opacity: 0.45;
    cursor: default;
  }
  button.primary {
    background: var(--accent-2);
    border-color: var(--accent);
    color: #fff;
  }
  button.primary:hover:not(:disabled) {
    background: var(--accent);
  }
  button.danger:hover:not(:disabled) {
    border-color: var(--err);
    color: var(--err);
  }
  button.ghost {
    background: transparent;
    border-color: transparent;
  }
  input,
  select {
    background: var(--bg-1);
    border: 1px solid var(--line-2);
    border-radius: var(--radius);
    height: 26px;
    padding: 2px 8px;
  }
  input[type='checkbox'] {
    height: auto;
    accent-color: var(--accent);
  }
  input[type='range'] {
    padding: 0;
    border: 0;
    background: transparent;
    accent-color: var(--accent);
  }
  kbd {
    font: 11px var(--font-mono);
    color: var(--fg-dim);
    border: 1px solid var(--line-2);
    border-bottom-width: 2px;
    border-radius: 3px;
    padding: 0 4px;
  }
  .mono {
    font-family: var(--font-mono);
  }
  .dim {
    color: var(--fg-dim);
  }
  .faint {
    color: var(--fg-faint);
  }
  .num {
    font-variant-numeric: tabular-nums;
    text-align: right;
  }
  .panel {
    background: var(--bg-1);
    border: 1px solid var(--line);
    border-radius: var(--radius);
    min-width: 0;
    min-height: 0;
  }
  .panel-head {
    display: flex;
    align-items: center;
    gap: 8px;
    height: 32px;
    padding: 0 10px;
    border-bottom: 1px solid var(--line);
    font-size: var(--fs-small);
    text-transform: uppercase;
    letter-spacing: 0.06em;
    color: var(--fg-dim);
    flex: none;
  }
  .panel-head .grow {
    flex: 1;
  }
  .empty {
    padding: 24px 16px;
    color: var(--fg-faint);
    text-align: center;
  }
  .pill {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    font-size: 11px;
    line-height: 16px;
    padding: 0 6px;
    border-radius: 8px;
    border: 1px solid currentColor;
    white-space: nowrap;
  }
  .pill.active {
    color: var(--ok);
  }
  .pill.disabled {
    color: var(--fg-dim);
  }
  .pill.deactivated,
  .pill.error {
    color: var(--err);
  }
  .pill.warning {
    color: var(--warn);
  }
  .sev {
    display: inline-block;
    min-width: 56px;
    font-size: 11px;
    text-transform: uppercase;
    letter-spacing: 0.04em;
  }
  .sev-critical {
    color: var(--crit);
  }
  .sev-high {
    color: var(--high);
  }
  .sev-medium {
    color: var(--med);
  }
  .sev-low,
  .sev-info {
    color: var(--low);
  }
  table.grid {
    width: 100%;
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
  }
  table.grid th {
    position: sticky;
    top: 0;
    background: var(--bg-2);
    color: var(--fg-dim);
    font-weight: 500;
    font-size: var(--fs-small);
    text-align: left;
    padding: 4px 8px;
    border-bottom: 1px solid var(--line);
    white-space: nowrap;
  }
  table.grid td {
    padding: 3px 8px;
    border-bottom: 1px solid var(--line);
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
    max-width: 0;
  }
  table.grid th.num,
  table.grid td.num {
    text-align: right;
  }
`;

/** SVG charts: the SVG fills its positioned box; d3 axes and grid lines in the theme's colours. */
export const chartStyles = css`
  svg {
    position: absolute;
    inset: 0;
  }
  .axis text {
    fill: var(--fg-faint);
    font: 10px var(--font-mono);
  }
  .axis path,
  .axis line {
    stroke: var(--line-2);
  }
  .grid line {
    stroke: var(--line);
    stroke-dasharray: 2 3;
  }
  .grid path {
    display: none;
  }
`;
