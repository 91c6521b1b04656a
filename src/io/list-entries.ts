/** IOC list and table files: one entry per line. Read by the CLI and by the guarded engine thread. */

/** One entry per line; blank lines and `#` comments ignored; surrounding spaces trimmed. */
export function listEntries(text: string): string[] {
  const entries: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line && !line.startsWith('#')) entries.push(line);
  }
  return entries;
}
