/** The "top destinations" alerts (rules/flows/top-destinations.vgl) recomputed from the flows. */
import { windows, type Flow } from './pack.js';

const TOP = 10;
const MINUTE = 60_000;

interface Tally {
  flows: number;
  bytes: number;
}

function tally<K extends string | number>(flows: Flow[], keyOf: (f: Flow) => K): Map<K, Tally> {
  const out = new Map<K, Tally>();
  for (const f of flows) {
    const t = out.get(keyOf(f)) ?? { flows: 0, bytes: 0 };
    t.flows++;
    t.bytes += f['network.bytes'];
    out.set(keyOf(f), t);
  }
  return out;
}

/** The first 10 by `metric`, descending; equal ones by key, ascending. */
function ranked<K extends string | number>(tallies: Map<K, Tally>, metric: keyof Tally, name: 'port' | 'host') {
  return [...tallies]
    .sort(([ka, a], [kb, b]) => b[metric] - a[metric] || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, TOP)
    .map(([k, t]) => ({ [name]: k, flows: t.flows, bytes: t.bytes }));
}

/** The alerts of "destination port statistics" or "destination host statistics", without their sort keys. */
export function expectedDestinationStatistics(flows: Flow[], of: 'port' | 'host'): Record<string, unknown>[] {
  const field = of === 'port' ? 'destination.port' : 'destination.ip';
  return [...windows(flows, (f) => `${f['source.ip']}|${f[field]}`, MINUTE, MINUTE)].map(([, list]) => ({
    key: { 'source.ip': list[0]['source.ip'], [field]: list[0][field] },
    windowStart: Math.floor(list[0]['event.start'] / MINUTE) * MINUTE,
    windowEnd: Math.floor(list[0]['event.start'] / MINUTE) * MINUTE + MINUTE,
    source: list[0]['source.ip'],
    [of]: list[0][field],
    flows: list.length,
    bytes: list.reduce((n, f) => n + f['network.bytes'], 0),
  }));
}

/** The alerts of "top destinations by flows" or "top destinations by bytes". */
export function expectedTopDestinations(flows: Flow[], by: keyof Tally): Record<string, unknown>[] {
  return [...windows(flows, (f) => f['source.ip'], MINUTE, MINUTE)].map(([k, list]) => {
    const [source, start] = k.split('|');
    return {
      key: { source },
      windowStart: +start,
      windowEnd: +start + MINUTE,
      source,
      flows: list.length,
      bytes: list.reduce((n, f) => n + f['network.bytes'], 0),
      ports: ranked(tally(list, (f) => f['destination.port'] as number), by, 'port'),
      hosts: ranked(tally(list, (f) => f['destination.ip'] as string), by, 'host'),
    };
  });
}
