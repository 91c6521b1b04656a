/**
 * `vigil sigma convert`: the VGL written for a Sigma rule raises the same alerts as the Sigma rule.
 * The oracle is the Sigma rule itself, run by the engine (src/sigma's matchers, tested against naive
 * models in test/sigma): the corpus's Windows rules are loaded as Sigma into one engine and as the
 * converted VGL into another, and both see the same events — events generated from each rule's
 * own selections (so that they hit it), upper-cased, with dashes swapped, one character off, and all
 * selections of a rule at once (so that its `not filter` parts are met too). The alerts must be equal.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/engine/engine.js';
import { ManualClock } from '../../src/engine/event-time.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { loadSigma, type SigmaRulePlan } from '../../src/sigma/index.js';
import { base64, utf16Bytes, utf8Bytes } from '../../src/sigma/encodings.js';
import { parseSigmaString } from '../../src/sigma/glob.js';
import { sigmaToVgl } from '../../src/sigma/to-vgl.js';
import { rng, sigmaMaterialDir } from '../sigma/helpers.js';
import { runVigil } from './run-cli.js';

const ROOT = sigmaMaterialDir();

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

type Event = Record<string, unknown>;

function setPath(event: Event, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = event;
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Event;
  o[parts[parts.length - 1]!] = value;
}

/** A text the Sigma string stands for: wildcards filled in. */
function fill(raw: string, random: () => number): string {
  return parseSigmaString(raw)
    .map((it) => ('lit' in it ? it.lit : it.wild === '*' ? (random() < 0.5 ? '' : 'Zq7') : 'Y'))
    .join('');
}

/** A value the field entry `key: values` holds for (most of the time). */
function valueFor(key: string, values: unknown, random: () => number): { value: unknown } | undefined {
  const [, ...mods] = key.split('|');
  const list = Array.isArray(values) ? values : [values];
  const has = (m: string) => mods.includes(m);
  if (has('exists')) return list[0] === true ? { value: 'present' } : undefined;
  if (list.length === 1 && list[0] === null) return undefined;
  if (['minute', 'hour', 'day', 'week', 'month', 'year', 'expand', 'fieldref', 're'].some(has)) return undefined;
  const pick = has('all') ? list : [list[Math.floor(random() * list.length)]];
  if (has('cidr')) {
    const net = String(pick[0]).split('/')[0]!;
    return { value: net.includes(':') ? net.replace(/::$/, '::5') : net.replace(/\.0$/, '.9') };
  }
  const cmp = mods.find((m) => ['lt', 'lte', 'gt', 'gte'].includes(m));
  if (cmp) {
    const n = Number(pick[0]);
    return { value: cmp.startsWith('lt') ? n - 1 : n + 1 };
  }
  if (typeof pick[0] === 'number' && pick.length === 1) return { value: random() < 0.5 ? pick[0] : String(pick[0]) };
  if (typeof pick[0] === 'boolean') return { value: pick[0] };
  let texts = pick.map((v) => fill(String(v), random));
  const encoding = mods.find((m) => ['base64', 'base64offset'].includes(m));
  if (encoding) {
    const bytes = (t: string) => (has('utf16le') || has('wide') ? utf16Bytes(t, false) : has('utf16be') ? utf16Bytes(t, true) : utf8Bytes(t));
    texts = texts.map((t) => (encoding === 'base64' ? base64(bytes(t)) : base64(bytes(`${'ab'.slice(0, Math.floor(random() * 3))}${t}xyz`))));
  }
  if (has('windash')) texts = texts.map((t) => t.replace(/-/g, () => ['-', '/', '\u2013'][Math.floor(random() * 3)]!));
  const text = texts.join(' ');
  if (has('contains')) return { value: `pre ${text} post` };
  if (has('startswith')) return { value: `${text}\\tail.exe` };
  if (has('endswith')) return { value: `C:\\Some\\Dir\\${text}` };
  return { value: text };
}

