/** Generators by name. */
import { BruteForceGenerator, type BruteForceOptions } from './bruteforce.js';
import { FlowsGenerator, type FlowsOptions } from './flows.js';
import type { Generator, GeneratorOptions } from './generator.js';
import { NetworkGenerator } from './network.js';
import { NoiseGenerator } from './noise.js';
import { PortScanGenerator, type PortScanOptions } from './portscan.js';
import { WaveGenerator, type WaveOptions } from './wave.js';

export type GeneratorName = 'network' | 'bruteforce' | 'portscan' | 'wave' | 'noise' | 'flows';

export const GENERATOR_NAMES: readonly GeneratorName[] = ['network', 'bruteforce', 'portscan', 'wave', 'noise', 'flows'];

export function isGeneratorName(name: string): name is GeneratorName {
  return (GENERATOR_NAMES as readonly string[]).includes(name);
}

/**
 * A generator by name. Options every generator takes are in {@link GeneratorOptions}; the others
 * are those of its class (`WaveOptions`, `BruteForceOptions`, `PortScanOptions`). Throws RangeError
 * for an unknown name or a bad option value.
 */
export function createGenerator(name: 'network', options?: GeneratorOptions & Record<string, unknown>): NetworkGenerator;
export function createGenerator(name: 'bruteforce', options?: BruteForceOptions & Record<string, unknown>): BruteForceGenerator;
export function createGenerator(name: 'portscan', options?: PortScanOptions & Record<string, unknown>): PortScanGenerator;
export function createGenerator(name: 'wave', options?: WaveOptions & Record<string, unknown>): WaveGenerator;
export function createGenerator(name: 'noise', options?: GeneratorOptions & Record<string, unknown>): NoiseGenerator;
export function createGenerator(name: 'flows', options?: FlowsOptions & Record<string, unknown>): FlowsGenerator;
export function createGenerator(name: GeneratorName, options?: GeneratorOptions & Record<string, unknown>): Generator;
export function createGenerator(name: GeneratorName, options: GeneratorOptions & Record<string, unknown> = {}): Generator {
  switch (name) {
    case 'network':
      return new NetworkGenerator(options);
    case 'bruteforce':
      return new BruteForceGenerator(options);
    case 'portscan':
      return new PortScanGenerator(options);
    case 'wave':
      return new WaveGenerator(options);
    case 'noise':
      return new NoiseGenerator(options);
    case 'flows':
      return new FlowsGenerator(options);
    default:
      throw new RangeError(`unknown generator '${String(name)}'; known: ${GENERATOR_NAMES.join(', ')}`);
  }
}
