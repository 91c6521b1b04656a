/** `vigil run` as a child process, killed with SIGKILL at a moment tied to its progress. */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const bin = join(process.cwd(), 'bin/vigil');

/**
 * Runs `vigil run`, and SIGKILLs it `extraMs` after it has written a new checkpoint (or, with
 * `atMs`, at that moment whatever it did). Keyed to the run's own progress, so a busy machine
 * changes when kills happen, not whether runs get anywhere.
 */
export function runAndKill(args: string[], ckpt: string, kill: { afterCheckpointMs: number } | { atMs: number }): Promise<{ code: number | null; killed: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const before = existsSync(ckpt) ? statSync(ckpt).mtimeMs : 0;
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let killed = false;
    const timers: NodeJS.Timeout[] = [];
    const killNow = () => {
      killed = true;
      child.kill('SIGKILL');
    };
    if ('atMs' in kill) timers.push(setTimeout(killNow, kill.atMs));
    else {
      const poll = setInterval(() => {
        if (existsSync(ckpt) && statSync(ckpt).mtimeMs !== before) {
          clearInterval(poll);
          timers.push(setTimeout(killNow, kill.afterCheckpointMs));
        }
      }, 5);
      timers.push(poll);
    }
    child.on('exit', (code) => {
      for (const t of timers) clearTimeout(t);
      resolve({ code, killed: killed && code === null, stderr });
    });
  });
}