/** Events that meet each selection of the rule, and all of them at once; variants of each. */
function eventsFor(plan: SigmaRulePlan, detection: Record<string, unknown>, random: () => number): Event[] {
  const base = (): Event => {
    const e: Event = {};
    for (const s of plan.selectors) setPath(e, s.field, /^\d+$/.test(s.values[0]!) ? Number(s.values[0]) : s.values[0]);
    setPath(e, 'Event.System.Computer', 'WS01.corp.local');
    return e;
  };
  const maps: Record<string, unknown>[] = [];
  for (const [name, sel] of Object.entries(detection)) {
    if (name === 'condition' || name === 'timeframe') continue;
    if (Array.isArray(sel)) for (const m of sel) if (m && typeof m === 'object') maps.push(m as Record<string, unknown>);
    if (sel && typeof sel === 'object' && !Array.isArray(sel)) maps.push(sel as Record<string, unknown>);
  }
  const apply = (e: Event, map: Record<string, unknown>) => {
    for (const [key, values] of Object.entries(map)) {
      const v = valueFor(key, values, random);
      const name = key.split('|')[0]!;
      if (v && name) setPath(e, plan.fieldPaths(name)[0]!, v.value);
    }
  };
  const out: Event[] = [];
  for (const map of maps) {
    const e = base();
    apply(e, map);
    out.push(e);
  }
  const all = base();
  for (const map of maps) apply(all, map);
  out.push(all);
  const variants: Event[] = [];
  for (const e of out) {
    const data = (e.Event as Event | undefined)?.EventData as Event | undefined;
    if (!data) continue;
    const mutate = (f: (s: string) => string): Event => {
      const copy = structuredClone(e);
      const d = (copy.Event as Event).EventData as Event;
      for (const k of Object.keys(d)) if (typeof d[k] === 'string') d[k] = f(d[k] as string);
      return copy;
    };
    variants.push(mutate((s) => s.toUpperCase()));
    variants.push(mutate((s) => (s.length > 2 ? s.slice(0, s.length >> 1) + s.slice((s.length >> 1) + 1) : `${s}x`)));
  }
  return [...out, ...variants];
}

interface Loaded {
  file: string;
  text: string;
  plans: SigmaRulePlan[];
  vgl: string;
  detections: Record<string, unknown>[];
}

async function engineWith(load: (engine: Awaited<ReturnType<typeof createNodeEngine>>) => void) {
  const clock = new ManualClock(1_700_000_000_000);
  const engine = await createNodeEngine({ clock: clock.now, sigma: { pipeline: 'evtx-json' } });
  const alerts: Alert[] = [];
  engine.onAlert((a) => alerts.push(a));
  load(engine);
  return { engine, alerts };
}

