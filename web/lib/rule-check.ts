/**
 * Checks VGL rule text in a worker (web/worker/check.worker.ts), started on the first check and
 * kept for the page's life. Where no worker can start, or it fails, the check runs in the calling
 * thread instead: diagnostics late by one long task rather than missing.
 */
import * as Comlink from 'comlink';
import { compileCheck, tokenize } from '../../src/lang/index.js';
import type { Diagnostic } from '../../src/lang/diagnostic.js';
import type { RuleCheckApi } from '../worker/check.worker.js';

interface Checker {
  remote: Comlink.Remote<RuleCheckApi>;
  /** Rejects when the worker fails (its script did not load, or it crashed): pending checks would never settle. */
  failure: Promise<never>;
}

let started: Checker | undefined;
let failed = typeof Worker === 'undefined';

function checker(): Checker | undefined {
  if (failed) return undefined;
  if (!started) {
    try {
      const worker = new Worker(new URL('../worker/check.worker.ts', import.meta.url), { type: 'module', name: 'vigil-rule-check' });
      const failure = new Promise<never>((_, reject) =>
        worker.addEventListener('error', (e) => {
          failed = true;
          started = undefined;
          worker.terminate();
          reject(new Error(`the rule checker worker failed: ${e.message || 'not loaded'}`));
        }),
      );
      failure.catch(() => undefined);
      started = { remote: Comlink.wrap<RuleCheckApi>(worker), failure };
    } catch (error) {
      failed = true;
      console.warn('vigil: the rule checker worker could not start; checking on the page', error);
      return undefined;
    }
  }
  return started;
}

/** The diagnostics of VGL `text` (named `file` in them), IOC FILTERS checked against `iocLists`. */
export async function checkVgl(text: string, file: string, iocLists: readonly string[]): Promise<Diagnostic[]> {
  const worker = checker();
  if (worker) {
    try {
      return await Promise.race([worker.remote.check(text, file, [...iocLists]), worker.failure]);
    } catch (error) {
      console.warn('vigil: checking the rules in the worker failed; checking on the page', error);
    }
  }
  return compileCheck(text, file, { iocLists: new Set(iocLists) }).diagnostics;
}

/**
 * The highlight's tokens of VGL `text`, lexed in the checker's worker: opening the Rules view on
 * the default rules lexed them in a 30–40 ms task of the page. On the page if no worker runs.
 */
export async function tokenizeVgl(text: string): Promise<ReturnType<typeof tokenize>> {
  const worker = checker();
  if (worker) {
    try {
      return await Promise.race([worker.remote.tokenize(text), worker.failure]);
    } catch (error) {
      console.warn('vigil: lexing the rules in the worker failed; lexing on the page', error);
    }
  }
  return tokenize(text);
}
