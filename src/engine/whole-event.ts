/**
 * Lazily decoded events. A decoder that reads only the fields the rules route and filter on (the
 * CLI's lazy JSON-lines reader, src/io/lazy-jsonl.ts) hands the engine an event holding just those
 * fields, with a way to build the whole event under WHOLE_EVENT (a symbol: no enumeration, JSON
 * output or copy sees it). The engine asks for the whole event where an event leaves the rules'
 * predicates — for a window, a state machine, a SINK, a report — so only events that match pay
 * for being built. A decoder offers a partial event only when every loaded rule's use of the event
 * up to that point is known statically (simple rules, native FILTERs reading named fields).
 */
import type { EventRecord } from '../lang/fields.js';

export const WHOLE_EVENT = Symbol('vigil.wholeEvent');

/** What a partial event carries under WHOLE_EVENT. */
export interface WholeEventSource {
  /** The whole event (the same object on every call). */
  whole(): EventRecord;
}

/** The whole of `event`: itself unless it is a partial event. */
export function wholeEvent(event: EventRecord): EventRecord {
  const source = (event as { [WHOLE_EVENT]?: WholeEventSource })[WHOLE_EVENT];
  return source === undefined ? event : source.whole();
}