describe.skipIf(!ROOT)('vigil sigma convert', () => {
  it('writes VGL that raises the same alerts as the Sigma rules, over the corpus Windows rules and events that hit them', { timeout: process.env.VIGIL_SIGMA_CONVERT_ALL ? 1_200_000 : 240_000 }, async () => {
    // Every 4th file by default (the whole set, 2,500 rules, takes minutes: VIGIL_SIGMA_CONVERT_ALL=1).
    const stride = process.env.VIGIL_SIGMA_CONVERT_ALL ? 1 : 4;
    const files = [...yamlFiles(join(ROOT!, 'rules/windows')), ...yamlFiles(join(ROOT!, 'rules-threat-hunting/windows'))].filter((_, i) => i % stride === 0);
    const random = rng(14);
    const loaded: Loaded[] = [];
    const seen = new Set<string>();
    let refusals = 0;
    let rules = 0;
    for (const path of files) {
      const text = readFileSync(path, 'utf8');
      const file = path.slice(ROOT!.length + 1);
      const conversion = sigmaToVgl({ file, text }, { pipeline: 'evtx-json' });
      const plans = loadSigma([{ file, text }], { pipeline: 'evtx-json' }).rules;
      rules += plans.length;
      const refused = conversion.diagnostics.filter((d) => d.severity === 'error');
      for (const d of refused) {
        // Every refusal names where: the file, a line inside it and a column.
        expect(d.file).toBe(file);
        expect(d.line).toBeGreaterThan(0);
        expect(d.line).toBeLessThanOrEqual(text.split('\n').length);
        expect(d.column).toBeGreaterThan(0);
      }
      refusals += refused.length;
      if (refused.length || conversion.rules.length !== plans.length || plans.length === 0) continue;
      if (plans.some((p) => seen.has(p.name))) continue; // one title, one rule: the engines would replace it
      plans.forEach((p) => seen.add(p.name));
      const docs = text.split(/^---\s*$/m).map((d) => parse(d) as { detection?: Record<string, unknown> } | null);
      loaded.push({ file, text, plans, vgl: conversion.rules.map((r) => r.vgl).join('\n'), detections: docs.filter((d) => d?.detection).map((d) => d!.detection!) });
    }
    const converted = loaded.reduce((n, l) => n + l.plans.length, 0);
    console.log(`sigma convert: ${files.length} files, ${rules} rules, ${converted} converted and compared, ${refusals} refusals`);
    expect(converted).toBeGreaterThan(0.9 * rules);

    const sigma = await engineWith((engine) => {
      for (const l of loaded) expect(engine.putRules(l.text, { file: l.file }).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    });
    const vgl = await engineWith((engine) => {
      for (const l of loaded) {
        const result = engine.putRules(l.vgl, { file: `${l.file}.vgl` });
        expect(result.diagnostics.filter((d) => d.severity === 'error'), l.vgl).toEqual([]);
      }
    });
    // Natively compiled, like the Sigma rules: a FILTER in the sandbox would say the writer left the expression subset.
    const sandboxed = vgl.engine.rules().filter((r) => r.functions.some((f) => f.mode !== 'native'));
    expect(sandboxed.map((r) => `${r.name}: ${r.functions.map((f) => `${f.phase} ${f.mode} ${f.reason ?? ''}`).join(', ')}`)).toEqual([]);

    const events = loaded.flatMap((l) => l.plans.flatMap((p, i) => (l.detections[i] ? eventsFor(p, l.detections[i]!, random) : [])));
    const fired = new Set<string>();
    const key = (a: Alert) => JSON.stringify(a);
    for (let i = 0; i < events.length; i += 200) {
      const batch = events.slice(i, i + 200);
      sigma.engine.push(batch);
      vgl.engine.push(batch);
      const expected = sigma.alerts.splice(0).map((a) => JSON.parse(key(a)) as Alert);
      const actual = vgl.alerts.splice(0).map((a) => JSON.parse(key(a)) as Alert);
      expected.forEach((a) => fired.add(a.rule));
      expect(actual.map(key).sort()).toEqual(expected.map(key).sort());
    }
    console.log(`sigma convert: ${events.length} events, ${fired.size} of ${converted} rules fired`);
    // The events hit the rules: most of them fire (rules on `re`, fieldref and time modifiers are seldom met by chance).
    expect(fired.size).toBeGreaterThan(0.6 * converted);
    sigma.engine.dispose();
    vgl.engine.dispose();
  });

  it('says why a rule cannot be written, with file:line:col, and writes the others of the file', async () => {
    const text = [
      'title: Keywords',
      'logsource: { product: windows, category: process_creation }',
      'detection:',
      '  keywords:',
      "    - 'mimikatz'",
      '  condition: keywords',
      '---',
      'title: Hour',
      'logsource: { product: windows, category: process_creation }',
      'detection:',
      '  selection:',
      '    UtcTime|hour: 3',
      '  condition: selection',
      '---',
      'title: Plain',
      'logsource: { product: windows, category: process_creation }',
      'detection:',
      '  selection:',
      "    CommandLine|contains: 'whoami'",
      '  condition: selection',
      '',
    ].join('\n');
    const result = sigmaToVgl({ file: 'mixed.yml', text }, { pipeline: 'evtx-json' });
    expect(result.rules.map((r) => r.name)).toEqual(['Plain']);
    // The first keyword (line 5, after '- ') and the key holding the time modifier (line 12).
    const errors = result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line}:${d.column} ${d.code}: ${d.message}`);
    expect(errors).toEqual([
      'mixed.yml:5:7 sigma-convert: keywords search every value of the event: a VGL FILTER has no expression for that',
      "mixed.yml:12:5 sigma-convert: the 'hour' modifier reads a date, which a native VGL expression cannot",
    ]);
  });

  it('a rule that only feeds a correlation is not written (it raises no alert of its own); with generate: true it is', () => {
    const text = (generate: boolean) =>
      [
        'title: Failed Logon',
        'name: failed_logon',
        'logsource: { product: windows, service: security }',
        'detection:',
        '  selection:',
        '    EventID: 4625',
        '  condition: selection',
        '---',
        'title: Many Failed Logons',
        'correlation:',
        '  type: event_count',
        '  rules: [failed_logon]',
        '  group-by: [TargetUserName]',
        '  timespan: 5m',
        '  condition: { gte: 10 }',
        `  generate: ${generate}`,
        '',
      ].join('\n');
    const silent = sigmaToVgl({ file: 'corr.yml', text: text(false) }, { pipeline: 'evtx-json' });
    expect(silent.rules).toEqual([]);
    expect(silent.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      "1:1 this rule feeds correlation 'Many Failed Logons' and raises no alert of its own; correlations are not converted, so neither is it",
      '10:1 correlation rules are not converted to VGL (they run as Sigma)',
    ]);
    const loud = sigmaToVgl({ file: 'corr.yml', text: text(true) }, { pipeline: 'evtx-json' });
    expect(loud.rules.map((r) => r.name)).toEqual(['Failed Logon']);
  });

  it('on the command line: prints the VGL, exit 0; a refused rule exits 1 naming where', async () => {
    const dir = ROOT!;
    const file = join(dir, 'rules/windows/process_creation/proc_creation_win_hktl_mimikatz_command_line.yml');
    const ok = await runVigil(['sigma', 'convert', file, '--sigma-pipeline', 'evtx-json']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('RULE "HackTool - Mimikatz Execution"');
    expect(ok.stdout).toContain('SOURCES Event.System.Channel = ["Microsoft-Windows-Sysmon/Operational", "Security"], Event.System.EventID = ["1", "4688"]');
    const flat = await runVigil(['sigma', 'convert', file]);
    expect(flat.code).toBe(1);
    expect(flat.stderr).toMatch(/proc_creation_win_hktl_mimikatz_command_line\.yml:\d+:\d+: error: pipeline 'flat' routes nothing/);
    const missing = await runVigil(['sigma', 'convert', join(dir, 'no-such.yml')]);
    expect(missing.code).toBe(2);
  });
});
