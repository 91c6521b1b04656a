/**
 * NetFlow v5, NetFlow v9 and IPFIX datagrams to {@link FlowEvent}s. Runtime-agnostic (DataView
 * over Uint8Array). Templates are kept per exporter address and source id / observation domain.
 * Nothing here throws on bad input: a malformed datagram comes back as a {@link FlowDecodeError}.
 */
import { FlowDecodeError, type FlowEvent } from './flow-event.js';
import { decodeIpfix, decodeV9 } from './netflow-sets.js';
import { TemplateStore } from './netflow-templates.js';
import { decodeV5 } from './netflow-v5.js';

export interface NetflowDecodeResult {
  /** 5, 9 or 10 (IPFIX); 0 when the datagram is too short to say. */
  version: number;
  /** Flows decoded (those before a malformation, when there is one). */
  flows: FlowEvent[];
  /** Set when the datagram is malformed. */
  error?: FlowDecodeError;
  /** Template ids of data sets skipped because their template is unknown. */
  missingTemplates: number[];
}

export interface NetflowStats {
  packets: number;
  flows: number;
  malformed: number;
  /** Data sets skipped for want of their template. */
  missingTemplateSets: number;
  /** Template and options template records seen (definitions, refreshes, withdrawals). */
  templateRecords: number;
}

/** A stateful decoder: one per collector, shared by all exporters. */
export class NetflowDecoder {
  readonly stats: NetflowStats = { packets: 0, flows: 0, malformed: 0, missingTemplateSets: 0, templateRecords: 0 };
  private readonly store = new TemplateStore();

  /**
   * Decodes one datagram.
   * @param exporter the exporter's address (without port): it keys templates and becomes `observer.ip`.
   */
  decode(bytes: Uint8Array, exporter: string): NetflowDecodeResult {
    this.stats.packets++;
    const flows: FlowEvent[] = [];
    let result: NetflowDecodeResult;
    if (bytes.length < 2) {
      result = { version: 0, flows, missingTemplates: [], error: new FlowDecodeError('truncated', `datagram of ${bytes.length} bytes has no version`) };
    } else {
      const version = (bytes[0] << 8) | bytes[1];
      try {
        if (version === 5) result = { version, flows, missingTemplates: [], error: decodeV5(bytes, exporter, flows) };
        else if (version === 9 || version === 10) {
          const outcome = version === 9 ? decodeV9(bytes, exporter, this.store, flows) : decodeIpfix(bytes, exporter, this.store, flows);
          this.stats.templateRecords += outcome.templates;
          result = { version, flows, missingTemplates: outcome.missingTemplates, error: outcome.error };
        } else result = { version, flows, missingTemplates: [], error: new FlowDecodeError('bad-version', `unsupported flow export version ${version}`) };
      } catch (error) {
        // a RangeError from DataView means a length check was missed: still a malformed datagram
        result = { version, flows, missingTemplates: [], error: new FlowDecodeError('truncated', `datagram ends early (${(error as Error).message})`) };
      }
    }
    this.stats.flows += result.flows.length;
    this.stats.missingTemplateSets += result.missingTemplates.length;
    if (result.error) this.stats.malformed++;
    return result;
  }

  /** Templates known, over all exporters. */
  get templateCount(): number {
    return this.store.size;
  }

  /** Forgets every template and option (an exporter restart everywhere). */
  reset(): void {
    this.store.clear();
  }
}

export { FlowDecodeError } from './flow-event.js';
export type { FlowEvent } from './flow-event.js';
