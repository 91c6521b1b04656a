/**
 * How deeply an event may nest. Everything downstream of the door (grouping keys, JSON output,
 * checkpoints, the sandbox's encoder, the web app) walks events recursively; bounding the depth
 * where events come in is what makes those walks safe. 128 is far beyond any real log format
 * (ECS and EVTX-JSON nest 4–6 deep) and far below what recursion in any runtime tolerates.
 */
export const MAX_EVENT_DEPTH = 128;

/**
 * Whether `value` nests objects or arrays deeper than `max` levels (the event itself is level 1).
 * Iterative, so a hostile value cannot overflow the stack while being measured; it stops at the
 * first path that is too deep.
 */
export function nestingDepthExceeds(value: unknown, max: number = MAX_EVENT_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
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
