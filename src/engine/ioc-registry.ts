/** The named IOC sets of an engine. */
import type { IocSet, IocSetFactory, IocSetOptions } from './ports.js';

export interface IocListInfo {
  name: string;
  count: number;
  byteSize: number;
  /** Kept by the host outside the engine's checkpoints (see PlacementOptions). */
  shared: boolean;
}

/**
 * `shared`: the host stores the list itself (the edge: once per deployment, content-addressed), so
 * a checkpoint names nothing of it and restoring a checkpoint leaves it in place. Default false:
 * the list travels in every checkpoint.
 */
export interface PlacementOptions {
  shared?: boolean;
}

export class IocRegistry {
  private readonly sets = new Map<string, IocSet>();
  private readonly shared = new Set<string>();

  constructor(
    private readonly factory: IocSetFactory,
    /** Names of the rules that use a list; a list in use cannot be deleted. */
    private readonly usersOf: (list: string) => string[],
  ) {}

  create(name: string, options?: IocSetOptions, placement?: PlacementOptions): void {
    if (this.sets.has(name)) throw new Error(`IOC list '${name}' already exists`);
    this.sets.set(name, this.factory.create(options));
    if (placement?.shared) this.shared.add(name);
  }

  /** Creates the list from serialized bytes (a checkpoint, or a filter shared without its entries). */
  load(name: string, bytes: Uint8Array, placement?: PlacementOptions): void {
    if (this.sets.has(name)) throw new Error(`IOC list '${name}' already exists`);
    this.sets.set(name, this.factory.deserialize(bytes));
    if (placement?.shared) this.shared.add(name);
  }

  /** Whether the host keeps this list outside checkpoints. */
  isShared(name: string): boolean {
    return this.shared.has(name);
  }

  add(name: string, entries: readonly string[]): void {
    this.get(name).add(entries);
  }

  remove(name: string, entries: readonly string[]): number {
    return this.get(name).remove(entries);
  }

  has(name: string, entry: string): boolean {
    return this.get(name).has(entry);
  }

  exists(name: string): boolean {
    return this.sets.has(name);
  }

  delete(name: string): void {
    const users = this.usersOf(name);
    if (users.length) throw new Error(`IOC list '${name}' is used by rule${users.length > 1 ? 's' : ''} ${users.map((u) => `"${u}"`).join(', ')}`);
    this.get(name).dispose();
    this.sets.delete(name);
    this.shared.delete(name);
  }

  /** Deletes a list whatever uses it: for restoring a checkpoint over the current state. */
  drop(name: string): void {
    this.get(name).dispose();
    this.sets.delete(name);
    this.shared.delete(name);
  }

  list(): IocListInfo[] {
    return [...this.sets].map(([name, set]) => ({ name, count: set.count, byteSize: set.byteSize, shared: this.shared.has(name) }));
  }

  names(): ReadonlySet<string> {
    return new Set(this.sets.keys());
  }

  serialize(name: string): Uint8Array {
    return this.get(name).serialize();
  }

  /** The set itself, for the engine's hot path. */
  get(name: string): IocSet {
    const set = this.sets.get(name);
    if (!set) throw new Error(`unknown IOC list '${name}'`);
    return set;
  }
}
