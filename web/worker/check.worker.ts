/**
 * The rule editor's checker: parses and checks VGL drafts (`compileCheck`, src/lang) off the page's
 * main thread, where checking the default rules took 70–100 ms of CPU, one long task per check; and
 * lexes a text the editor shows for the first time (its highlight). A
 * worker of its own, not the engine worker: that one is busy with the live stream at high rates,
 * and a check queued behind it would make the editor's diagnostics lag. Started by
 * web/lib/rule-check.ts.
 */
import * as Comlink from 'comlink';
import { compileCheck, tokenize } from '../../src/lang/index.js';
import type { Diagnostic } from '../../src/lang/diagnostic.js';

export interface RuleCheckApi {
  check(text: string, file: string, iocLists: readonly string[]): Diagnostic[];
  /** The highlight's tokens of a VGL text (lexing and parsing the default rules: 30–40 ms of CPU). */
  tokenize(text: string): ReturnType<typeof tokenize>;
}

const api: RuleCheckApi = {
  check: (text, file, iocLists) => compileCheck(String(text), String(file), { iocLists: new Set(iocLists) }).diagnostics,
  tokenize: (text) => tokenize(String(text)),
};

Comlink.expose(api);
