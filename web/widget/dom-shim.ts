/**
 * The widget's worker is the widget's own module, so lit is evaluated in the worker too. lit reads
 * two DOM names while it loads (`document.createTreeWalker` for its template walker, `HTMLElement`
 * as a base class); in a worker they get stand-ins, removed again by dom-unshim.ts once lit has
 * loaded. Nothing of lit runs in the worker after that. Import this module before lit.
 */
import { IN_WORKER } from './scope.js';

const g = globalThis as Record<string, unknown>;
export const shimmed: string[] = [];

if (IN_WORKER) {
  if (g.document === undefined) {
    g.document = { createTreeWalker: () => ({}), createComment: () => ({}), createElement: () => ({}) };
    shimmed.push('document');
  }
  if (g.HTMLElement === undefined) {
    g.HTMLElement = class HTMLElement {};
    shimmed.push('HTMLElement');
  }
}
