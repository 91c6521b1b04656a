/**
 * STATE MACHINE rules: per key, events must follow a protocol; an event with no transition from
 * the key's state is an alert. The machine (StateMachine, part of the rule's plan) is apart from
 * the keys' states (MachineKeys, part of its state): a state table behind the StateTable port,
 * where a whole batch of a rule's events is stepped in one crossing.
 */
import type { RuleAst } from '../lang/ast.js';
import { NO_TRANSITION, StepFlags, TERM, type StateTable, type StateTableFactory, type TransitionProgram } from './ports.js';
import { fieldReader, groupKeyText, ownField, recordOf, scalarText, type EventRecord, type FieldReader } from '../lang/fields.js';

export type StateMachineSpec = NonNullable<RuleAst['stateMachine']>;

/** What SINK receives for an invalid transition. */
export interface StateMachineViolation {
  key: Record<string, unknown>;
  state: string;
  eventType: string;
  event: EventRecord;
}

/**
 * One event stepping one key of a STATE MACHINE rule, as the state table applied it (the
 * debugger's view: src/engine/engine.ts `onTransition`).
 */
export interface MachineTransition {
  rule: string;
  key: Record<string, unknown>;
  /**
   * The key's state before the event: INITIAL for a new key and for one idle past TIMEOUT (whether
   * or not the table had already swept it, so the report does not depend on batch boundaries).
   */
  from: string;
  /** Its state after it ('TERM' when the machine ended for the key; unchanged for an invalid event, INITIAL under RESET). */
  to: string;
  eventType: string;
  /** The event's time (USING) or the processing time. */
  time: number;
  /** False when the event had no transition from `from` (an alert). */
  valid: boolean;
  event: EventRecord;
}

export interface StepResult {
  /** Index into the inputs → the violation it caused. */
  violations: Map<number, StateMachineViolation>;
  /** Inputs without a usable ON field (reported, not stepped). */
  missingType: number[];
  /** Inputs of new keys not stepped because the machine held `maxKeys` keys. */
  shed: number[];
}

/**
 * The keys' states of one STATE MACHINE rule (its RuleState part): a state table in WebAssembly
 * memory. Kept apart from the machine's plan, so a new version of the rule with the same machine
 * takes the keys over as they are.
 */
export class MachineKeys {
  /** The last time idle keys were swept out of memory. */
  lastSweep = -Infinity;

  private constructor(readonly table: StateTable) {}

  static create(factory: StateTableFactory): MachineKeys {
    return new MachineKeys(factory.create({ keyBits: 64 }));
  }

  static restore(factory: StateTableFactory, bytes: Uint8Array): MachineKeys {
    return new MachineKeys(factory.deserialize(bytes));
  }

  get liveKeys(): number {
    return this.table.size;
  }

  /** Bytes of WebAssembly memory the keys' states take. */
  get byteSize(): number {
    return this.table.byteSize;
  }

  serialize(): Uint8Array {
    return this.table.serialize();
  }

  dispose(): void {
    this.table.dispose();
  }
}

/**
 * A STATE MACHINE rule's compiled machine (its RulePlan part): the states numbered, the event
 * types coded and the transition program loaded into WebAssembly. It holds no key's state.
 */
export class StateMachine {
  readonly keyFields: string[];
  readonly stateNames: string[];
  readonly timeoutMs?: number;
  private readonly keyReaders: FieldReader[];
  private readonly readType: FieldReader;
  private readonly typeCodes = new Map<string, number>();
  private readonly program: TransitionProgram;

  constructor(
    readonly spec: StateMachineSpec,
    factory: StateTableFactory,
  ) {
    this.keyFields = spec.keyFields.map((f) => f.field);
    this.keyReaders = this.keyFields.map(fieldReader);
    this.readType = fieldReader(spec.on.field);
    this.timeoutMs = spec.timeout?.ms;
    // INITIAL is state 0; the others are numbered in order of first mention.
    this.stateNames = ['INITIAL'];
    const stateId = (name: string) => {
      if (name === 'TERM') return TERM;
      let id = this.stateNames.indexOf(name);
      if (id < 0) id = this.stateNames.push(name) - 1;
      return id;
    };
    for (const state of spec.states) {
      stateId(state.name);
      for (const t of state.transitions) {
        stateId(t.target);
        if (!this.typeCodes.has(t.event)) this.typeCodes.set(t.event, this.typeCodes.size);
      }
    }
    const types = this.typeCodes.size;
    const transitions = new Array<number>(this.stateNames.length * types).fill(NO_TRANSITION);
    for (const state of spec.states) {
      const from = stateId(state.name);
      for (const t of state.transitions) transitions[from * types + this.typeCodes.get(t.event)!] = stateId(t.target);
    }
    this.program = factory.program({ states: this.stateNames.length, types, transitions, resetOnInvalid: spec.resetOnAlert });
  }

