/** Runs the `vigil` command in this process (no child process), with stdin given and output captured. */
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export async function runVigil(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdin: Readable.from([Buffer.from(stdin)]), stdout, stderr, version: 'test' });
  return { code, stdout: out, stderr: err };
}
