/**
 * How deeply an event may nest. Everything downstream of the door (grouping keys, JSON output,
 * checkpoints, the sandbox's encoder, the web app) walks events recursively; bounding the depth
 * where events come in is what makes those walks safe. 128 is far beyond any real log format
 * (ECS and EVTX-JSON nest 4–6 deep) and far below what recursion in any runtime tolerates.
 */
export const MAX_EVENT_DEPTH = 128;

/** Objects visited by the quick walk before it hands over to the exact one (a DAG with many paths). */
const QUICK_WALK_VISITS = 10_000;

/**
 * Whether `value` nests objects or arrays deeper than `max` levels (the event itself is level 1),
 * or is cyclic (a cycle is infinitely deep). Every event pushed is measured, so the common case —
 * a shallow tree — is one allocation-free walk; an object graph that shares objects along very many
 * paths goes to an exact walk that visits each object at most once per depth it appears at.
 */
export function nestingDepthExceeds(value: unknown, max: number = MAX_EVENT_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  // Most events are flat (every field a string, number or boolean): one pass over the fields, no
  // recursion and no allocation, says so. An event with an object or array in it takes the walks.
  if (max >= 1 && !holdsObject(value)) return false;
  const visits = { left: QUICK_WALK_VISITS };
  const quick = quickWalk(value as object, 1, max, visits);
  return quick ?? exactWalk(value as object, max);
}

/**
 * Whether `value` is a flat record: an object, not an array, none of whose values (as the walks
 * read them) is an object or array — the common event, which no depth limit refuses. The door's
 * quick test, one pass over the fields, before `nestingDepthExceeds` for the rest.
 */
export function isFlatRecord(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !holdsObject(value);
}

/** Whether an object or array is among the node's values (its own enumerable ones and inherited enumerable ones, as the walks read them). */
function holdsObject(node: object): boolean {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i];
      if (child !== null && typeof child === 'object') return true;
    }
    return false;
  }
  for (const key in node) {
    const child: unknown = (node as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object') return true;
  }
  return false;
}

/** Depth-first, recursion bounded by `max`: true too deep, false within, undefined out of visits. */
function quickWalk(node: object, depth: number, max: number, visits: { left: number }): boolean | undefined {
  if (depth > max) return true;
  if (--visits.left < 0) return undefined;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i];
      if (child !== null && typeof child === 'object') {
        const r = quickWalk(child, depth + 1, max, visits);
        if (r !== false) return r;
      }
    }
    return false;
  }
  for (const key in node) {
    const child: unknown = (node as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object') {
      const r = quickWalk(child, depth + 1, max, visits);
      if (r !== false) return r;
    }
  }
  return false;
}

function exactWalk(value: object, max: number): boolean {
  const stack: { value: object; depth: number }[] = [{ value, depth: 1 }];
  // The deepest level each object was walked at: a shared object is walked again only when it
  // appears deeper, so a DAG costs little and a cycle (infinitely deep) soon exceeds `max`.
  const deepest = new Map<object, number>();
  while (stack.length) {
    const { value: node, depth } = stack.pop()!;
    if (depth > max) return true;
    if ((deepest.get(node) ?? 0) >= depth) continue;
    deepest.set(node, depth);
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}
