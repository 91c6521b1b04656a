/**
 * `vigil collect` on Deno: the same command (bin/vigil over dist/) run by the `deno` binary from
 * the npm package receives NetFlow over UDP through Deno's node:dgram and raises the alerts it
 * raises on Node.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { denoBinary, freePort, ROOT } from '../conformance/runtimes.js';
import { v5Packet } from './packets.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-collect-deno-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil collect on Deno', () => {
  it('receives NetFlow v5, reports a malformed datagram with its exporter, and raises the alerts', async () => {
    const rules = join(dir, 'ssh.vgl');
    writeFileSync(rules, 'RULE "ssh"\nSOURCES kind = "flow"\nFILTER function (e) { return e["destination.port"] == 22; }\nSINK function (e) { return { src: e["source.ip"], dst: e["destination.ip"] }; }\n');
    const port = await freePort();
    const child = spawn(denoBinary(), ['run', '-A', join(ROOT, 'bin/vigil'), 'collect', '--udp', `127.0.0.1:${port}`, '--rules', rules, '--max-packets', '2', '--duration', '30000'], {
      env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    for (let i = 0; i < 300 && !err.includes('collecting'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(err).toContain(`collecting NetFlow v5/v9/IPFIX on udp 127.0.0.1:${port}`);

    const client = createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    const from = client.address().port;
    const flow = (dport: number) => ({ src: '10.0.0.7', dst: '10.0.0.2', sport: 40000, dport, proto: 6, flags: 2, bytes: 44, packets: 1, first: 1, last: 1 });
    const send = (bytes: Uint8Array) => new Promise<void>((r) => client.send(bytes, port, '127.0.0.1', () => r()));
    await send(new Uint8Array([0, 5, 0, 9, 1]));
    await send(v5Packet([flow(22), flow(80)]));
    const code = await exited;
    client.close();
    expect(code).toBe(0);
    expect(out.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ rule: 'ssh', src: '10.0.0.7', dst: '10.0.0.2' }]);
    expect(err).toContain(`vigil: malformed packet from 127.0.0.1:${from}: truncated:`);
    expect(err).toMatch(/2 packets, 2 flows, 1 malformed/);
  }, 60_000);
});
