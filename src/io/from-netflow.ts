/**
 * NetFlow v5, NetFlow v9 and IPFIX datagrams to {@link FlowEvent}s. Runtime-agnostic (DataView
 * over Uint8Array). Templates are kept per exporter address and source id / observation domain.
 * Nothing here throws on bad input: a malformed datagram comes back as a {@link FlowDecodeError}.
 */
import { FlowDecodeError, type FlowEvent } from './flow-event.js';
import { decodeIpfix, decodeV9 } from './netflow-sets.js';
import { DEFAULT_TEMPLATE_LIMITS, TemplateStore, type TemplateEviction, type TemplateLimits } from './netflow-templates.js';
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
  /** NetFlow v9 source id, IPFIX observation domain, v5 engine type × 256 + engine id; 0 when the header is unreadable. */
  domain: number;
  /** The header's sequence number (see netflow-sequence.ts for what it counts); undefined when the header is unreadable. */
  sequence?: number;
  /** Data records in the datagram (flows and options data), undefined when some could not be counted. */
  records?: number;
  /** Of those, flow records (not options data). */
  flowRecords?: number;
  /** NetFlow v5/v9 sysUptime, ms. */
  uptimeMs?: number;
  /** The header's export time, epoch ms. */
  exportMs?: number;
  /** Templates pushed out of the cache by this datagram's definitions. */
  evictions: TemplateEviction[];
}

/** "NetFlow v5", "NetFlow v9", "IPFIX". */
export function versionName(version: number): string {
  return version === 10 ? 'IPFIX' : `NetFlow v${version}`;
}

export interface NetflowStats {
  packets: number;
  flows: number;
  malformed: number;
  /** Data sets skipped for want of their template. */
  missingTemplateSets: number;
  /** Template and options template records seen (definitions, refreshes, withdrawals). */
  templateRecords: number;
  /** Templates pushed out of the cache, least recently used first, to stay within its limits. */
  templatesEvicted: number;
}

/** A stateful decoder: one per collector, shared by all exporters. */
export class NetflowDecoder {
  readonly stats: NetflowStats = { packets: 0, flows: 0, malformed: 0, missingTemplateSets: 0, templateRecords: 0, templatesEvicted: 0 };
  private readonly store: TemplateStore;

  constructor(templateLimits: TemplateLimits = DEFAULT_TEMPLATE_LIMITS) {
    this.store = new TemplateStore(templateLimits);
  }

  /**
   * Decodes one datagram.
   * @param exporter the exporter's address (without port): it keys templates and becomes `observer.ip`.
   */
  decode(bytes: Uint8Array, exporter: string): NetflowDecodeResult {
    this.stats.packets++;
    const flows: FlowEvent[] = [];
    let result: NetflowDecodeResult;
    const none = { missingTemplates: [], domain: 0, evictions: [] };
    if (bytes.length < 2) {
      result = { version: 0, flows, ...none, error: new FlowDecodeError('truncated', `datagram of ${bytes.length} bytes has no version`) };
    } else {
      const version = (bytes[0] << 8) | bytes[1];
      try {
        if (version === 5) {
          result = { version, flows, ...none };
          result.error = decodeV5(bytes, exporter, flows, (h) => Object.assign(result, { domain: h.engine, sequence: h.sequence, uptimeMs: h.uptimeMs, exportMs: h.exportMs }));
          if (!result.error) result.records = result.flowRecords = flows.length;
        } else if (version === 9 || version === 10) {
          const outcome = version === 9 ? decodeV9(bytes, exporter, this.store, flows) : decodeIpfix(bytes, exporter, this.store, flows);
          this.stats.templateRecords += outcome.templates;
          result = {
            version,
            flows,
            missingTemplates: outcome.missingTemplates,
            error: outcome.error,
            domain: outcome.domain,
            records: outcome.error ? undefined : outcome.records,
            flowRecords: outcome.error ? undefined : outcome.flowRecords,
            evictions: [],
          };
          if (outcome.sequence !== undefined) Object.assign(result, { sequence: outcome.sequence, exportMs: outcome.exportMs, uptimeMs: outcome.uptimeMs });
        } else result = { version, flows, ...none, error: new FlowDecodeError('bad-version', `unsupported flow export version ${version}`) };
      } catch (error) {
        // a RangeError from DataView means a length check was missed: still a malformed datagram
        result = { version, flows, ...none, error: new FlowDecodeError('truncated', `datagram ends early (${(error as Error).message})`) };
      }
    }
    result.evictions = this.store.takeEvictions();
    this.stats.templatesEvicted = this.store.evicted;
    this.stats.flows += result.flows.length;
    this.stats.missingTemplateSets += result.missingTemplates.length;
    if (result.error) this.stats.malformed++;
    return result;
  }

  /** Templates known, over all exporters. */
  get templateCount(): number {
    return this.store.size;
  }

  /** Sessions (exporter, version, domain) holding templates. */
  get sessionCount(): number {
    return this.store.sessionCount;
  }

  /** Timeouts an exporter session announced in options data (flowActiveTimeout, flowIdleTimeout), in ms. */
  announcedTimeouts(version: number, exporter: string, domain: number): { activeMs?: number; idleMs?: number } {
    const s = this.store.find(version, exporter, domain);
    return { activeMs: s?.activeTimeoutS === undefined ? undefined : s.activeTimeoutS * 1000, idleMs: s?.idleTimeoutS === undefined ? undefined : s.idleTimeoutS * 1000 };
  }

  /** Forgets every template and option (an exporter restart everywhere). */
  reset(): void {
    this.store.clear();
  }
}

export { FlowDecodeError } from './flow-event.js';
export { DEFAULT_TEMPLATE_LIMITS, type TemplateEviction, type TemplateLimits } from './netflow-templates.js';
export type { FlowEvent } from './flow-event.js';
