/**
 * Measuring the flow model against the flows simulator's ground truth (not against the model's own
 * output): which rows (source, window) are an attacker's, of which class, and which hold no
 * anomalous flow at all.
 *
 * Attacker rows: the rows of the source that sent the anomalous flows of a vertical or horizontal
 * scan, an SSH brute force or a UDP flood; of the open resolver itself (its answers to the
 * outside); of each reflector of a DDoS flood. Left out of both counts: the outside clients'
 * queries to an open resolver, and a regular client's row that also queried an external resolver
 * (both hold anomalous flows, so flagging them is no false alarm, but neither is an attack from the
 * row's source that a per-source model can be asked to find).
 */
import { flowFeatures, type FeatureRow } from '../../src/ml/index.js';
import type { FlowAnomalyKind, FlowsGenerator } from '../../src/simulate/flows.js';
import { createGenerator, type SimulatedEvent } from '../../src/simulate/index.js';

export const ATTACK_CLASSES = ['vertical-scan', 'horizontal-scan', 'ssh-bruteforce', 'open-resolver', 'udp-flood', 'ddos'] as const;
export type AttackClass = (typeof ATTACK_CLASSES)[number];
export type RowClass = AttackClass | 'normal' | 'excluded';

export interface Traffic {
  flows: Record<string, unknown>[];
  rows: FeatureRow[];
  /** Per row: the attack class of its source, 'normal' (no anomalous flow) or 'excluded'. */
  classes: RowClass[];
  /** Per row: ground truth as `vigil train` reads it (most of its flows anomalous). */
  truth: boolean[];
}

/**
 * `minutes` of the flows generator at `rate` flows/s with random anomalies (`errorProbability`),
 * plus one open resolver and one DDoS flood injected a third and two thirds of the way in.
 */
export function simulatedTraffic(seed: number, minutes: number, rate = 20, errorProbability = 0.05): Traffic {
  const g = createGenerator('flows', { seed, rate, errorProbability, clients: 100 }) as FlowsGenerator;
  const sims: SimulatedEvent[] = [];
  const end = g.now + minutes * 60_000;
  const takeUntil = (time: number) => {
    while (g.now < time) sims.push(...g.take(100));
  };
  takeUntil(end - (minutes * 60_000 * 2) / 3);
  g.injectOpenResolver();
  takeUntil(end - (minutes * 60_000) / 3);
  g.injectFlood();
  takeUntil(end);
  sims.push(...g.settle());
  return label(g, sims);
}

function label(g: FlowsGenerator, sims: SimulatedEvent[]): Traffic {
  const windowOf = (f: Record<string, unknown>) => Math.floor((f['event.start'] as number) / 60_000) * 60_000;
  const classOf = new Map<string, RowClass>();
  const anomalous = new WeakSet<object>();
  for (const s of sims) {
    if (!s.anomaly) continue;
    anomalous.add(s.event);
    const f = s.event as Record<string, unknown>;
    const source = f['source.ip'] as string;
    const kind = g.kindOf(s.incident!) as FlowAnomalyKind;
    const key = `${source}|${windowOf(f)}`;
    let c: RowClass;
    if (kind === 'ddos') c = 'ddos';
    else if (kind === 'external-dns') c = 'excluded';
    else if (kind === 'open-resolver') c = source === s.truthKey ? 'open-resolver' : 'excluded';
    else c = source === s.truthKey ? kind : 'excluded';
    const before = classOf.get(key);
    // an attack class wins over 'excluded'
    if (!before || before === 'excluded') classOf.set(key, c);
  }
  const flows = sims.map((s) => s.event as Record<string, unknown>);
  const rows = flowFeatures(flows, 60_000, (f) => anomalous.has(f));
  return {
    flows,
    rows,
    classes: rows.map((r) => classOf.get(`${r.source}|${r.windowStart}`) ?? 'normal'),
    truth: rows.map((r) => r.anomalies * 2 > r.labelled),
  };
}

export interface ClassScore {
  rows: number;
  flagged: number;
}

export interface Evaluation {
  perClass: Record<AttackClass, ClassScore>;
  attackerRows: number;
  flaggedAttackerRows: number;
  normalRows: number;
  falsePositives: number;
  excludedRows: number;
  /** Flagged attacker rows / attacker rows. */
  recall: number;
  /** Flagged attacker rows / (flagged attacker rows + flagged normal rows). */
  precision: number;
}

/** Scores `flagged` (one verdict per row of `traffic`) against the ground truth. */
export function evaluate(traffic: Traffic, flagged: readonly boolean[]): Evaluation {
  const perClass = Object.fromEntries(ATTACK_CLASSES.map((c) => [c, { rows: 0, flagged: 0 }])) as Record<AttackClass, ClassScore>;
  let normalRows = 0;
  let falsePositives = 0;
  let excludedRows = 0;
  traffic.classes.forEach((c, i) => {
    if (c === 'excluded') excludedRows++;
    else if (c === 'normal') {
      normalRows++;
      if (flagged[i]) falsePositives++;
    } else {
      perClass[c].rows++;
      if (flagged[i]) perClass[c].flagged++;
    }
  });
  const attackerRows = Object.values(perClass).reduce((n, s) => n + s.rows, 0);
  const flaggedAttackerRows = Object.values(perClass).reduce((n, s) => n + s.flagged, 0);
  return {
    perClass,
    attackerRows,
    flaggedAttackerRows,
    normalRows,
    falsePositives,
    excludedRows,
    recall: attackerRows ? flaggedAttackerRows / attackerRows : 0,
    precision: flaggedAttackerRows + falsePositives ? flaggedAttackerRows / (flaggedAttackerRows + falsePositives) : 0,
  };
}

/** The evaluation as a Markdown table. */
export function table(title: string, e: Evaluation): string {
  const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : '–');
  const lines = [`${title}`, '| class | attacker rows | flagged |', '|---|---:|---:|'];
  for (const c of ATTACK_CLASSES) lines.push(`| ${c} | ${e.perClass[c].rows} | ${e.perClass[c].flagged} (${pct(e.perClass[c].flagged, e.perClass[c].rows)}) |`);
  lines.push(`| all attacks | ${e.attackerRows} | ${e.flaggedAttackerRows} (${pct(e.flaggedAttackerRows, e.attackerRows)}) |`);
  lines.push(`| normal rows (false positives) | ${e.normalRows} | ${e.falsePositives} (${pct(e.falsePositives, e.normalRows)}) |`);
  lines.push(`precision ${(100 * e.precision).toFixed(1)}%, recall ${(100 * e.recall).toFixed(1)}%, ${e.excludedRows} rows excluded`);
  return lines.join('\n');
}
