/**
 * Processing pipelines, the Sigma way: a pipeline says which events a rule's `logsource`
 * (product/category/service) stands for — routing conditions, field equalities like VGL's
 * `SOURCES field = 'a', 'b'` — and what each Sigma field name is called in the events.
 *
 * Built in: `evtx-json` (evtx_dump's JSON, as Chainsaw and Hayabusa read it), `ecs` (Winlogbeat and
 * Elastic Agent), `flat` (names as written, no routing). A user pipeline is a YAML file of the same
 * shape (see src/sigma/README.md):
 *
 * ```yaml
 * name: my-pipeline
 * defaultField: 'data.{field}'          # unmapped Sigma names; absent: the name as written
 * keywordFields: [message]               # where keyword lists search; absent: every text value
 * unknownLogsource: skip                 # a rule no logsources entry matches: skip | unrouted | error
 * fields:                                # Sigma name → event field (or a list: first present wins)
 *   EventID: event_id
 * logsources:
 *   - match: { product: windows, category: process_creation }
 *     conditions: { channel: [Sysmon], event_id: [1] }
 *     fields: { Image: process_path }
 * ```
 */
import type { Diagnostic } from '../lang/diagnostic.js';
import { entry, type SourceLocator, type YNode } from './yaml-source.js';

export type FieldTarget = string | readonly string[];

export interface PipelineLogsource {
  /** The logsource keys this entry applies to; every key given must equal the rule's (case-insensitively). */
  match: { product?: string; category?: string; service?: string };
  /** Routing: event field path → accepted values (AND across fields, OR within a field). */
  conditions: Record<string, readonly string[]>;
  /** Field names for rules of this logsource; they win over the pipeline's `fields`. */
  fields?: Record<string, FieldTarget>;
}

export type UnknownLogsourcePolicy = 'skip' | 'unrouted' | 'error';

export interface SigmaPipeline {
  name: string;
  fields: Record<string, FieldTarget>;
  /** How an unmapped Sigma name is written in events: `{field}` stands for the name. */
  defaultField?: string;
  /** Fields keyword lists search; undefined: every string and number in the event. */
  keywordFields?: readonly string[];
  logsources: readonly PipelineLogsource[];
  /**
   * A rule whose logsource no entry matches (a Zeek rule under evtx-json): `skip` compiles it (its
   * errors are reported) but routes no event to it, with a warning; `unrouted` compiles it without
   * routing, with a warning (it then sees every event: a `not selection` rule fires on all of them);
   * `error` refuses it. Default `skip`. Pipelines without logsources (flat) route nothing and check nothing.
   */
  unknownLogsource: UnknownLogsourcePolicy;
}

export interface Logsource {
  product?: string;
  category?: string;
  service?: string;
}

export interface ResolvedLogsource {
  /** Routing conditions (AND of fields); empty when nothing routes. */
  selectors: { field: string; values: string[] }[];
  /** Whether some logsources entry matched. */
  known: boolean;
  /** Contradictory entries (two conditions on one field with no value in common): the rule cannot match. */
  impossible: boolean;
  /** Event field path(s) for a Sigma field name. */
  field(name: string): readonly string[];
}

const KEYS = ['product', 'category', 'service'] as const;

