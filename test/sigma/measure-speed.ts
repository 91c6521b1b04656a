/**
 * Match speed of the whole corpus, measured once (not a test): `npx esbuild test/sigma/measure-speed.ts
 * --bundle --platform=node --format=cjs --outfile=/tmp/sigma-speed.cjs && node /tmp/sigma-speed.cjs`.
 * Reports load time, events/s with every rule's full `match` (routing + detection), and events/s when
 * rules are routed first by their selectors (as the engine's SOURCES index would), on a mix of
 * representative evtx_dump events.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadSigma, type SigmaRulePlan } from '../../src/sigma/index.js';
import { sigmaMaterialDir } from './helpers.js';

const root = sigmaMaterialDir();
if (!root) throw new Error('no ../shared/sigma');
const files: string[] = [];
const walk = (d: string) => {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.ya?ml$/.test(n)) files.push(p);
  }
};
for (const d of ['rules', 'rules-emerging-threats', 'rules-threat-hunting']) walk(join(root, d));
const sources = files.map((f) => ({ file: f, text: readFileSync(f, 'utf8') }));
const heap0 = process.memoryUsage().heapUsed;
const t0 = performance.now();
const c = loadSigma(sources, { pipeline: 'evtx-json' });
const loadMs = performance.now() - t0;
const heapMb = (process.memoryUsage().heapUsed - heap0) / 1e6;

const ev = (channel: string, id: number, data: Record<string, unknown>) => ({ Event: { System: { Channel: channel, EventID: id, Computer: 'WS01', Provider: { '#attributes': { Name: 'p' } } }, EventData: data } });
const S = 'Microsoft-Windows-Sysmon/Operational';
const events = [
  ev(S, 1, { Image: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', CommandLine: '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --field-trial-handle=1234,i,5678 --lang=en-US --disable-gpu-compositing /prefetch:1', ParentImage: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', ParentCommandLine: '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"', User: 'CORP\\bob', IntegrityLevel: 'Medium', OriginalFileName: 'chrome.exe', Hashes: 'SHA256=ABC', CurrentDirectory: 'C:\\Users\\bob\\' }),
  ev(S, 1, { Image: 'C:\\Windows\\System32\\svchost.exe', CommandLine: 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule', ParentImage: 'C:\\Windows\\System32\\services.exe', User: 'NT AUTHORITY\\SYSTEM', OriginalFileName: 'svchost.exe' }),
  ev(S, 3, { Image: 'C:\\Windows\\System32\\svchost.exe', Initiated: 'true', DestinationIp: '20.190.1.1', DestinationPort: 443, DestinationHostname: 'login.microsoftonline.com' }),
  ev(S, 11, { Image: 'C:\\Windows\\explorer.exe', TargetFilename: 'C:\\Users\\bob\\Downloads\\report.pdf' }),
  ev(S, 13, { Image: 'C:\\Windows\\System32\\svchost.exe', TargetObject: 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\LastOnlineScanTimeForAppCategory', Details: 'DWORD (0x00000001)', EventType: 'SetValue' }),
  ev(S, 7, { Image: 'C:\\Windows\\System32\\svchost.exe', ImageLoaded: 'C:\\Windows\\System32\\kernel32.dll', Signed: 'true' }),
  ev('Security', 4624, { TargetUserName: 'bob', LogonType: 3, IpAddress: '10.0.0.5', AuthenticationPackageName: 'Kerberos' }),
  ev('Microsoft-Windows-PowerShell/Operational', 4104, { ScriptBlockText: 'Get-ChildItem -Path C:\\Users\\bob\\Documents | Where-Object { $_.Length -gt 1MB }' }),
];

function rate(label: string, run: (e: Record<string, unknown>) => number): void {
  let matches = 0;
  for (let i = 0; i < 200; i++) matches += run(events[i % events.length]);
  const rounds = 4000;
  const t = performance.now();
  for (let i = 0; i < rounds; i++) matches += run(events[i % events.length]);
  const ms = performance.now() - t;
  console.log(`${label}: ${Math.round((rounds / ms) * 1000)} events/s (${matches} matches)`);
}

const rules = c.rules;
rate(`every rule's match() on each event (${rules.length} rules)`, (e) => {
  let n = 0;
  for (const r of rules) if (r.match(e)) n++;
  return n;
});

// Routing first: rules keyed by channel and event id, as a SOURCES index would do.
const routed = new Map<string, SigmaRulePlan[]>();
const unrouted: SigmaRulePlan[] = [];
for (const r of rules) {
  const ch = r.selectors.find((s) => s.field === 'Event.System.Channel');
  const id = r.selectors.find((s) => s.field === 'Event.System.EventID');
  if (!ch) {
    unrouted.push(r);
    continue;
  }
  for (const chan of ch.values) for (const eid of id ? id.values : ['*']) {
    const k = `${chan}|${eid}`;
    routed.set(k, [...(routed.get(k) ?? []), r]);
  }
}
rate(`routed by channel/event id, then matchDetection (${unrouted.length} unrouted rules evaluated too)`, (e) => {
  const sys = (e.Event as { System: { Channel: string; EventID: number } }).System;
  let n = 0;
  for (const r of routed.get(`${sys.Channel}|${sys.EventID}`) ?? []) if (r.matchDetection(e)) n++;
  for (const r of routed.get(`${sys.Channel}|*`) ?? []) if (r.matchDetection(e)) n++;
  for (const r of unrouted) if (r.match(e)) n++;
  return n;
});
const pc = rules.filter((r) => r.logsource.category === 'process_creation' && r.logsource.product === 'windows');
rate(`only the ${pc.length} Windows process_creation rules on Sysmon 1 events`, (e) => {
  let n = 0;
  for (const r of pc) if (r.matchDetection(e)) n++;
  return n;
});
console.log(`load: ${sources.length} files, ${rules.length} rules in ${Math.round(loadMs)} ms, heap +${heapMb.toFixed(0)} MB`);
