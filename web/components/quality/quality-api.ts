/**
 * The page's side of the quality report (web/worker/quality.ts): fetching it, and the debugger
 * links of a key — for each STATE MACHINE rule whose key fields a record (an event, an alert)
 * holds, the key the debugger follows (`#/debugger/<rule>?key=<key>`, as the Alerts view builds it).
 */
import type { RemoteApi } from '../../../src/runtime/worker/protocol.js';
import { formatRoute } from '../../lib/router.js';
import type { AppStore } from '../../state/store.js';
import type { QualityApi, QualityReport } from '../../worker/quality.js';

export function fetchQuality(store: AppStore): Promise<QualityReport> {
  return (store.api as unknown as RemoteApi<QualityApi>).quality();
}

export interface MachineKeys {
  rule: string;
  keyFields: string[];
}

/** The STATE MACHINE rules and their key fields. */
export async function machineKeyFields(store: AppStore): Promise<MachineKeys[]> {
  const rules = await store.api.machineRules();
  const out: MachineKeys[] = [];
  for (const rule of rules) {
    const snapshot = await store.api.machineSnapshot(rule);
    out.push({ rule, keyFields: snapshot.definition.keyFields });
  }
  return out;
}

/** Debugger routes for a record: one per machine rule whose key fields it holds (or its `key` object holds). */
export function debuggerLinks(record: Record<string, unknown> | undefined, machines: readonly MachineKeys[]): { rule: string; key: string; href: string }[] {
  if (!record) return [];
  const keyObject = record.key !== null && typeof record.key === 'object' ? (record.key as Record<string, unknown>) : {};
  const out: { rule: string; key: string; href: string }[] = [];
  for (const m of machines) {
    const values = m.keyFields.map((f) => record[f] ?? keyObject[f]);
    if (!values.length || values.some((v) => v === undefined || v === null)) continue;
    const key = values.length === 1 && typeof values[0] === 'string' ? values[0] : JSON.stringify(values);
    out.push({ rule: m.rule, key, href: formatRoute({ view: 'debugger', item: m.rule, params: { key } }) });
  }
  return out;
}
