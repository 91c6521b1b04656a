/**
 * The per-exporter out-of-order bound against simulated exporters: flows are exported when they
 * go idle or reach the active timeout (at the exporter's expiry check), in export order, and a
 * naive per-source watermark (newest start seen − the bound given with the push) says which flows
 * would have arrived too late. The oracle is that simulation, not the estimator.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FLOW_OUT_OF_ORDER_MS, MAX_FLOW_OUT_OF_ORDER_MS, OutOfOrderEstimator, WARM_UP_OUT_OF_ORDER_MS } from '../../src/io/netflow-out-of-order.js';

interface Flow {
  'event.start': number;
  'event.end': number;
}

interface ExporterModel {
  /** Idle timeout for a flow (ms), by kind. */
  idleMs: (kind: 'short' | 'syn' | 'long') => number;
  activeMs: number;
  /** The exporter looks for expired flows this often. */
  checkMs: number;
}

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Datagrams (export time, flows) of `minutes` of traffic: short flows, lone SYNs (`synShare`) and long transfers (`longShare`). */
function simulate(model: ExporterModel, minutes: number, synShare: number, longShare: number, seed = 1): { exportMs: number; flows: Flow[] }[] {
  const rnd = random(seed);
  const t0 = Date.UTC(2026, 0, 1);
  const records: { exportMs: number; flow: Flow }[] = [];
  const perMinute = 3000;
  for (let i = 0; i < minutes * perMinute; i++) {
    const start = t0 + Math.floor((i / perMinute) * 60_000 + rnd() * 100);
    const r = rnd();
    const kind = r < synShare ? 'syn' : r < synShare + longShare ? 'long' : 'short';
    const duration = kind === 'syn' ? 0 : kind === 'long' ? 600_000 + rnd() * 3_000_000 : rnd() * 5000;
    // a long flow is exported every active timeout; its records each start where the last ended
    let from = start;
    const end = start + duration;
    while (end - from > model.activeMs) {
      const cut = from + model.activeMs;
      records.push({ exportMs: Math.ceil(cut / model.checkMs) * model.checkMs, flow: { 'event.start': from, 'event.end': cut } });
      from = cut;
    }
    const expires = end + model.idleMs(kind);
    records.push({ exportMs: Math.ceil(expires / model.checkMs) * model.checkMs, flow: { 'event.start': from, 'event.end': end } });
  }
  records.sort((a, b) => a.exportMs - b.exportMs);
  const datagrams: { exportMs: number; flows: Flow[] }[] = [];
  for (let i = 0; i < records.length; i += 30) {
    const chunk = records.slice(i, i + 30);
    datagrams.push({ exportMs: chunk[chunk.length - 1].exportMs, flows: chunk.map((r) => r.flow) });
  }
  return datagrams;
}

/** Pushes the datagrams through a naive watermark (newest start − bound) and counts the flows that fall behind it. */
function lateShare(datagrams: { exportMs: number; flows: Flow[] }[], bound: (d: { exportMs: number; flows: Flow[] }) => number): number {
  let newest = -Infinity;
  let watermark = -Infinity;
  let late = 0;
  let total = 0;
  for (const d of datagrams) {
    const b = bound(d);
    for (const f of d.flows) {
      total++;
      if (f['event.start'] < watermark) late++;
    }
    for (const f of d.flows) newest = Math.max(newest, f['event.start']);
    watermark = Math.max(watermark, newest - b);
  }
  return late / total;
}

function learned(datagrams: { exportMs: number; flows: Flow[] }[], estimator = new OutOfOrderEstimator()): { share: number; bound: number } {
  const share = lateShare(datagrams, (d) => {
    estimator.observe(d.flows, d.exportMs);
    return estimator.boundMs;
  });
  return { share, bound: estimator.boundMs };
}

const cisco: ExporterModel = { idleMs: () => 15_000, activeMs: 1_800_000, checkMs: 1000 };
const softflowd: ExporterModel = { idleMs: (k) => (k === 'syn' ? 3_600_000 : k === 'short' ? 300_000 : 300_000), activeMs: 604_800_000, checkMs: 60_000 };
const nprobe: ExporterModel = { idleMs: () => 30_000, activeMs: 120_000, checkMs: 1000 };

