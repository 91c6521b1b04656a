/**
 * Opens a view in stages, one task each: the shell (toolbar, panel frames, cheap figures) in the
 * task that opens the view, then each heavy part (charts, map, tables, the editor) in a task of its
 * own. Opening a view is then several short tasks instead of one long one, and the view's frame
 * shows within a frame. The host renders `stages.ready(k) ? part : placeholder`.
 *
 * While stages are pending the host carries the attribute `data-filling` (the rate e2e test waits
 * for it to go to time a view fully drawn).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class Stages implements ReactiveController {
  /** Stages shown so far: 0 is the shell alone. */
  stage = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    /** Stages after the shell. */
    private readonly count: number,
  ) {
    host.addController(this);
  }

  /** Whether stage `k` (1…count) is to be drawn. */
  ready(k: number): boolean {
    return this.stage >= k;
  }

  hostConnected(): void {
    this.stage = 0;
    this.host.toggleAttribute('data-filling', true);
  }

  /** After a render: the next stage in a new task (the browser may paint and handle input first). */
  hostUpdated(): void {
    if (this.stage >= this.count || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.stage++;
      if (this.stage >= this.count) this.host.toggleAttribute('data-filling', false);
      this.host.requestUpdate();
    }, 0);
  }

  hostDisconnected(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
