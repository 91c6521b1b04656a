/**
 * Rule text in, plans out, whatever the language: VGL (src/lang) or Sigma (src/sigma). The one
 * place the registry, checkpoints and re-enabled rules compile from, so a rule is the same plan
 * however it arrives. All or nothing: any error and no plan is returned (the ones compiled so far
 * are freed).
 */
import type { Diagnostic } from '../lang/diagnostic.js';
import { compileCheck, isReservedRuleName } from '../lang/index.js';
import { loadSigma, type SigmaCorrelation, type SigmaOptions } from '../sigma/index.js';
import { compileRule, disposePlan, planFromSigma, type RuleCompileContext, type RuleLanguage, type RulePlan } from './rule-plan.js';
import { defaultTimeField, planFromCorrelation, type CorrelationNode } from './correlation-plan.js';

export interface SourceOptions {
  /** The language of the text; by default Sigma for a `.yml`/`.yaml` file name, else VGL. */
  language?: RuleLanguage;
  /** IOC lists VGL rules may name. */
  iocLists: ReadonlySet<string>;
  /** How Sigma rules map to events (pipeline, placeholders). */
  sigma?: SigmaOptions;
}

export interface CompiledSource {
  ok: boolean;
  plans: RulePlan[];
  diagnostics: Diagnostic[];
}

/** The language of rule text from its file name (what `vigil run --rules` and the HTTP API go by). */
export function languageOf(file: string): RuleLanguage {
  return /\.ya?ml$/i.test(file) ? 'sigma' : 'vgl';
}

export function compileSource(text: string, file: string, ctx: RuleCompileContext, options: SourceOptions): CompiledSource {
  const language = options.language ?? languageOf(file);
  return language === 'sigma' ? compileSigma(text, file, ctx, options) : compileVgl(text, file, ctx, options);
}

function compileVgl(text: string, file: string, ctx: RuleCompileContext, options: SourceOptions): CompiledSource {
  const { rules, diagnostics } = compileCheck(text, file, { iocLists: options.iocLists });
  if (diagnostics.some((d) => d.severity === 'error')) return { ok: false, plans: [], diagnostics };
  const plans: RulePlan[] = [];
  const failures: Diagnostic[] = [];
  for (const ast of rules) {
    try {
      plans.push(compileRule(ast, ctx));
    } catch (error) {
      failures.push(ruleDiagnostic({ name: ast.name, file: ast.file, line: ast.nameSpan.start.line, column: ast.nameSpan.start.column, endLine: ast.nameSpan.end.line, endColumn: ast.nameSpan.end.column }, 'rule-compile', error instanceof Error ? error.message : String(error)));
    }
  }
  if (failures.length) {
    for (const plan of plans) disposePlan(plan);
    return { ok: false, plans: [], diagnostics: [...diagnostics, ...failures] };
  }
  return { ok: true, plans, diagnostics };
}

function compileSigma(text: string, file: string, ctx: RuleCompileContext, options: SourceOptions): CompiledSource {
  let collection;
  try {
    collection = loadSigma([{ file, text }], options.sigma);
  } catch (error) {
    // An unknown pipeline name: the caller's option, said where the rules are.
    return { ok: false, plans: [], diagnostics: [ruleDiagnostic({ name: '', file, line: 1, column: 1 }, 'sigma-pipeline', error instanceof Error ? error.message : String(error))] };
  }
  const diagnostics = [...collection.diagnostics];
  // A title is the rule's name, so the check VGL names get applies: an alert of a rule titled
  // "vigil.rule.deactivated" would pass for the engine's own and reach the rules that watch those.
  for (const rule of collection.rules) {
    if (isReservedRuleName(rule.name)) {
      diagnostics.push(ruleDiagnostic({ name: rule.name, file: rule.file, line: rule.line, column: 1 }, 'reserved-rule-name', `rule titles starting with "vigil." are reserved for the engine's own alerts: rename "${rule.name}"`));
    }
  }
  for (const c of collection.correlations) {
    if (isReservedRuleName(c.title)) diagnostics.push(ruleDiagnostic({ name: c.title, file: c.file, ...lineAndColumn(text, c.span[0]) }, 'reserved-rule-name', `rule titles starting with "vigil." are reserved for the engine's own alerts: rename "${c.title}"`));
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { ok: false, plans: [], diagnostics };
  // A rule or correlation another correlation references feeds it and raises no alert of its
  // own, unless one of the correlations that reference it says `generate: true`.
  const feedsRule = new Map<number, boolean>();
  const feedsCorrelation = new Map<number, boolean>();
  for (const c of collection.correlations) {
    for (const t of c.targets!) {
      const feeds = t.kind === 'rule' ? feedsRule : feedsCorrelation;
      feeds.set(t.index, (feeds.get(t.index) ?? false) || c.generate);
    }
  }
  // Titles name rules; two rules of one file with the same title are told apart by their id.
  const titles = new Map<string, number>();
  for (const rule of collection.rules) titles.set(rule.name, (titles.get(rule.name) ?? 0) + 1);
  for (const c of collection.correlations) titles.set(c.title, (titles.get(c.title) ?? 0) + 1);
  const nameOf = (title: string, id: string | undefined, line: number) => (titles.get(title)! > 1 ? `${title} [${id ?? line}]` : title);
  const source = { language: 'sigma' as const, text, file };
  const plans = collection.rules.flatMap((rule, i) => (feedsRule.get(i) === false ? [] : [planFromSigma(rule, nameOf(rule.name, rule.sigma.id, rule.line), source, ctx.sigmaPrefilter)]));
  const pipeline = options.sigma?.pipeline;
  const timeField = options.sigma?.timeField ?? defaultTimeField(typeof pipeline === 'string' ? pipeline : pipeline?.name);
  // The resolver refused loops: a chain is a tree.
  const nodeOf = (c: SigmaCorrelation): CorrelationNode => ({
    correlation: c,
    refs: c.targets!.map((t) => (t.kind === 'rule' ? { rule: collection.rules[t.index]! } : { node: nodeOf(collection.correlations[t.index]!) })),
  });
  collection.correlations.forEach((c, i) => {
    if (feedsCorrelation.get(i) === false) return;
    plans.push(planFromCorrelation(nodeOf(c), nameOf(c.title, c.id, lineAndColumn(text, c.span[0]).line), source, { timeField, allowedLatenessMs: ctx.allowedLatenessMs }));
  });
  return { ok: true, plans, diagnostics };
}

export function ruleDiagnostic(
  at: { name: string; file: string; line: number; column: number; endLine?: number; endColumn?: number },
  code: string,
  message: string,
  severity: Diagnostic['severity'] = 'error',
): Diagnostic {
  return {
    severity,
    code,
    message,
    file: at.file,
    line: at.line,
    column: at.column,
    endLine: at.endLine ?? at.line,
    endColumn: at.endColumn ?? at.column,
    excerpt: '',
    rule: at.name,
  };
}

/** 1-based line and column of an offset into `text`. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}
