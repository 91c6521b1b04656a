/**
 * The slice of the Cloudflare Workers runtime API this entry uses, declared here rather than
 * through @cloudflare/workers-types, whose globals clash with the DOM library the rest of the
 * project type-checks against. Shapes follow workers-types.
 */

export interface DurableObjectStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number | Date): Promise<void>;
}

export interface DurableObjectState {
  readonly id: DurableObjectId;
  readonly storage: DurableObjectStorage;
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
}

export interface DurableObjectId {
  toString(): string;
}

export interface DurableObjectStub {
  fetch(request: Request): Promise<Response>;
}

export interface DurableObjectNamespace {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): DurableObjectStub;
}

/** The bindings of the Worker (wrangler.toml `[vars]`, secrets and `[[durable_objects.bindings]]`). */
export interface WorkerEnv {
  VIGIL_PARTITION: DurableObjectNamespace;
  [variable: string]: unknown;
}
