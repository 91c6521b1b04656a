/** What the CLI commands read and write, injected so tests can run them in-process. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  version: string;
}

/** A mistake in how the command was called: exit 2 with the usage text. */
export class UsageError extends Error {}

/** A file the command needs and cannot read: exit 2 with a clear message, never a stack trace. */
export class InputError extends Error {}

/** Rule files named on the command line: files as they are, directories as their rule files (*.vgl, and Sigma's *.yml, *.yaml), sorted. */
export async function ruleFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new InputError(`cannot read rules '${path}': no such file or directory`);
    }
    if (info.isDirectory()) {
      const found = await ruleFilesUnder(path);
      if (!found.length) throw new InputError(`no rule files (.vgl, .yml, .yaml) in directory '${path}'`);
      files.push(...found);
    } else {
      files.push(path);
    }
  }
  return files;
}

async function ruleFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await ruleFilesUnder(path)));
    else if (/\.(vgl|ya?ml)$/i.test(entry.name)) out.push(path);
  }
  return out;
}

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new InputError(`cannot read ${what} '${path}': ${why}`);
  }
}

/** `name=path` (or `name` alone where a path is optional). */
export function namedPath(spec: string, flag: string, pathRequired: boolean): { name: string; path?: string } {
  const eq = spec.indexOf('=');
  const name = eq < 0 ? spec : spec.slice(0, eq);
  const path = eq < 0 ? undefined : spec.slice(eq + 1);
  if (!name || (pathRequired && !path)) throw new UsageError(`${flag} takes name=path, got '${spec}'`);
  return { name, path };
}


/** Writes to a stream, waiting when it asks to (so a slow consumer is not buffered without bound). */
export function writeAll(stream: Writable, text: string): Promise<void> | undefined {
  if (stream.write(text)) return undefined;
  return new Promise((resolve, reject) => {
    const done = () => {
      stream.off('error', fail);
      resolve();
    };
    const fail = (error: Error) => {
      stream.off('drain', done);
      reject(error);
    };
    stream.once('drain', done);
    stream.once('error', fail);
  });
}
