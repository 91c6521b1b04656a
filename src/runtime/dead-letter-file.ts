/**
 * The webhook's dead letter on Node: one JSON line per undelivered alert, appended to a file.
 *
 * The file is opened in append mode and each group of lines goes out in one write followed by
 * fdatasync, so lines already in the file are never rewritten: a crash can at worst leave the last
 * line cut short. Opening a file whose last line was cut starts a new line first, so the cut line
 * stays alone (a reader skips a line that does not parse) and every later line is whole.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { DeadLetter } from '../mitigation/webhook.js';

export class DeadLetterFile {
  private pending: { line: string; settle: (error?: Error) => void }[] = [];
  private writing?: Promise<void>;
  private needsNewline: boolean;
  /** Lines written and synced. */
  written = 0;

  private constructor(
    private readonly file: FileHandle,
    endsMidLine: boolean,
    readonly path: string,
  ) {
    this.needsNewline = endsMidLine;
  }

  static async open(path: string): Promise<DeadLetterFile> {
    const file = await open(path, 'a+');
    try {
      const { size } = await file.stat();
      let endsMidLine = false;
      if (size > 0) {
        const last = new Uint8Array(1);
        await file.read(last, 0, 1, size - 1);
        endsMidLine = last[0] !== 0x0a;
      }
      return new DeadLetterFile(file, endsMidLine, path);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** Resolves once the line is on disk. Lines keep the order of the calls. */
  write(letter: DeadLetter): Promise<void> {
    const line = `${JSON.stringify(letter)}\n`;
    return new Promise((resolve, reject) => {
      this.pending.push({ line, settle: (error) => (error ? reject(error) : resolve()) });
      this.writing ??= this.writePending().finally(() => (this.writing = undefined));
    });
  }

  /** Waits for the lines under way, then closes the file. */
  async close(): Promise<void> {
    while (this.writing) await this.writing;
    await this.file.close();
  }

  // Lines that arrive while one write and sync is under way go together in the next: one sync per
  // group rather than per line keeps an alert storm from becoming a storm of fsyncs.
  private async writePending(): Promise<void> {
    while (this.pending.length) {
      const group = this.pending;
      this.pending = [];
      const text = (this.needsNewline ? '\n' : '') + group.map((p) => p.line).join('');
      try {
        await this.file.appendFile(text);
        await this.file.datasync();
        this.needsNewline = false;
        this.written += group.length;
        group.forEach((p) => p.settle());
      } catch (error) {
        // A failed write may have left part of a line: start the next one on a line of its own.
        this.needsNewline = true;
        group.forEach((p) => p.settle(error as Error));
      }
    }
  }
}
