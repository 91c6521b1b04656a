/**
 * Views are kept while hidden (the app shell makes each once, on its first visit, and sets `hidden`
 * on the ones not shown). What redraws live checks here and stands still while its view is hidden:
 * StoreController parks its store changes and catches up once when the view shows again; views
 * with timers of their own skip their ticks and use WhenShown to catch up.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

const shownEvents = new EventTarget();

/**
 * Whether `node` is in a hidden view: it or an ancestor (across shadow roots) has the `hidden`
 * attribute, or it is not in the page. Anything not in a document (a test's fake host) is shown.
 */
export function inHiddenView(node: unknown): boolean {
  if (typeof Element === 'undefined' || !(node instanceof Element)) return false;
  if (!node.isConnected) return true;
  for (let n: Node | null = node; n; n = n instanceof ShadowRoot ? n.host : n.parentNode) {
    if (n instanceof HTMLElement && n.hidden) return true;
  }
  return false;
}

/** The shell showed a view (called after the render that unhid it). */
export function announceViewShown(): void {
  shownEvents.dispatchEvent(new Event('shown'));
}

/** Calls `listener` each time the shell shows a view, until the returned function is called. */
export function onViewShown(listener: () => void): () => void {
  shownEvents.addEventListener('shown', listener);
  return () => shownEvents.removeEventListener('shown', listener);
}

/** Calls `onShown` when the host's view shows again after being hidden (not when it is first made). */
export class WhenShown implements ReactiveController {
  private wasHidden = false;
  private stop: (() => void) | undefined;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly onShown: () => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.stop = onViewShown(() => {
      const hidden = inHiddenView(this.host);
      if (this.wasHidden && !hidden) this.onShown();
      this.wasHidden = hidden;
    });
  }

  hostDisconnected(): void {
    this.stop?.();
    this.stop = undefined;
  }
}
