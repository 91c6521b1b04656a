/**
 * Alerts per network location, for the map: the "violations per network" roll-ups (any alert with
 * a `location: { lat, lon }`), summed per network (or per location when an alert names none).
 */

export interface MapPoint {
  id: string;
  lat: number;
  lon: number;
  /** Violations summed over the alerts (an alert's `count`, else 1). */
  count: number;
  /** Roll-up alerts that contributed. */
  alerts: number;
  /** Distinct addresses named by the alerts (capped). */
  addresses: string[];
}

const MAX_ADDRESSES = 50;

export function networkPoints(alerts: Iterable<Record<string, unknown>>, rule?: string): MapPoint[] {
  const points = new Map<string, MapPoint>();
  for (const alert of alerts) {
    if (rule !== undefined && alert.rule !== rule) continue;
    const loc = alert.location as { lat?: unknown; lon?: unknown } | undefined;
    if (!loc || typeof loc !== 'object' || typeof loc.lat !== 'number' || typeof loc.lon !== 'number') continue;
    if (!Number.isFinite(loc.lat) || !Number.isFinite(loc.lon)) continue;
    const id = alert.networkId !== undefined ? `network ${String(alert.networkId)}` : `${loc.lat.toFixed(2)},${loc.lon.toFixed(2)}`;
    let p = points.get(id);
    if (!p) points.set(id, (p = { id, lat: loc.lat, lon: loc.lon, count: 0, alerts: 0, addresses: [] }));
    p.count += typeof alert.count === 'number' && Number.isFinite(alert.count) ? alert.count : 1;
    p.alerts++;
    if (Array.isArray(alert.addresses)) {
      for (const a of alert.addresses) {
        if (typeof a === 'string' && p.addresses.length < MAX_ADDRESSES && !p.addresses.includes(a)) p.addresses.push(a);
      }
    }
  }
  return [...points.values()].sort((a, b) => b.count - a.count);
}
