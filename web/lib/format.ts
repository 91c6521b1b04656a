/** Number and time formatting for dense tables. */

export function fmtCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  if (a < 1e6) return `${(n / 1e3).toFixed(a < 1e4 ? 2 : a < 1e5 ? 1 : 0)}k`;
  if (a < 1e9) return `${(n / 1e6).toFixed(a < 1e7 ? 2 : 1)}M`;
  return `${(n / 1e9).toFixed(2)}G`;
}

export function fmtRate(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return n < 10 && n > 0 ? n.toFixed(1) : fmtCount(n);
}

export function fmtPercent(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(1)}%`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** HH:MM:SS (local time); with ms, HH:MM:SS.mmm. */
export function fmtTime(ms: number, withMs = false): string {
  if (!Number.isFinite(ms) || ms <= 0) return '–';
  const d = new Date(ms);
  const base = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withMs ? `${base}.${pad(d.getMilliseconds(), 3)}` : base;
}

export function fmtDateTime(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '–';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${fmtTime(ms)}`;
}

export function fmtAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** A span of time, in its largest sensible unit: 0 s, 850 ms, 12 s, 4 min, 3 h, 2 d. */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1000) return ms <= 0 ? '0 s' : `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A one-line summary of an alert's fields for the table (rule, key and window left out). */
export function alertSummary(alert: Record<string, unknown>, max = 160): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(alert)) {
    if (k === 'rule' || k === 'events' || k === 'windowStart' || k === 'windowEnd' || k === 'key') continue;
    if (v === null || typeof v === 'object') continue;
    parts.push(`${k}=${String(v)}`);
    if (parts.join(' ').length > max) break;
  }
  const s = parts.join(' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