export function resolveLogsource(pipeline: SigmaPipeline, logsource: Logsource): ResolvedLogsource {
  const matching = pipeline.logsources.filter((ls) =>
    KEYS.every((k) => ls.match[k] === undefined || (logsource[k] !== undefined && ls.match[k]!.toLowerCase() === logsource[k]!.toLowerCase())),
  );
  // More specific entries (more keys) win field names; conditions of all matching entries apply.
  matching.sort((a, b) => Object.keys(a.match).length - Object.keys(b.match).length);
  const conditions = new Map<string, string[]>();
  let impossible = false;
  for (const ls of matching) {
    for (const [field, values] of Object.entries(ls.conditions)) {
      const before = conditions.get(field);
      const next = before ? before.filter((v) => values.includes(v)) : [...values];
      if (next.length === 0) impossible = true;
      conditions.set(field, next);
    }
  }
  const fieldMap: Record<string, FieldTarget> = Object.assign(Object.create(null) as Record<string, FieldTarget>, pipeline.fields);
  for (const ls of matching) if (ls.fields) Object.assign(fieldMap, ls.fields);
  const template = pipeline.defaultField;
  return {
    selectors: [...conditions].map(([field, values]) => ({ field, values })),
    known: matching.length > 0,
    impossible,
    field(name) {
      const mapped = Object.prototype.hasOwnProperty.call(fieldMap, name) ? fieldMap[name] : undefined;
      if (mapped !== undefined) return typeof mapped === 'string' ? [mapped] : mapped;
      return [template === undefined ? name : template.split('{field}').join(name)];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Windows: the taxonomy appendix's log sources (Sysmon event IDs per category, channels per service).

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
const SYSMON_CATEGORIES: Record<string, number[]> = {
  process_creation: [1],
  file_change: [2],
  network_connection: [3],
  sysmon_status: [4, 16],
  process_termination: [5],
  driver_load: [6],
  image_load: [7],
  create_remote_thread: [8],
  raw_access_thread: [9],
  process_access: [10],
  file_event: [11],
  registry_event: [12, 13, 14],
  registry_add: [12],
  registry_delete: [12],
  registry_set: [13],
  registry_rename: [14],
  create_stream_hash: [15],
  pipe_created: [17, 18],
  wmi_event: [19, 20, 21],
  dns_query: [22],
  file_delete: [23, 26],
  clipboard_capture: [24],
  process_tampering: [25],
  file_delete_detected: [26],
  file_block_executable: [27],
  file_block_shredding: [28],
  file_executable_detected: [29],
  sysmon_error: [255],
};
const POWERSHELL = ['Microsoft-Windows-PowerShell/Operational', 'PowerShellCore/Operational'];
const OTHER_CATEGORIES: Record<string, { channels: string[]; ids: number[] }> = {
  ps_module: { channels: POWERSHELL, ids: [4103] },
  ps_script: { channels: POWERSHELL, ids: [4104] },
  ps_classic_start: { channels: ['Windows PowerShell'], ids: [400] },
  ps_classic_provider_start: { channels: ['Windows PowerShell'], ids: [600] },
  ps_classic_script: { channels: ['Windows PowerShell'], ids: [800] },
};
/** Windows services of the taxonomy appendix and their channels. */
const SERVICE_CHANNELS: Record<string, string[]> = {
  application: ['Application'],
  'application-experience': ['Microsoft-Windows-Application-Experience/Program-Telemetry', 'Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant'],
  applocker: ['Microsoft-Windows-AppLocker/MSI and Script', 'Microsoft-Windows-AppLocker/EXE and DLL', 'Microsoft-Windows-AppLocker/Packaged app-Deployment', 'Microsoft-Windows-AppLocker/Packaged app-Execution'],
  'appmodel-runtime': ['Microsoft-Windows-AppModel-Runtime/Admin'],
  'appxdeployment-server': ['Microsoft-Windows-AppXDeploymentServer/Operational'],
  'appxpackaging-om': ['Microsoft-Windows-AppxPackaging/Operational'],
  bitlocker: ['Microsoft-Windows-BitLocker/BitLocker Management'],
  'bits-client': ['Microsoft-Windows-Bits-Client/Operational'],
  capi2: ['Microsoft-Windows-CAPI2/Operational'],
  'certificateservicesclient-lifecycle-system': ['Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational'],
  'codeintegrity-operational': ['Microsoft-Windows-CodeIntegrity/Operational'],
  dhcp: ['Microsoft-Windows-DHCP-Server/Operational'],
  'diagnosis-scripted': ['Microsoft-Windows-Diagnosis-Scripted/Operational'],
  'dns-client': ['Microsoft-Windows-DNS Client Events/Operational'],
  'dns-server': ['DNS Server'],
  'dns-server-analytic': ['Microsoft-Windows-DNS-Server/Analytical'],
  'dns-server-audit': ['Microsoft-Windows-DNS-Server/Audit'],
  'driver-framework': ['Microsoft-Windows-DriverFrameworks-UserMode/Operational'],
  'firewall-as': ['Microsoft-Windows-Windows Firewall With Advanced Security/Firewall'],
  'hyper-v-worker': ['Microsoft-Windows-Hyper-V-Worker'],
  'iis-configuration': ['Microsoft-IIS-Configuration/Operational'],
  'kernel-event-tracing': ['Microsoft-Windows-Kernel-EventTracing'],
  'kernel-shimengine': ['Microsoft-Windows-Kernel-ShimEngine/Operational', 'Microsoft-Windows-Kernel-ShimEngine/Diagnostic'],
  ldap: ['Microsoft-Windows-LDAP-Client/Debug'],
  'lsa-server': ['Microsoft-Windows-LSA/Operational'],
  'msexchange-management': ['MSExchange Management'],
  ntfs: ['Microsoft-Windows-Ntfs/Operational'],
  ntlm: ['Microsoft-Windows-NTLM/Operational'],
  openssh: ['OpenSSH/Operational'],
  powershell: ['Microsoft-Windows-PowerShell/Operational'],
  'powershell-classic': ['Windows PowerShell'],
  'printservice-admin': ['Microsoft-Windows-PrintService/Admin'],
  'printservice-operational': ['Microsoft-Windows-PrintService/Operational'],
  security: ['Security'],
  'security-mitigations': ['Microsoft-Windows-Security-Mitigations/Kernel Mode', 'Microsoft-Windows-Security-Mitigations/User Mode'],
  sense: ['Microsoft-Windows-SENSE/Operational'],
  'servicebus-client': ['Microsoft-ServiceBus-Client/Operational', 'Microsoft-ServiceBus-Client/Admin'],
  'shell-core': ['Microsoft-Windows-Shell-Core/Operational'],
  'smbclient-security': ['Microsoft-Windows-SmbClient/Security'],
  sysmon: [SYSMON],
  system: ['System'],
  taskscheduler: ['Microsoft-Windows-TaskScheduler/Operational'],
  'terminalservices-localsessionmanager': ['Microsoft-Windows-TerminalServices-LocalSessionManager/Operational'],
  vhdmp: ['Microsoft-Windows-VHDMP/Operational'],
  windefend: ['Microsoft-Windows-Windows Defender/Operational'],
  wmi: ['Microsoft-Windows-WMI-Activity/Operational'],
};

/** Security 4688 names the process fields differently from Sysmon 1. */
const SECURITY_PROCESS_CREATION: Record<string, string> = {
  Image: 'NewProcessName',
  ParentImage: 'ParentProcessName',
  ProcessId: 'NewProcessId',
  LogonId: 'SubjectLogonId',
  User: 'SubjectUserName',
};

function windowsLogsources(channelField: string, idField: string, dataField: (name: string) => string[]): PipelineLogsource[] {
  const out: PipelineLogsource[] = [];
  for (const [category, ids] of Object.entries(SYSMON_CATEGORIES)) {
    const ls: PipelineLogsource = { match: { product: 'windows', category }, conditions: { [channelField]: [SYSMON], [idField]: ids.map(String) } };
    if (category === 'process_creation') {
      ls.conditions = { [channelField]: [SYSMON, 'Security'], [idField]: ['1', '4688'] };
      ls.fields = {};
      for (const [sigma, security] of Object.entries(SECURITY_PROCESS_CREATION)) ls.fields[sigma] = [...dataField(sigma), ...dataField(security)];
    }
    out.push(ls);
  }
  for (const [category, { channels, ids }] of Object.entries(OTHER_CATEGORIES)) {
    out.push({ match: { product: 'windows', category }, conditions: { [channelField]: channels, [idField]: ids.map(String) } });
  }
  for (const [service, channels] of Object.entries(SERVICE_CHANNELS)) {
    out.push({ match: { product: 'windows', service }, conditions: { [channelField]: channels } });
  }
  return out;
}

const EVTX_SYSTEM: Record<string, FieldTarget> = {
  EventID: ['Event.System.EventID', 'Event.System.EventID.#text'],
  Channel: 'Event.System.Channel',
  Computer: 'Event.System.Computer',
  ComputerName: 'Event.System.Computer',
  Provider_Name: ['Event.System.Provider.#attributes.Name', 'Event.System.Provider_attributes.Name'],
  Provider_Guid: ['Event.System.Provider.#attributes.Guid', 'Event.System.Provider_attributes.Guid'],
  Level: 'Event.System.Level',
  Task: 'Event.System.Task',
  Opcode: 'Event.System.Opcode',
  Keywords: 'Event.System.Keywords',
  Version: 'Event.System.Version',
  EventRecordID: 'Event.System.EventRecordID',
  Security_UserID: ['Event.System.Security.#attributes.UserID', 'Event.System.Security_attributes.UserID'],
  Execution_ProcessID: ['Event.System.Execution.#attributes.ProcessID', 'Event.System.Execution_attributes.ProcessID'],
  Execution_ThreadID: ['Event.System.Execution.#attributes.ThreadID', 'Event.System.Execution_attributes.ThreadID'],
  TimeCreated_SystemTime: ['Event.System.TimeCreated.#attributes.SystemTime', 'Event.System.TimeCreated_attributes.SystemTime'],
};

/** evtx_dump's JSON (`Event.System.*`, `Event.EventData.*`); attributes under `#attributes` or `_attributes`. */
export const EVTX_JSON_PIPELINE: SigmaPipeline = {
  name: 'evtx-json',
  fields: EVTX_SYSTEM,
  defaultField: 'Event.EventData.{field}',
  logsources: windowsLogsources('Event.System.Channel', 'Event.System.EventID', (name) => [`Event.EventData.${name}`]),
  unknownLogsource: 'skip',
};

/** Sysmon and Security names → ECS as Winlogbeat's sysmon and security modules write them. */
const ECS_NAMES: Record<string, string> = {
  EventID: 'event.code',
  Channel: 'winlog.channel',
  Provider_Name: 'winlog.provider_name',
  Computer: 'winlog.computer_name',
  ComputerName: 'winlog.computer_name',
  Image: 'process.executable',
  CommandLine: 'process.command_line',
  CurrentDirectory: 'process.working_directory',
  ProcessId: 'process.pid',
  ProcessGuid: 'process.entity_id',
  OriginalFileName: 'process.pe.original_file_name',
  Product: 'process.pe.product',
  Company: 'process.pe.company',
  Description: 'process.pe.description',
  FileVersion: 'process.pe.file_version',
  ParentImage: 'process.parent.executable',
  ParentCommandLine: 'process.parent.command_line',
  ParentProcessId: 'process.parent.pid',
  ParentProcessGuid: 'process.parent.entity_id',
  User: 'user.name',
  IntegrityLevel: 'winlog.event_data.IntegrityLevel',
  TargetFilename: 'file.path',
  ImageLoaded: 'file.path',
  TargetObject: 'registry.path',
  Details: 'registry.data.strings',
  SourceIp: 'source.ip',
  SourcePort: 'source.port',
  SourceHostname: 'source.domain',
  DestinationIp: 'destination.ip',
  DestinationPort: 'destination.port',
  DestinationHostname: 'destination.domain',
  Protocol: 'network.transport',
  QueryName: 'dns.question.name',
  PipeName: 'file.name',
  SourceImage: 'process.executable',
  TargetImage: 'winlog.event_data.TargetImage',
  Hashes: 'winlog.event_data.Hashes',
};

function ecsFields(): Record<string, FieldTarget> {
  const out: Record<string, FieldTarget> = {};
  for (const [sigma, ecs] of Object.entries(ECS_NAMES)) out[sigma] = ecs.startsWith('winlog.event_data.') ? ecs : [ecs, `winlog.event_data.${sigma}`];
  return out;
}

/** Winlogbeat / Elastic Agent documents: ECS names where they exist, else `winlog.event_data.*`. */
export const ECS_PIPELINE: SigmaPipeline = {
  name: 'ecs',
  fields: ecsFields(),
  defaultField: 'winlog.event_data.{field}',
  logsources: windowsLogsources('winlog.channel', 'event.code', (name) => {
    const ecs = ECS_NAMES[name];
    return ecs && !ecs.startsWith('winlog.event_data.') ? [ecs, `winlog.event_data.${name}`] : [`winlog.event_data.${name}`];
  }),
  unknownLogsource: 'skip',
};

/** Field names as written in the rules, no routing: for events already in Sigma's taxonomy. */
export const FLAT_PIPELINE: SigmaPipeline = { name: 'flat', fields: {}, logsources: [], unknownLogsource: 'unrouted' };

export const BUILTIN_PIPELINES: Readonly<Record<string, SigmaPipeline>> = {
  'evtx-json': EVTX_JSON_PIPELINE,
  ecs: ECS_PIPELINE,
  flat: FLAT_PIPELINE,
};

/** A user pipeline from its YAML tree; diagnostics name what is wrong and where. */
export function pipelineFromYaml(root: YNode | undefined, locator: SourceLocator, diagnostics: Diagnostic[]): SigmaPipeline | undefined {
  const fail = (message: string, node: { span: readonly [number, number] } | undefined) => {
    diagnostics.push(locator.diagnostic('error', 'sigma-pipeline', message, node?.span as [number, number] | undefined));
    return undefined;
  };
  if (!root || root.kind !== 'map') return fail('a pipeline is a map with name, fields and logsources', root);
  const known = new Set(['name', 'fields', 'defaultField', 'keywordFields', 'logsources', 'unknownLogsource']);
  for (const e of root.entries) if (!known.has(e.key)) return fail(`unknown pipeline key '${e.key}' (known: ${[...known].join(', ')})`, { span: e.keySpan });
  const nameNode = entry(root, 'name')?.value;
  const name = nameNode?.kind === 'scalar' && typeof nameNode.value === 'string' ? nameNode.value : undefined;
  if (!name) return fail('the pipeline needs a name', nameNode ?? root);
  const fieldMap = (node: YNode | undefined): Record<string, FieldTarget> | undefined => {
    if (!node) return {};
    if (node.kind !== 'map') return fail('fields must map Sigma names to event fields', node);
    const out: Record<string, FieldTarget> = Object.create(null) as Record<string, FieldTarget>;
    for (const e of node.entries) {
      const v = e.value;
      if (v.kind === 'scalar' && typeof v.value === 'string') out[e.key] = v.value;
      else if (v.kind === 'seq' && v.items.length > 0 && v.items.every((i) => i.kind === 'scalar' && typeof i.value === 'string')) out[e.key] = v.items.map((i) => String((i as { value: string }).value));
      else return fail(`field '${e.key}' must map to an event field name or a list of them`, v);
    }
    return out;
  };
  const fields = fieldMap(entry(root, 'fields')?.value);
  if (!fields) return undefined;
  const defaultNode = entry(root, 'defaultField')?.value;
  let defaultField: string | undefined;
  if (defaultNode) {
    if (defaultNode.kind !== 'scalar' || typeof defaultNode.value !== 'string' || !defaultNode.value.includes('{field}')) return fail("defaultField must be text holding '{field}'", defaultNode);
    defaultField = defaultNode.value;
  }
  const kwNode = entry(root, 'keywordFields')?.value;
  let keywordFields: string[] | undefined;
  if (kwNode) {
    if (kwNode.kind !== 'seq' || !kwNode.items.every((i) => i.kind === 'scalar' && typeof i.value === 'string')) return fail('keywordFields must be a list of field names', kwNode);
    keywordFields = kwNode.items.map((i) => String((i as { value: string }).value));
  }
  const unknownNode = entry(root, 'unknownLogsource')?.value;
  let unknownLogsource: UnknownLogsourcePolicy = 'skip';
  if (unknownNode) {
    if (unknownNode.kind !== 'scalar' || (unknownNode.value !== 'skip' && unknownNode.value !== 'unrouted' && unknownNode.value !== 'error')) return fail("unknownLogsource is 'skip', 'unrouted' or 'error'", unknownNode);
    unknownLogsource = unknownNode.value;
  }
  const logsources: PipelineLogsource[] = [];
  const lsNode = entry(root, 'logsources')?.value;
  if (lsNode) {
    if (lsNode.kind !== 'seq') return fail('logsources must be a list', lsNode);
    for (const item of lsNode.items) {
      if (item.kind !== 'map') return fail('a logsources entry is a map with match, conditions and fields', item);
      const matchNode = entry(item, 'match')?.value;
      if (!matchNode || matchNode.kind !== 'map' || matchNode.entries.length === 0) return fail('a logsources entry needs a match map (product, category, service)', matchNode ?? item);
      const match: PipelineLogsource['match'] = {};
      for (const e of matchNode.entries) {
        if (!(KEYS as readonly string[]).includes(e.key) || e.value.kind !== 'scalar' || e.value.value === null) return fail(`match keys are product, category and service with a value, not '${e.key}'`, { span: e.keySpan });
        match[e.key as (typeof KEYS)[number]] = String(e.value.value);
      }
      const conditions: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
      const condNode = entry(item, 'conditions')?.value;
      if (condNode) {
        if (condNode.kind !== 'map') return fail('conditions must map event fields to values', condNode);
        for (const e of condNode.entries) {
          const values = e.value.kind === 'scalar' ? [e.value] : e.value.kind === 'seq' ? e.value.items : [];
          if (values.length === 0 || !values.every((v) => v.kind === 'scalar' && v.value !== null && typeof v.value !== 'boolean')) return fail(`condition '${e.key}' needs a value or a list of values`, e.value);
          conditions[e.key] = values.map((v) => String((v as { value: string | number }).value));
        }
      }
      const ls: PipelineLogsource = { match, conditions };
      const lf = entry(item, 'fields')?.value;
      if (lf) {
        const m = fieldMap(lf);
        if (!m) return undefined;
        ls.fields = m;
      }
      logsources.push(ls);
    }
  }
  const pipeline: SigmaPipeline = { name, fields, logsources, unknownLogsource };
  if (defaultField !== undefined) pipeline.defaultField = defaultField;
  if (keywordFields !== undefined) pipeline.keywordFields = keywordFields;
  return pipeline;
}
