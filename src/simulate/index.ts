/** The traffic simulator: generators with known, injected anomalies, and a scorer. Runtime-agnostic. */

// What a generator is
export { DEFAULT_RATE, DEFAULT_SEED, DEFAULT_START_TIME } from './generator.js';
export type { Generator, GeneratorOptions, SimulatedEvent } from './generator.js';

// Generators by name, and mixed
export { createGenerator, GENERATOR_NAMES, isGeneratorName } from './create.js';
export type { GeneratorName } from './create.js';
export { mixGenerators, MixedGenerator } from './mix.js';
export type { MixPart } from './mix.js';

// The generators
export { DEFAULT_CAPACITY, NETWORK_LOCATIONS, NetworkGenerator, networkOf } from './network.js';
export { invalidTypes, PACKET_TYPES, PROTOCOL, protocolStep } from './protocol.js';
export type { PacketType, ProtocolState, Transition } from './protocol.js';
export { ATTACK_MAX_FAILURES, ATTACK_MIN_FAILURES, BruteForceGenerator, REGULAR_MAX_FAILURES_PER_MINUTE } from './bruteforce.js';
export type { BruteForceOptions } from './bruteforce.js';
export { CLIENT_MAX_PORTS, CLIENT_MAX_SERVERS, PortScanGenerator, SCAN_MAX_HOSTS, SCAN_MAX_PORTS, SCAN_MIN_TARGETS } from './portscan.js';
export type { PortScanOptions } from './portscan.js';
export { WAVE_SHAPES, WaveGenerator } from './wave.js';
export type { WaveOptions, WaveShape } from './wave.js';
export { NoiseGenerator } from './noise.js';
export { EXTERNAL_RESOLVERS, FLOW_ANOMALY_KINDS, FLOW_OBSERVER, FLOW_SCAN_MAX_TARGETS, FLOW_SCAN_MIN_TARGETS, FlowsGenerator, INTERNAL_RESOLVER, SSH_MAX_ATTEMPTS, SSH_MIN_ATTEMPTS } from './flows.js';
export type { FlowAnomalyKind, FlowsOptions } from './flows.js';

// Scoring
export { keyOfFields, scoreAlerts } from './score.js';
export type { Score } from './score.js';

// Randomness
export { Random } from './random.js';
