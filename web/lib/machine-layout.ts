/**
 * A layered layout of a state machine, left to right: INITIAL in the first layer, each state in
 * the layer of its shortest distance from INITIAL, TERM alone in the last layer, states nobody
 * reaches in the layer before TERM. Transitions between the same two states are merged (one edge,
 * several event labels). Pure: the debugger draws what this returns.
 */

export interface LayoutInput {
  states: readonly string[];
  edges: readonly { from: string; to: string; event: string }[];
}

export interface LayoutNode {
  id: string;
  layer: number;
  x: number;
  y: number;
}

export type EdgeShape = 'forward' | 'back' | 'same-layer' | 'self';

export interface LayoutEdge {
  id: string;
  from: string;
  to: string;
  events: string[];
  shape: EdgeShape;
  /** SVG path from the border of `from` to the border of `to`. */
  path: string;
  label: { x: number; y: number };
}

export interface MachineLayout {
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  width: number;
  height: number;
  radius: number;
}

const INITIAL = 'INITIAL';
const TERM = 'TERM';

/** Layer of each state (see the module comment). */
export function layers(input: LayoutInput): Map<string, number> {
  const layer = new Map<string, number>();
  const out = new Map<string, string[]>();
  for (const e of input.edges) {
    if (!out.has(e.from)) out.set(e.from, []);
    out.get(e.from)!.push(e.to);
  }
  const start = input.states.includes(INITIAL) ? INITIAL : input.states[0];
  if (start === undefined) return layer;
  layer.set(start, 0);
  const queue = [start];
  while (queue.length) {
    const s = queue.shift()!;
    for (const t of out.get(s) ?? []) {
      if (t === TERM || layer.has(t)) continue;
      layer.set(t, layer.get(s)! + 1);
      queue.push(t);
    }
  }
  let max = Math.max(0, ...layer.values());
  const unreachable = input.states.filter((s) => s !== TERM && !layer.has(s));
  if (unreachable.length) {
    max++;
    for (const s of unreachable) layer.set(s, max);
  }
  if (input.states.includes(TERM)) layer.set(TERM, max + 1);
  return layer;
}

export function layoutMachine(input: LayoutInput, size: { width: number; height: number }): MachineLayout {
  const layerOf = layers(input);
  const count = Math.max(1, ...[...layerOf.values()].map((l) => l + 1));
  const byLayer: string[][] = Array.from({ length: count }, () => []);
  for (const s of input.states) byLayer[layerOf.get(s) ?? 0]!.push(s);
  const width = Math.max(200, size.width);
  const height = Math.max(160, size.height);
  const tallest = Math.max(1, ...byLayer.map((l) => l.length));
  const radius = Math.max(16, Math.min(34, (height / tallest) * 0.22, (width / count) * 0.18));
  const marginX = radius * 2.2;
  const stepX = count > 1 ? (width - 2 * marginX) / (count - 1) : 0;
  const nodes: LayoutNode[] = [];
  const at = new Map<string, LayoutNode>();
  byLayer.forEach((states, l) => {
    states.forEach((id, i) => {
      const node = { id, layer: l, x: count > 1 ? marginX + l * stepX : width / 2, y: ((i + 1) * height) / (states.length + 1) };
      nodes.push(node);
      at.set(id, node);
    });
  });

  const merged = new Map<string, { from: string; to: string; events: string[] }>();
  for (const e of input.edges) {
    const id = `${e.from}\u2192${e.to}`;
    const m = merged.get(id);
    if (m) {
      if (!m.events.includes(e.event)) m.events.push(e.event);
    } else merged.set(id, { from: e.from, to: e.to, events: [e.event] });
  }
  const edges: LayoutEdge[] = [];
  for (const [id, e] of merged) {
    const a = at.get(e.from);
    const b = at.get(e.to);
    if (!a || !b) continue;
    const shape: EdgeShape = a === b ? 'self' : b.layer > a.layer ? 'forward' : b.layer === a.layer ? 'same-layer' : 'back';
    edges.push({ id, ...e, shape, ...edgePath(a, b, shape, radius) });
  }
  return { nodes, edges, width, height, radius };
}

/** The path of one edge, and where its label goes. */
export function edgePath(a: { x: number; y: number }, b: { x: number; y: number }, shape: EdgeShape, r: number): { path: string; label: { x: number; y: number } } {
  if (shape === 'self') {
    const x1 = a.x - r * 0.5;
    const x2 = a.x + r * 0.5;
    const y = a.y - r * 0.87;
    return { path: `M${f(x1)},${f(y)} C${f(a.x - r * 1.3)},${f(a.y - r * 2.6)} ${f(a.x + r * 1.3)},${f(a.y - r * 2.6)} ${f(x2)},${f(y)}`, label: { x: a.x, y: a.y - r * 2.35 } };
  }
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  // Curves: forward edges bend a little, back and same-layer edges bend more (away from the straight
  // forward edges), always to the left of the direction of travel, so A→B and B→A do not overlap.
  const bend = shape === 'forward' ? 0.12 : shape === 'same-layer' ? 0.45 : 0.35;
  let nx = -dy / len;
  let ny = dx / len;
  // Edges within a layer bend to the right, away from the edges coming in from the left.
  if (shape === 'same-layer' && nx < 0) [nx, ny] = [-nx, -ny];
  const mx = (a.x + b.x) / 2 + nx * len * bend;
  const my = (a.y + b.y) / 2 + ny * len * bend;
  const start = towards(a, { x: mx, y: my }, r);
  const end = towards(b, { x: mx, y: my }, r + 3);
  // The label sits at the curve's midpoint (t = 0.5 of the quadratic Bézier).
  const label = { x: 0.25 * start.x + 0.5 * mx + 0.25 * end.x, y: 0.25 * start.y + 0.5 * my + 0.25 * end.y };
  return { path: `M${f(start.x)},${f(start.y)} Q${f(mx)},${f(my)} ${f(end.x)},${f(end.y)}`, label };
}

function towards(p: { x: number; y: number }, q: { x: number; y: number }, d: number): { x: number; y: number } {
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  const len = Math.hypot(dx, dy) || 1;
  return { x: p.x + (dx / len) * d, y: p.y + (dy / len) * d };
}

function f(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
