/**
 * The rules service: the engine's rules as the page edits them, with a persisted history of every
 * version (kept across reloads, unlike the engine's own), enabling, disabling and reverting.
 */
import type { RuleInfo } from '../../../src/engine/engine.js';
import type { RuleHistoryEntry, RuleOpResult } from '../../../src/runtime/worker/protocol.js';
import type { StoredState } from '../persistence.js';
import { appendHistory, ruleRecords, type HistoryRecord, type WritePlan } from '../records.js';
import { detectRuleLanguage } from '../../components/rules/rule-language.js';
import type { HostContext } from './context.js';

/** A saved rule's text compiles as what it is: the records keep no language, Sigma YAML says it itself. */
function fileFor(name: string, text: string): string {
  return `${name}.${detectRuleLanguage(text) === 'sigma' ? 'yml' : 'vgl'}`;
}

export class RulesService {
  private readonly histories = new Map<string, HistoryRecord>();

  constructor(
    private readonly ctx: HostContext,
    /** Called after every change of the rules (the debugger follows them). */
    private readonly onChange: () => void,
  ) {}

  // ── start-up ─────────────────────────────────────────────────────────────

  adoptHistory(stored: StoredState): void {
    for (const h of stored.history) this.histories.set(h.name, h);
  }

  /** Applies the stored rules; returns the problems of those that no longer compile. */
  restoreStored(stored: StoredState): string[] {
    const problems: string[] = [];
    for (const rule of stored.rules) {
      const result = this.ctx.engine.putRules(rule.text, { file: fileFor(rule.name, rule.text), author: 'restore' });
      if (!result.ok) {
        problems.push(`${rule.name}: ${result.diagnostics.map((d) => d.message).join('; ')}`);
        continue;
      }
      if (!rule.enabled) this.ctx.engine.setRuleEnabled(rule.name, false);
    }
    return problems;
  }

  /** Applies the default rules (not persisted: the caller writes `records()` when they all applied). */
  loadDefaults(text: string, author: string, file: string): string[] {
    const result = this.apply(text, author, file);
    return result.ok ? [] : result.diagnostics.map((x) => `${x.file}:${x.line}:${x.column}: ${x.message}`);
  }

  /** The write of every rule and every history. */
  records(): WritePlan {
    return { ...this.rulesPlan([]), history: { put: [...this.histories.values()] } };
  }

  /** Removes every rule from the engine and forgets the histories. */
  clear(): void {
    this.removeAllFromEngine();
    this.histories.clear();
  }

  /** Removes every rule from the engine (a half-restored engine starts over); histories stay. */
  removeAllFromEngine(): void {
    const engine = this.ctx.engine;
    for (const rule of engine.rules()) engine.removeRule(rule.name);
  }

  // ── the page's API ───────────────────────────────────────────────────────

  async putRules(text: string, options: { author?: string; file?: string } = {}): Promise<RuleOpResult> {
    const result = this.apply(text, options.author ?? 'unknown', options.file ?? 'editor.vgl');
    if (result.ok) await this.persist([...result.added, ...result.replaced]);
    return result;
  }

  async removeRule(name: string, author = 'unknown'): Promise<boolean> {
    if (!this.ctx.engine.removeRule(name, { author })) return false;
    this.histories.set(name, appendHistory(this.histories.get(name), name, { action: 'remove', text: '', author, time: Date.now() }));
    this.changed();
    await this.persist([name], [name]);
    return true;
  }

  async setRuleEnabled(name: string, enabled: boolean, author = 'unknown'): Promise<void> {
    const engine = this.ctx.engine;
    const before = engine.rule(name);
    if (!before) throw new Error(`no rule "${name}"`);
    engine.setRuleEnabled(name, enabled);
    const after = engine.rule(name)!;
    if (before.state !== after.state) {
      this.histories.set(
        name,
        appendHistory(this.histories.get(name), name, { action: enabled ? 'enable' : 'disable', text: after.text, author, time: Date.now() }),
      );
    }
    this.changed();
    await this.persist([name]);
  }

  rules(): RuleInfo[] {
    return this.ctx.engine.rules();
  }

  history(name: string): RuleHistoryEntry[] {
    return structuredClone(this.histories.get(name)?.versions ?? []);
  }

  removedRules(): string[] {
    return [...this.histories.keys()].filter((name) => !this.ctx.engine.rule(name)).sort();
  }

  async revertRule(name: string, version: number, author = 'unknown'): Promise<RuleOpResult> {
    const entry = this.histories.get(name)?.versions.find((v) => v.version === version);
    if (!entry || !entry.text) throw new Error(`rule "${name}" has no version ${version} to restore`);
    const result = this.apply(entry.text, author, fileFor(`${name}@${version}`, entry.text), version);
    if (result.ok) await this.persist([name]);
    return result;
  }

  // ── internals ────────────────────────────────────────────────────────────

  /** Applies rules and records the versions; no persistence. */
  private apply(text: string, author: string, file: string, revertFrom?: number): RuleOpResult {
    const engine = this.ctx.engine;
    const result = engine.putRules(text, { author, file });
    if (!result.ok) return result;
    const time = Date.now();
    for (const name of [...result.added, ...result.replaced]) {
      const info = engine.rule(name)!;
      const last = this.histories.get(name)?.versions.at(-1);
      const action: RuleHistoryEntry['action'] =
        revertFrom !== undefined ? 'revert' : !last || last.action === 'remove' ? 'create' : 'replace';
      if (last && last.text === info.text && last.action !== 'remove' && revertFrom === undefined) continue;
      this.histories.set(
        name,
        appendHistory(this.histories.get(name), name, {
          action,
          text: info.text,
          author,
          time,
          ...(revertFrom !== undefined ? { from: revertFrom } : {}),
        }),
      );
    }
    this.changed();
    return result;
  }

  private changed(): void {
    this.onChange();
    this.ctx.feed.rulesChanged();
  }

  /** Writes all rules (order may have changed) and the history of `touched`. */
  private persist(touched: string[], removed: string[] = []): Promise<void> {
    const history = touched.map((n) => this.histories.get(n)).filter((h): h is HistoryRecord => !!h);
    return this.ctx.persistence.write({ ...this.rulesPlan(removed), history: { put: history } });
  }

  private rulesPlan(removed: string[]): Pick<WritePlan, 'rules'> {
    return { rules: { put: ruleRecords(this.ctx.engine.rules()), delete: removed } };
  }
}
