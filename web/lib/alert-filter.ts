/**
 * Alert search: every term must match. `field:value` matches a field (or key field) containing
 * value; `rule:"brute force"` quotes spaces; anything else matches anywhere in the alert's JSON.
 * Case-insensitive.
 */

export interface Searchable {
  id: number;
  alert: { rule: string; [k: string]: unknown };
}

export interface AlertQuery {
  /** Exact rule name, or '' for all. */
  rule: string;
  text: string;
}

interface Term {
  field?: string;
  value: string;
}

export function parseQuery(text: string): Term[] {
  const terms: Term[] = [];
  const re = /(?:([\w.]+):)?(?:"([^"]*)"?|(\S+))/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const value = (m[2] ?? m[3] ?? '').toLowerCase();
    if (!value && !m[1]) continue;
    terms.push(m[1] ? { field: m[1].toLowerCase(), value } : { value });
  }
  return terms;
}

const haystacks = new WeakMap<object, string>();

function haystack(alert: object): string {
  let h = haystacks.get(alert);
  if (h === undefined) {
    h = JSON.stringify(alert).toLowerCase();
    haystacks.set(alert, h);
  }
  return h;
}

function fieldValue(alert: Record<string, unknown>, field: string): unknown {
  for (const [k, v] of Object.entries(alert)) if (k.toLowerCase() === field) return v;
  const key = alert.key;
  if (key && typeof key === 'object') {
    for (const [k, v] of Object.entries(key as Record<string, unknown>)) if (k.toLowerCase() === field) return v;
  }
  return undefined;
}

export function matchesQuery(alert: Record<string, unknown>, terms: readonly Term[]): boolean {
  for (const t of terms) {
    if (t.field) {
      const v = fieldValue(alert, t.field);
      if (v === undefined || v === null) return false;
      const s = (typeof v === 'object' ? JSON.stringify(v) : String(v)).toLowerCase();
      if (!s.includes(t.value)) return false;
    } else if (!haystack(alert).includes(t.value)) {
      return false;
    }
  }
  return true;
}

/** The matching alerts, newest first. `alerts` is oldest first. */
export function filterAlerts<T extends Searchable>(alerts: readonly T[], query: AlertQuery): T[] {
  const terms = parseQuery(query.text);
  const out: T[] = [];
  for (let i = alerts.length - 1; i >= 0; i--) {
    const a = alerts[i]!;
    if (query.rule && a.alert.rule !== query.rule) continue;
    if (terms.length && !matchesQuery(a.alert, terms)) continue;
    out.push(a);
  }
  return out;
}
