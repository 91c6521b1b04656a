/**
 * Which language a rule text is in, for the editor, the preview and restoring saved rules: Sigma
 * YAML has top-level `title:` and `detection:` (or `correlation:`) keys, which VGL can never start
 * a line with; everything else is VGL. The file name a draft is compiled under follows from it
 * (the engine compiles `.yml` as Sigma).
 */
export type RuleLanguage = 'vgl' | 'sigma';

export function detectRuleLanguage(text: string): RuleLanguage {
  return /^title\s*:/m.test(text) && /^(detection|correlation)\s*:/m.test(text) ? 'sigma' : 'vgl';
}

/** The language a file name says (.yml/.yaml: Sigma), else undefined. */
export function languageOfFileName(name: string): RuleLanguage | undefined {
  return /\.ya?ml$/i.test(name) ? 'sigma' : /\.vgl$/i.test(name) ? 'vgl' : undefined;
}

export function draftFileName(language: RuleLanguage): string {
  return language === 'sigma' ? 'editor.yml' : 'editor.vgl';
}