describe('per-exporter out-of-order bound', () => {
  it('the default out-of-order bound (5 s) does not fit how exporters send flows: it leaves many of softflowd\'s flows late, the learned bound almost none', () => {
    expect(lateShare(simulate(softflowd, 150, 0.18, 0.002), () => 5000)).toBeGreaterThan(0.1);
    for (const [model, syn] of [[cisco, 0.2], [nprobe, 0.2], [softflowd, 0.18]] as const) {
      expect(learned(simulate(model, 150, syn, 0.002)).share).toBeLessThan(0.002);
    }
  });

  it('without the warm-up, a bound learned from scratch would leave softflowd\'s first hour of lone SYNs late', () => {
    const datagrams = simulate(softflowd, 150, 0.18, 0);
    expect(learned(datagrams, new OutOfOrderEstimator({ warmUpSpanMs: 0 })).share).toBeGreaterThan(0.02);
    expect(learned(datagrams).share).toBeLessThan(0.002);
  });

  it('softflowd (lone SYNs wait out the one-hour TCP timeout): the bound learns the hour, capped', () => {
    const { share, bound } = learned(simulate(softflowd, 150, 0.18, 0));
    expect(share).toBeLessThan(0.002);
    expect(bound).toBeGreaterThan(3_600_000);
    expect(bound).toBeLessThanOrEqual(MAX_FLOW_OUT_OF_ORDER_MS);
  });

  it('nProbe (30 s idle, 120 s active): the floor covers it and the bound stays at the floor', () => {
    const { share, bound } = learned(simulate(nprobe, 90, 0.2, 0.05));
    expect(share).toBe(0);
    expect(bound).toBe(DEFAULT_FLOW_OUT_OF_ORDER_MS);
  });

  it('an exporter whose flows arrive in order: the warm-up bound for its first 65 minutes, then the floor, not less', () => {
    const e = new OutOfOrderEstimator();
    const t = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 3000; i++) {
      e.observe([{ 'event.start': t + i * 1000, 'event.end': t + i * 1000 + 10 }], t + i * 1000 + 10);
      if (i === 1000) expect(e.boundMs).toBe(WARM_UP_OUT_OF_ORDER_MS);
    }
    for (let i = 3000; i < 5000; i++) e.observe([{ 'event.start': t + i * 1000, 'event.end': t + i * 1000 + 10 }], t + i * 1000 + 10);
    expect(e.quantileLagMs()).toBe(0);
    expect(e.boundMs).toBe(DEFAULT_FLOW_OUT_OF_ORDER_MS);
  });

  it('the active timeout announced in options data is a floor for that exporter', () => {
    const e = new OutOfOrderEstimator();
    e.announce({ activeMs: 1_800_000, idleMs: 15_000 });
    expect(e.boundMs).toBe(2_250_000);
    e.announce({ idleMs: 600_000 });
    expect(e.boundMs).toBe(750_000);
  });

  it('one forged flow dated 2099 (in a datagram dated 2099) does not make later flows look late', () => {
    const e = new OutOfOrderEstimator();
    const t = Date.UTC(2026, 0, 1);
    const forged = Date.UTC(2099, 0, 1);
    for (let i = 0; i < 500; i++) {
      if (i === 100) e.observe([{ 'event.start': forged, 'event.end': forged }], forged);
      e.observe([{ 'event.start': t + i * 1000 - 20_000, 'event.end': t + i * 1000 }], t + i * 1000);
    }
    expect(e.maxLagMs).toBeLessThan(60_000);
    expect(e.quantileLagMs()).toBeLessThan(60_000);
  });

  it('follows the exporter: old observations fade (halved every 100,000 flows)', () => {
    const e = new OutOfOrderEstimator();
    const t = Date.UTC(2026, 0, 1);
    // an hour-late flow in every 100 for a while, then in order for a long time
    for (let i = 0; i < 20_000; i++) e.observe([{ 'event.start': t + i * 10 - (i % 100 === 0 ? 3_600_000 : 0), 'event.end': t + i * 10 }], t + i * 10);
    expect(e.boundMs).toBeGreaterThan(3_600_000);
    for (let i = 20_000; i < 1_200_000; i++) e.observe([{ 'event.start': t + i * 10, 'event.end': t + i * 10 }], t + i * 10);
    expect(e.boundMs).toBe(DEFAULT_FLOW_OUT_OF_ORDER_MS);
  });
});
