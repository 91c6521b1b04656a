/**
 * The protocol the `network` generator speaks: a state machine over event types a…g, the
 * reference example of the state-machine rules.
 *
 * ```
 * INITIAL --a (0.6)--> W      INITIAL --c (0.4)--> X
 * W --b (1.0)--> Y
 * X --b (0.2)--> Y            X --d (0.8)--> Z
 * Y --e (1.0)--> Z
 * Z --g (1.0)--> TERM
 * ```
 * `f` has no transition anywhere, so it is always invalid. A key not seen before is in INITIAL; an
 * invalid event leaves the state unchanged; TERM is final (the machine is gone).
 */
export type ProtocolState = 'INITIAL' | 'W' | 'X' | 'Y' | 'Z' | 'TERM';
export type PacketType = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g';

export interface Transition {
  type: PacketType;
  to: ProtocolState;
  probability: number;
}

export const PACKET_TYPES: readonly PacketType[] = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

/** Transitions per state, with the probability the generator draws each. TERM has none. */
export const PROTOCOL: Readonly<Record<ProtocolState, readonly Transition[]>> = {
  INITIAL: [
    { type: 'a', to: 'W', probability: 0.6 },
    { type: 'c', to: 'X', probability: 0.4 },
  ],
  W: [{ type: 'b', to: 'Y', probability: 1 }],
  X: [
    { type: 'b', to: 'Y', probability: 0.2 },
    { type: 'd', to: 'Z', probability: 0.8 },
  ],
  Y: [{ type: 'e', to: 'Z', probability: 1 }],
  Z: [{ type: 'g', to: 'TERM', probability: 1 }],
  TERM: [],
};

/** The state after `type` in `state`, or undefined when the transition is invalid. */
export function protocolStep(state: ProtocolState, type: string): ProtocolState | undefined {
  return PROTOCOL[state].find((t) => t.type === type)?.to;
}

/** The event types with no transition from `state`, in a…g order. */
export function invalidTypes(state: ProtocolState): PacketType[] {
  return PACKET_TYPES.filter((type) => !protocolStep(state, type));
}
