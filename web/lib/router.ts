/**
 * Hash routes: #/rules, #/rules/<rule name>, #/alerts?rule=<name>&q=<text>&source=replay,
 * #/dashboard, #/simulator, #/debugger/<rule>?key=<key>, #/replay, #/benchmarks, #/flows?host=<address>,
 * #/quality?key=<key>.
 */

export type View = 'rules' | 'alerts' | 'dashboard' | 'simulator' | 'debugger' | 'replay' | 'benchmarks' | 'flows' | 'quality';
/** In the navigation's order; Alt+1… follow it, so new views go at the end. */
export const VIEWS: readonly View[] = ['rules', 'alerts', 'dashboard', 'simulator', 'debugger', 'replay', 'benchmarks', 'flows', 'quality'];
export const DEFAULT_VIEW: View = 'alerts';

export interface Route {
  view: View;
  /** The path after the view, decoded (a rule name for #/rules/<name>). */
  item?: string;
  params: Record<string, string>;
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = raw.split('?', 2);
  const [first = '', ...rest] = path.split('/');
  const view = (VIEWS as readonly string[]).includes(first) ? (first as View) : DEFAULT_VIEW;
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) params[k] = v;
  const item = rest.length && view === first ? safeDecode(rest.join('/')) : undefined;
  return item ? { view, item, params } : { view, params };
}

export function formatRoute(route: { view: View; item?: string; params?: Record<string, string | undefined> }): string {
  let out = `#/${route.view}`;
  if (route.item) out += `/${encodeURIComponent(route.item)}`;
  const params = Object.entries(route.params ?? {}).filter((e): e is [string, string] => !!e[1]);
  if (params.length) out += `?${new URLSearchParams(params).toString()}`;
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
