/**
 * The IOC stage of a batch: IOC FILTERS of every rule, after FILTER. The n-th terms of all rules
 * are tested together, one crossing into the IOC sets per list with each distinct value once. With
 * many rules each rule sees few events of a batch, and a crossing per rule would cost more than
 * the look-ups.
 */
import { scalarText, type EventRecord } from '../lang/fields.js';
import type { IocRegistry } from './ioc-registry.js';
import type { IocTermPlan } from './rule-plan.js';

/** The events of one batch that passed a rule's FILTER, waiting for its IOC FILTERS. */
export interface IocWork {
  terms: readonly IocTermPlan[];
  indices: number[];
  /** Per index, 1 while the event still passes; cleared here when a term fails. */
  passed: Uint8Array;
}

export function applyIocTerms(iocs: IocRegistry, work: IocWork[], batch: readonly EventRecord[]): void {
  let rounds = 0;
  for (const w of work) rounds = Math.max(rounds, w.terms.length);
  for (let t = 0; t < rounds; t++) {
    const byList = new Map<string, { values: string[]; slotOf: Map<string, number>; passed: Uint8Array[]; at: number[]; slots: number[]; negated: boolean[] }>();
    for (const { terms, indices, passed } of work) {
      const term = terms[t];
      if (!term) continue;
      let group = byList.get(term.list);
      for (let k = 0; k < indices.length; k++) {
        if (!passed[k]) continue;
        const text = scalarText(term.read(batch[indices[k]!]!));
        // A missing value is in no list: `in` fails and `not in` holds.
        if (text === undefined) {
          if (!term.negated) passed[k] = 0;
          continue;
        }
        if (!group) byList.set(term.list, (group = { values: [], slotOf: new Map(), passed: [], at: [], slots: [], negated: [] }));
        let slot = group.slotOf.get(text);
        if (slot === undefined) {
          slot = group.values.length;
          group.values.push(text);
          group.slotOf.set(text, slot);
        }
        group.passed.push(passed);
        group.at.push(k);
        group.slots.push(slot);
        group.negated.push(term.negated);
      }
    }
    for (const [list, group] of byList) {
      const present = iocs.get(list).hasMany(group.values);
      for (let j = 0; j < group.at.length; j++) {
        if ((present[group.slots[j]!] === 1) === group.negated[j]) group.passed[j]![group.at[j]!] = 0;
      }
    }
  }
}