  /**
   * Steps the events in order; returns the violations by input index. With `observe`, every stepped
   * event's transition is told to it, in order (read back from the table's outcomes, so what the
   * debugger sees is what the engine did).
   */
  step(keys: MachineKeys, events: readonly EventRecord[], eventTimes: readonly number[], observe?: (transition: MachineTransition) => void, rule = '', maxKeys = Infinity): StepResult {
    const violations = new Map<number, StateMachineViolation>();
    const missingType: number[] = [];
    const shed: number[] = [];
    const n = events.length;
    const stepped = new Int32Array(n);
    const keyTexts: string[] = [];
    const types = new Uint16Array(n);
    const times = new Float64Array(n);
    const unknownType = this.typeCodes.size;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const event = events[i];
      const type = scalarText(this.readType(event));
      if (type === undefined) {
        missingType.push(i);
        continue;
      }
      stepped[count] = i;
      keyTexts.push(this.keyText(event));
      // A type the machine never mentions has no transition from any state: always invalid.
      types[count] = this.typeCodes.get(type) ?? unknownType;
      times[count] = eventTimes[i];
      count++;
    }
    // Only a batch that could take the table past its bound pays for looking its keys up.
    if (keys.table.size + count > maxKeys) count = this.keepRoomFor(keys, maxKeys, count, stepped, keyTexts, types, times, shed);
    if (!count) return { violations, missingType, shed };
    const outcomes = keys.table.stepMany(this.program, keyTexts, types.subarray(0, count), times.subarray(0, count), this.timeoutMs === undefined ? {} : { ttlMs: this.timeoutMs });
    if (observe) {
      for (let k = 0; k < count; k++) {
        const event = events[stepped[k]];
        const flags = outcomes.flags(k);
        const to = outcomes.to(k);
        observe({
          rule,
          key: this.keyObject(event),
          from: this.stateNames[outcomes.from(k)] ?? 'INITIAL',
          to: to === TERM ? 'TERM' : (this.stateNames[to] ?? 'INITIAL'),
          eventType: scalarText(this.readType(event))!,
          time: times[k],
          valid: !(flags & StepFlags.Invalid),
          event,
        });
      }
    }
    for (let k = 0; k < count; k++) {
      if (!(outcomes.flags(k) & StepFlags.Invalid)) continue;
      const event = events[stepped[k]];
      violations.set(stepped[k], {
        key: this.keyObject(event),
        state: this.stateNames[outcomes.from(k)] ?? 'INITIAL',
        eventType: scalarText(this.readType(event))!,
        event,
      });
    }
    this.sweep(keys, times[count - 1]);
    return { violations, missingType, shed };
  }

  /**
   * Drops, in place, the inputs of keys the table does not hold once `maxKeys` keys are held or
   * admitted (their input indices go to `shed`); returns how many inputs are left. Keys the table
   * holds always step, so a flood of new keys cannot take a machine away from the keys it follows.
   */
  private keepRoomFor(keys: MachineKeys, maxKeys: number, count: number, stepped: Int32Array, keyTexts: string[], types: Uint16Array, times: Float64Array, shed: number[]): number {
    let room = maxKeys - keys.table.size;
    const admitted = new Set<string>();
    let kept = 0;
    for (let k = 0; k < count; k++) {
      const text = keyTexts[k];
      if (!admitted.has(text) && keys.table.get(text) < 0) {
        if (room <= 0) {
          shed.push(stepped[k]);
          continue;
        }
        room--;
        admitted.add(text);
      }
      stepped[kept] = stepped[k];
      keyTexts[kept] = text;
      types[kept] = types[k];
      times[kept] = times[k];
      kept++;
    }
    keyTexts.length = kept;
    return kept;
  }

  /** Keys per state, for the debugger and metrics. */
  stateCounts(keys: MachineKeys): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const name of this.stateNames) counts[name] = 0;
    for (const [, state] of keys.table.entries()) counts[this.stateNames[state] ?? String(state)]++;
    return counts;
  }

  /** The state of one key (INITIAL when the machine holds nothing for it). */
  stateOf(keys: MachineKeys, key: Record<string, unknown>): string {
    const values = this.keyFields.map((f) => ownField(key, f) ?? null);
    const id = keys.table.get(groupKeyText(values));
    return id < 0 ? 'INITIAL' : (this.stateNames[id] ?? String(id));
  }

  /** Frees the transition program (the keys are the RuleState's). */
  dispose(): void {
    this.program.dispose();
  }

  private keyText(event: EventRecord): string {
    if (this.keyReaders.length === 1) {
      const value = this.keyReaders[0](event) ?? null;
      return typeof value === 'string' ? `s${value}` : groupKeyText([value]);
    }
    return groupKeyText(this.keyReaders.map((read) => read(event) ?? null));
  }

  private keyObject(event: EventRecord): Record<string, unknown> {
    return recordOf(this.keyFields, this.keyReaders.map((read) => read(event) ?? null));
  }

  /** Frees idle keys now and then (a key idle past the timeout is already treated as new). */
  private sweep(keys: MachineKeys, now: number): void {
    if (this.timeoutMs === undefined || !Number.isFinite(now)) return;
    if (now - keys.lastSweep < this.timeoutMs / 4) return;
    keys.lastSweep = now;
    keys.table.evictIdle(now, this.timeoutMs);
  }
}


