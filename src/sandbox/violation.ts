/**
 * Why a rule's sandbox gave up:
 * - `cpu`: the CPU deadline passed, or a guard caught an operation QuickJS cannot interrupt
 *   (e.g. a native loop over a sparse array of a billion holes);
 * - `memory`: the runtime's memory limit was reached;
 * - `stack`: the stack limit was reached (deep recursion);
 * - `refused`: the source uses something the sandbox does not allow (BigInt, async, `import()`…);
 * - `compile`: the source is not a valid function expression;
 * - `fanout`: the rule's alerts, re-entering the engine, multiplied past the re-entry budget;
 * - `crash`: the thread running the rule died (the outer guard restored the engine without it).
 */
export type ViolationKind = 'cpu' | 'memory' | 'stack' | 'refused' | 'compile' | 'fanout' | 'crash';

/**
 * Thrown when a rule breaks a sandbox limit or cannot be admitted. The engine deactivates the rule
 * and records the message; the sandbox that threw is dead and throws the same kind on every later call.
 */
export class SandboxViolation extends Error {
  override readonly name = 'SandboxViolation';
  readonly kind: ViolationKind;
  readonly rule: string;
  /** Items of the failing batch that were fully processed before the violation. */
  readonly completed: number;
  /** 1-based position inside the offending function's text, for `compile` and `refused`. */
  readonly line?: number;
  readonly column?: number;

  constructor(
    kind: ViolationKind,
    rule: string,
    message: string,
    completed = 0,
    where?: { line: number; column: number },
  ) {
    super(`rule "${rule}": ${message}`);
    this.kind = kind;
    this.rule = rule;
    this.completed = completed;
    if (where) {
      this.line = where.line;
      this.column = where.column;
    }
  }
}
