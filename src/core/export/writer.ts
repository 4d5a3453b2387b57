/**
 * Writing an export into its folder: every file, in its subfolders, except a file the user fills
 * in (a secrets template) that is already there, which is kept as it is. Secrets templates get
 * mode 0600. With `dryRun`, says what it would write and writes nothing.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExportFile } from '../contract/export';

export interface WriteOutcome {
  written: string[];
  kept: string[];
}

const exists = (p: string) => access(p).then(() => true, () => false);

export async function writeFiles(dir: string, files: ExportFile[], opts: { dryRun?: boolean } = {}): Promise<WriteOutcome> {
  const outcome: WriteOutcome = { written: [], kept: [] };
  for (const f of files) {
    const target = path.join(dir, ...f.path.split('/'));
    if (f.keepExisting && (await exists(target))) {
      outcome.kept.push(f.path);
      continue;
    }
    outcome.written.push(f.path);
    if (opts.dryRun) continue;
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, f.text, { mode: f.keepExisting ? 0o600 : 0o644 });
  }
  return outcome;
}
