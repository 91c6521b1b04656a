/**
 * The built-in pipelines: `evtx-json` (evtx_dump's JSON, as Chainsaw and Hayabusa read it), `ecs`
 * (Winlogbeat and Elastic Agent) and `flat` (names as written, no routing). The Windows tables come
 * from the specification's taxonomy appendix: Sysmon event IDs per category, channels per service.
 */
import type { FieldTarget, PipelineLogsource, SigmaPipeline } from './pipeline.js';

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

