/** Custom tables: exact sets of strings that rules test with `utils.inTable(name, value)`. */
import type { PlacementOptions } from './ioc-registry.js';

export class TableRegistry {
  private readonly tables = new Map<string, Set<string>>();
  /** Tables the host keeps outside checkpoints (PlacementOptions in ioc-registry.ts). */
  private readonly shared = new Set<string>();

  create(name: string, entries: Iterable<string> = [], placement?: PlacementOptions): void {
    if (this.tables.has(name)) throw new Error(`table '${name}' already exists`);
    this.tables.set(name, new Set(entries));
    if (placement?.shared) this.shared.add(name);
  }

  isShared(name: string): boolean {
    return this.shared.has(name);
  }

  add(name: string, entries: Iterable<string>): void {
    const table = this.get(name);
    for (const e of entries) table.add(e);
  }

  remove(name: string, entries: Iterable<string>): number {
    const table = this.get(name);
    let removed = 0;
    for (const e of entries) if (table.delete(e)) removed++;
    return removed;
  }

  delete(name: string): boolean {
    this.shared.delete(name);
    return this.tables.delete(name);
  }

  /** Membership; an unknown table is an error, so a typo in a rule is not a silent `false`. */
  has(name: string, value: string): boolean {
    return this.get(name).has(value);
  }

  names(): string[] {
    return [...this.tables.keys()];
  }

  size(name: string): number {
    return this.get(name).size;
  }

  entries(name: string): string[] {
    return [...this.get(name)];
  }

  private get(name: string): Set<string> {
    const table = this.tables.get(name);
    if (!table) throw new Error(`unknown table '${name}'`);
    return table;
  }
}
