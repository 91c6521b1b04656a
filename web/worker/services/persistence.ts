/**
 * The persistence service: writes to the store (IndexedDB, or memory) are queued so they land in
 * the order they were made; a failed write is reported to the page as a `vigil.storage`
 * diagnostic, never thrown at the caller (the live state stays as it is).
 */
import type { RuntimeDiagnostic } from '../../../src/engine/engine.js';
import type { StateStore } from '../persistence.js';
import type { WritePlan } from '../records.js';

export class Persistence {
  private writes: Promise<void> = Promise.resolve();

  constructor(
    readonly store: StateStore,
    private readonly report: (diagnostic: RuntimeDiagnostic) => void,
  ) {}

  write(plan: WritePlan): Promise<void> {
    return this.enqueue(() => this.store.write(plan));
  }

  /** Forgets everything stored (after the writes queued before). */
  clear(): Promise<void> {
    return this.enqueue(() => this.store.clear());
  }

  /** Resolves once the writes queued so far have landed (or failed). */
  settled(): Promise<void> {
    return this.writes;
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.writes = this.writes.then(work).catch((error: unknown) => {
      this.report({ code: 'vigil.storage', message: `could not save: ${String(error)}` });
    });
    return this.writes;
  }
}
