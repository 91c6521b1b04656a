/**
 * Ten corpus rules with an event written by hand in the shape evtx_dump writes (Event.System with
 * #attributes, Event.EventData) that must match, and a near miss that must not. Shared by the
 * Sigma compiler's tests and the engine's.
 */
let record = 1000;
export function evtx(channel: string, eventId: number, data: Record<string, unknown>, provider = 'Microsoft-Windows-Sysmon'): Record<string, unknown> {
  record++;
  return {
    Event: {
      '#attributes': { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
      System: {
        Provider: { '#attributes': { Name: provider, Guid: '5770385F-C22A-43E0-BF4C-06F5698FFBD9' } },
        EventID: eventId,
        Version: 5,
        Level: 4,
        Task: eventId,
        Opcode: 0,
        Keywords: '0x8000000000000000',
        TimeCreated: { '#attributes': { SystemTime: '2026-03-01T10:15:00.123456Z' } },
        EventRecordID: record,
        Correlation: null,
        Execution: { '#attributes': { ProcessID: 3120, ThreadID: 4012 } },
        Channel: channel,
        Computer: 'WS01.corp.local',
        Security: { '#attributes': { UserID: 'S-1-5-18' } },
      },
      EventData: data,
    },
  };
}
export const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
export const sysmon = (id: number, data: Record<string, unknown>) => evtx(SYSMON, id, { RuleName: '-', UtcTime: '2026-03-01 10:15:00.123', ...data });

export interface Case {
  file: string;
  title: string;
  match: Record<string, unknown>;
  nearMiss: Record<string, unknown>;
}

export const CASES: Case[] = [
  {
    file: 'rules/windows/process_creation/proc_creation_win_powershell_encode.yml',
    title: 'Suspicious Execution of Powershell with Base64',
    match: sysmon(1, { Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: 'powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=', ParentImage: 'C:\\Windows\\System32\\cmd.exe' }),
    // The rule's own filter: -Encoding is a parameter, not an encoded command.
    nearMiss: sysmon(1, { Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: 'powershell.exe -enc x -Encoding UTF8', ParentImage: 'C:\\Windows\\System32\\cmd.exe' }),
  },
  {
    file: 'rules/windows/registry/registry_set/registry_set_asep_reg_keys_modification_currentversion.yml',
    title: 'CurrentVersion Autorun Keys Modification',
    match: sysmon(13, { EventType: 'SetValue', Image: 'C:\\Users\\bob\\AppData\\Local\\Temp\\evil.exe', TargetObject: 'HKU\\S-1-5-21-1\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater', Details: 'C:\\Users\\bob\\AppData\\Local\\Temp\\evil.exe' }),
    // Same key, but the value set is '(Empty)': the rule's main filter.
    nearMiss: sysmon(13, { EventType: 'SetValue', Image: 'C:\\Users\\bob\\AppData\\Local\\Temp\\evil.exe', TargetObject: 'HKU\\S-1-5-21-1\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater', Details: '(Empty)' }),
  },
  {
    file: 'rules/windows/file/file_event/file_event_win_susp_startup_folder_persistence.yml',
    title: 'Suspicious Startup Folder Persistence',
    match: sysmon(11, { Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', TargetFilename: 'C:\\Users\\bob\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\update.vbs' }),
    nearMiss: sysmon(11, { Image: 'C:\\Windows\\explorer.exe', TargetFilename: 'C:\\Users\\bob\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\notes.txt' }),
  },
  {
    file: 'rules/windows/network_connection/net_connection_win_susp_binary_no_cmdline.yml',
    title: 'Suspicious Network Connection Binary No CommandLine',
    match: sysmon(3, { Initiated: 'true', Image: 'C:\\Windows\\System32\\rundll32.exe', CommandLine: 'C:\\Windows\\System32\\rundll32.exe', DestinationIp: '203.0.113.7', DestinationPort: 443 }),
    // Sysmon's own event 3 has no CommandLine: the rule's null filter.
    nearMiss: sysmon(3, { Initiated: 'true', Image: 'C:\\Windows\\System32\\rundll32.exe', DestinationIp: '203.0.113.7', DestinationPort: 443 }),
  },
  {
    file: 'rules/windows/dns_query/dns_query_win_devtunnels_communication.yml',
    title: 'DNS Query To Devtunnels Domain',
    match: sysmon(22, { Image: 'C:\\Tools\\agent.exe', QueryName: 'x7k2.euw.DevTunnels.ms', QueryStatus: '0' }),
    // The right name, in a Sysmon process creation (event 1), not a DNS query: routing says no.
    nearMiss: sysmon(1, { Image: 'C:\\Tools\\agent.exe', QueryName: 'x7k2.euw.devtunnels.ms' }),
  },
  {
    file: 'rules/windows/process_access/proc_access_win_lsass_dump_comsvcs_dll.yml',
    title: 'Lsass Memory Dump via Comsvcs DLL',
    match: sysmon(10, { SourceImage: 'C:\\Windows\\System32\\rundll32.exe', TargetImage: 'C:\\Windows\\System32\\lsass.exe', GrantedAccess: '0x1fffff', CallTrace: 'C:\\Windows\\SYSTEM32\\ntdll.dll+9d234|C:\\Windows\\System32\\comsvcs.dll+2b3b' }),
    nearMiss: sysmon(10, { SourceImage: 'C:\\Windows\\System32\\rundll32.exe', TargetImage: 'C:\\Windows\\System32\\lsass.exe', GrantedAccess: '0x1fffff', CallTrace: 'C:\\Windows\\SYSTEM32\\ntdll.dll+9d234|C:\\Windows\\System32\\dbghelp.dll+2b3b' }),
  },
  {
    file: 'rules/windows/pipe_created/pipe_created_hktl_cobaltstrike_re.yml',
    title: 'CobaltStrike Named Pipe Pattern Regex',
    match: sysmon(17, { EventType: 'CreatePipe', PipeName: '\\msrpc_4a2f', Image: 'C:\\Windows\\System32\\rundll32.exe' }),
    // The regexes are case-sensitive: upper-case hex digits do not match [0-9a-f].
    nearMiss: sysmon(17, { EventType: 'CreatePipe', PipeName: '\\msrpc_4A2F', Image: 'C:\\Windows\\System32\\rundll32.exe' }),
  },
  {
    file: 'rules/windows/powershell/powershell_script/posh_ps_potential_invoke_mimikatz.yml',
    title: 'Potential Invoke-Mimikatz PowerShell Script',
    match: evtx('Microsoft-Windows-PowerShell/Operational', 4104, { MessageNumber: 1, MessageTotal: 1, ScriptBlockText: 'function Invoke-Mimikatz { ... $DumpCreds ... $DumpCerts ... }', ScriptBlockId: '{a}', Path: '' }, 'Microsoft-Windows-PowerShell'),
    // `contains|all`: only one of the two terms.
    nearMiss: evtx('Microsoft-Windows-PowerShell/Operational', 4104, { MessageNumber: 1, MessageTotal: 1, ScriptBlockText: 'function Get-Creds { $DumpCreds }', ScriptBlockId: '{b}', Path: '' }, 'Microsoft-Windows-PowerShell'),
  },
  {
    file: 'rules/windows/image_load/image_load_dll_amsi_suspicious_process.yml',
    title: 'Amsi.DLL Loaded Via LOLBIN Process',
    match: sysmon(7, { Image: 'C:\\Windows\\System32\\odbcconf.exe', ImageLoaded: 'C:\\Windows\\System32\\amsi.dll', Signed: 'true' }),
    nearMiss: sysmon(7, { Image: 'C:\\Windows\\System32\\regsvr32.exe', ImageLoaded: 'C:\\Windows\\System32\\amsi.dll', Signed: 'true' }),
  },
  {
    file: 'rules/windows/builtin/security/win_security_user_added_to_local_administrators.yml',
    title: 'User Added to Local Administrator Group',
    match: evtx('Security', 4732, { MemberName: '-', MemberSid: 'S-1-5-21-1-1104', TargetUserName: 'Administrators', TargetDomainName: 'Builtin', TargetSid: 'S-1-5-32-544', SubjectUserName: 'bob', SubjectDomainName: 'CORP' }, 'Microsoft-Windows-Security-Auditing'),
    // A computer account did it: the rule's filter.
    nearMiss: evtx('Security', 4732, { MemberName: '-', MemberSid: 'S-1-5-21-1-1104', TargetUserName: 'Administrators', TargetDomainName: 'Builtin', TargetSid: 'S-1-5-32-544', SubjectUserName: 'WS01$', SubjectDomainName: 'CORP' }, 'Microsoft-Windows-Security-Auditing'),
  },
];
